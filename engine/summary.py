"""The readable terminal summary of a stress run (rich tables)."""

from __future__ import annotations

from .units import fmt_yuan


def make_console():
    """A rich console; when output is not a terminal (pipes, files, CI logs) use a wide
    fixed width instead of 80 columns so tables stay readable."""
    import sys

    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=140)


def render_summary(result, console=None) -> None:
    from rich.table import Table

    con = console or make_console()
    m, hl = result.meta, result.headline
    b, sc = m["bundle"], m["scenario"]
    con.print(f"[bold]Stress test[/bold] {sc['name']} on {b['name']} (as of {b['as_of']}), "
              f"{sc['horizon_hours']} h, seed {sc['seed']}, engine {m['engine_version']}")
    for s in sc["shocks"]:
        con.print(f"  shock: {s}")
    if m.get("parameters_file"):
        con.print(f"  parameters: {m['parameters_file']}")
    if b.get("synthetic_parts"):
        con.print(f"  [dim]bundle parts that are synthetic: {', '.join(b['synthetic_parts'])}[/dim]")

    con.print(
        f"\n[bold]{hl['provinces_hit']}[/bold] of {hl['provinces_total']} provinces hit within {sc['horizon_hours']} h; "
        f"effective financing supply shrinks by [bold]{fmt_yuan(hl['shrinkage_yuan'])}[/bold] "
        f"({hl['shrinkage_share']:.1%} of the {fmt_yuan(hl['effective_supply_base_yuan'])} base)."
    )

    mc = m.get("contagion")
    if mc:
        lo, hi = mc["ci95"]
        con.print(
            f"Contagion probability (>= {mc['min_provinces']} provinces hit): [bold]{mc['probability']:.0%}[/bold] "
            f"(95% CI {lo:.0%}-{hi:.0%}; {mc['draws']} Monte Carlo draws, parameter spread {mc['spread']:g}; "
            f"shrinkage 5-95%: {fmt_yuan(mc['shrinkage_yuan_quantiles'][0])} - {fmt_yuan(mc['shrinkage_yuan_quantiles'][2])})"
        )

    t = Table(title="Provinces hit, by hour first hit")
    for c in ("hour", "provinces"):
        t.add_column(c, justify="right" if c == "hour" else "left")
    prov = result.provinces[result.provinces["hit_hour"].notna()]
    for hour, grp in prov.groupby("hit_hour", sort=True):
        t.add_row(str(int(hour)), ", ".join(f"{r.id} {r.name_en}" for r in grp.itertuples()))
    con.print(t)

    t = Table(title="Supply shrinkage by channel")
    t.add_column("channel")
    t.add_column("shrinkage", justify="right")
    t.add_column("share", justify="right")
    total = hl["shrinkage_yuan"] or 1.0
    for ch, v in hl["shrinkage_by_channel_yuan"].items():
        t.add_row(ch, fmt_yuan(v), f"{v / total:.0%}")
    t.add_row("[bold]total[/bold]", fmt_yuan(hl["shrinkage_yuan"]), "")
    con.print(t)

    t = Table(title="Worst-hit institutions (largest supply cut)")
    for c in ("id", "name", "type", "province", "distress", "loss", "supply cut", "first hit (h)"):
        t.add_column(c, justify="right" if c in ("distress", "loss", "supply cut", "first hit (h)") else "left")
    for r in result.worst_institutions(8).itertuples():
        t.add_row(r.id, str(r.name_en), r.type, r.province, f"{r.distress:.2f}", fmt_yuan(r.loss_yuan),
                  fmt_yuan(r.supply_cut_yuan), "" if r.first_hit_hour < 0 else str(r.first_hit_hour))
    con.print(t)

    extra = [
        f"supply shrinkage at hour 1: {fmt_yuan(hl['shrinkage_hour1_yuan'])} ({hl['shrinkage_hour1_yuan'] / total:.0%} of the {sc['horizon_hours']}-hour figure)",
        f"firms losing receivables financing (expected): {hl['firms_losing_receivables_financing']:,.0f}",
        f"firms halted (expected): {hl['firms_halted']:,.0f} in {hl['firm_groups_halted']:.1f} firm groups",
        f"WMP redemptions: {fmt_yuan(hl['wmp_redemptions_yuan'])}",
        f"implicit support paid by provinces: {fmt_yuan(hl['implicit_support_paid_yuan'])}",
        f"LGFV ABS spread change: {hl['abs_spread_change_bp']:+.0f} bp; subordinated-tranche issuance success: {hl['sub_tranche_issuance_success']:.1%}",
        f"data platforms failed (expected number): {hl['data_platforms_failed']:.1f}",
        f"SME credit profiles lost (expected): {hl['sme_credit_profiles_lost']:,.0f}",
    ]
    sec = result.sectors
    if len(sec):
        moved = ", ".join(
            f"{r.sector} {r.capacity_utilisation_change_pp:+.1f} pp" for r in sec.itertuples() if abs(r.capacity_utilisation_change_pp) >= 0.05
        )
        extra.append("capacity utilisation change of makers: " + (moved or "none"))
    for m in m_.get("metrics", []) if (m_ := result.meta) else []:
        of = f" of {m['of']:.0f}" if m.get("of") is not None else ""
        extra.append(f"{m['label']}: {m['value']:.4g}{of}")
    for line in extra:
        con.print("  " + line)
    con.print("[dim]Every figure is defined in docs/model.md; --json prints the full result.[/dim]")
