"""The readable terminal summary of a stress run (rich tables), in English or Chinese.

Every amount goes through :mod:`engine.formatting`: one unit per table column (named
in the header), one unit per list of figures shown together.
"""

from __future__ import annotations

from .formatting import amount_scale, fmt_amount, fmt_amounts, fmt_count, fmt_share
from .i18n import translate

#: The summary's text per language.  Placeholders in braces are filled by render_summary.
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "[bold]Stress test[/bold] {scenario} on {bundle} (as of {as_of}), {h} h, seed {seed}, engine {version}",
        "shock": "shock", "synthetic": "bundle parts that are synthetic",
        "headline": "[bold]{hit}[/bold] of {total} provinces hit within {h} h; effective financing supply shrinks by "
                    "[bold]{shrink}[/bold] ({share} of the {base} base).",
        "contagion": "Contagion probability (>= {k} provinces hit): [bold]{p}[/bold] (95% CI {lo}-{hi}; {n} Monte "
                     "Carlo draws, parameters drawn (fitted ones from the calibration's covariance, sourced ones over their ranges); shrinkage 5-95%: {q0} - {q2})",
        "t_provinces": "Provinces hit, by hour first hit", "hour": "hour", "provinces": "provinces",
        "t_channels": "Supply shrinkage by channel", "channel": "channel", "shrinkage": "shrinkage", "share": "share",
        "total": "total",
        "t_worst": "Worst-hit institutions (largest supply cut)", "id": "id", "name": "name", "type": "type",
        "province": "province", "distress": "distress", "loss": "loss", "supply_cut": "supply cut",
        "first_hit": "first hit (h)",
        "params": "parameters",
        "hour1": "supply shrinkage at hour 1: {v} ({share} of the {h}-hour figure)",
        "cutoff": "firms losing receivables financing (expected): {v}",
        "halted": "firms halted (expected): {f} in {g} firm groups", "wmp": "WMP redemptions: {v}",
        "support": "implicit support paid by provinces: {v}",
        "spread": "LGFV ABS spread change: {bp} bp; subordinated-tranche issuance success: {s}",
        "data": "data platforms failed (expected number): {v}", "sme": "SME credit profiles lost (expected): {v}",
        "capacity": "capacity utilisation change of makers: {v}", "none": "none", "pp": "pp", "of": " of {v}",
        "footer": "[dim]Every figure is defined in docs/model.md; --json prints the full result.[/dim]",
        "funding": "funding", "supply_chain": "supply_chain", "data_channel": "data",
    },
    "zh": {
        "title": "[bold]压力测试[/bold] {scenario}，数据集 {bundle}（截至 {as_of}），{h} 小时，随机种子 {seed}，引擎 {version}",
        "shock": "冲击", "synthetic": "数据集中的合成部分",
        "headline": "{h} 小时内 {total} 个省份中 [bold]{hit}[/bold] 个受波及；产业金融有效供给收缩 "
                    "[bold]{shrink}[/bold]（占 {base}基数的 {share}）。",
        "contagion": "传染概率（至少 {k} 个省份受波及）：[bold]{p}[/bold]（95% 置信区间 {lo}-{hi}；{n} 次蒙特卡洛抽样，"
                     "参数抽样（拟合参数按校准协方差，有出处的参数在其区间内）；收缩额 5%-95% 分位：{q0} - {q2}）",
        "t_provinces": "受波及省份（按首次受波及小时）", "hour": "小时", "provinces": "省份",
        "t_channels": "分渠道有效供给收缩", "channel": "渠道", "shrinkage": "收缩额", "share": "占比", "total": "合计",
        "t_worst": "受冲击最重的机构（供给收缩最多）", "id": "编号", "name": "名称", "type": "类型", "province": "省份",
        "distress": "受损程度", "loss": "损失", "supply_cut": "供给收缩", "first_hit": "首次受波及（小时）",
        "params": "参数",
        "hour1": "第 1 小时的供给收缩：{v}（占 {h} 小时数值的 {share}）",
        "cutoff": "失去应收账款融资的企业（期望值）：{v}",
        "halted": "停产企业（期望值）：{f} 家，分属 {g} 个企业组", "wmp": "理财赎回：{v}",
        "support": "省级政府隐性担保支付：{v}",
        "spread": "城投 ABS 利差变化：{bp} 个基点；次级档发行成功率：{s}",
        "data": "失效数据平台（期望个数）：{v}", "sme": "丢失信用画像的小微企业（期望值）：{v}",
        "capacity": "整车等制造商产能利用率变化：{v}", "none": "无", "pp": "个百分点", "of": " / {v}",
        "footer": "[dim]全部指标的定义见 docs/model.md；--json 输出完整结果。[/dim]",
        "funding": "资金链", "supply_chain": "供应链", "data_channel": "数据链",
    },
}


def make_console():
    """A rich console; when output is not a terminal (pipes, files, CI logs) use a wide
    fixed width instead of 80 columns so tables stay readable."""
    import sys

    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=140)


def _name(row, lang: str) -> str:
    zh, en = str(getattr(row, "name_zh", "") or ""), str(getattr(row, "name_en", "") or "")
    return (zh or en) if lang == "zh" else (en or zh)


def render_summary(result, console=None, lang: str = "en") -> None:
    """Print the summary of ``result`` (a CascadeResult) in ``lang`` ("en" or "zh")."""
    from rich.table import Table

    T = TEXT[lang]
    con = console or make_console()
    m, hl = result.meta, result.headline
    b, sc = m["bundle"], m["scenario"]
    con.print(T["title"].format(scenario=sc["name"], bundle=b["name"], as_of=b["as_of"], h=sc["horizon_hours"],
                                seed=sc["seed"], version=m["engine_version"]))
    colon = "：" if lang == "zh" else ": "
    for s in sc["shocks"]:
        con.print(f"  {T['shock']}{colon}{s}")
    if m.get("parameters_file"):
        con.print(f"  {T['params']}{colon}{translate(m['parameters_file'], lang)}")
    if b.get("synthetic_parts"):
        parts = "; ".join(translate(p, lang) for p in b["synthetic_parts"])
        con.print(f"  [dim]{T['synthetic']}{colon}{parts}[/dim]")

    con.print("\n" + T["headline"].format(
        hit=hl["provinces_hit"], total=hl["provinces_total"], h=sc["horizon_hours"],
        shrink=fmt_amount(hl["shrinkage_yuan"], lang), share=fmt_share(hl["shrinkage_share"], lang),
        base=fmt_amount(hl["effective_supply_base_yuan"], lang)))

    mc = m.get("contagion")
    if mc:
        lo, hi = mc["ci95"]
        q0, q2 = fmt_amounts([mc["shrinkage_yuan_quantiles"][0], mc["shrinkage_yuan_quantiles"][2]], lang)
        con.print(T["contagion"].format(k=mc["min_provinces"], p=f"{mc['probability']:.0%}", lo=f"{lo:.0%}",
                                        hi=f"{hi:.0%}", n=mc["draws"], q0=q0, q2=q2))

    t = Table(title=T["t_provinces"])
    t.add_column(T["hour"], justify="right")
    t.add_column(T["provinces"])
    prov = result.provinces[result.provinces["hit_hour"].notna()]
    for hour, grp in prov.groupby("hit_hour", sort=True):
        t.add_row(str(int(hour)), ", ".join(f"{r.id} {_name(r, lang)}" for r in grp.itertuples()))
    con.print(t)

    by_channel = hl["shrinkage_by_channel_yuan"]
    s = amount_scale([*by_channel.values(), hl["shrinkage_yuan"]], lang)
    t = Table(title=T["t_channels"])
    t.add_column(T["channel"])
    t.add_column(s.header(T["shrinkage"]), justify="right")
    t.add_column(T["share"], justify="right")
    total = hl["shrinkage_yuan"] or 1.0
    for ch, v in by_channel.items():
        t.add_row(T.get("data_channel" if ch == "data" else ch, ch), s.number(v), f"{v / total:.0%}")
    t.add_row(f"[bold]{T['total']}[/bold]", s.number(hl["shrinkage_yuan"]), "")
    con.print(t)

    worst = result.worst_institutions(8)
    s_loss = amount_scale(worst["loss_yuan"], lang)
    s_cut = amount_scale(worst["supply_cut_yuan"], lang)
    t = Table(title=T["t_worst"])
    for key, num in (("id", False), ("name", False), ("type", False), ("province", False), ("distress", True),
                     ("loss", True), ("supply_cut", True), ("first_hit", True)):
        head = s_loss.header(T[key]) if key == "loss" else s_cut.header(T[key]) if key == "supply_cut" else T[key]
        t.add_column(head, justify="right" if num else "left")
    for r in worst.itertuples():
        t.add_row(r.id, _name(r, lang), r.type, r.province, f"{r.distress:.2f}", s_loss.number(r.loss_yuan),
                  s_cut.number(r.supply_cut_yuan), "" if r.first_hit_hour < 0 else str(r.first_hit_hour))
    con.print(t)

    together = fmt_amounts([hl["shrinkage_hour1_yuan"], hl["wmp_redemptions_yuan"], hl["implicit_support_paid_yuan"]], lang)
    extra = [
        T["hour1"].format(v=together[0], share=fmt_share(hl["shrinkage_hour1_yuan"] / total, lang), h=sc["horizon_hours"]),
        T["cutoff"].format(v=fmt_count(hl["firms_losing_receivables_financing"], lang)),
        T["halted"].format(g=fmt_count(hl["firm_groups_halted"], lang), f=fmt_count(hl["firms_halted"], lang)),
        T["wmp"].format(v=together[1]),
        T["support"].format(v=together[2]),
        T["spread"].format(bp=f"{hl['abs_spread_change_bp']:+.0f}", s=fmt_share(hl["sub_tranche_issuance_success"], lang)),
        T["data"].format(v=fmt_count(hl["data_platforms_failed"], lang)),
        T["sme"].format(v=fmt_count(hl["sme_credit_profiles_lost"], lang)),
    ]
    sec = result.sectors
    if len(sec):
        moved = ", ".join(f"{r.sector} {r.capacity_utilisation_change_pp:+.1f} {T['pp']}" for r in sec.itertuples()
                          if abs(r.capacity_utilisation_change_pp) >= 0.05)
        extra.append(T["capacity"].format(v=moved or T["none"]))
    for mt in m.get("metrics", []):
        of = T["of"].format(v=fmt_count(mt["of"], lang)) if mt.get("of") is not None else ""
        extra.append(f"{mt['label']}: {_metric_value(mt, lang)}{of}")
    for line in extra:
        con.print("  " + line)
    con.print(T["footer"])


def _metric_value(mt: dict, lang: str) -> str:
    """A scenario-declared metric (engine.metrics): amounts by the formatter, counts as counts."""
    name, v = mt.get("metric", ""), mt["value"]
    if name.endswith("_yuan"):
        return fmt_amount(v, lang)
    if name in ("provinces_hit", "halted_suppliers", "selected_count"):
        return fmt_count(v, lang)
    if name.endswith("_pp"):
        return f"{v:+.1f}"
    return f"{v:.4g}"
