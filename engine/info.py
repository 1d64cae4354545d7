"""``contagion info``: what is in a bundle, in figures a risk analyst checks first."""

from __future__ import annotations

from .debt import debt_ratio
from .schema import LENDER_TYPES


def bundle_info(bundle, thresholds=(1.2, 1.5)) -> dict:
    """Counts by type, layer and kind; amount totals (yuan); the provincial debt-ratio table."""
    nodes, edges, meta = bundle.nodes, bundle.edges, bundle.meta
    by_type = nodes.groupby("type", observed=True)
    lenders = nodes["type"].isin(LENDER_TYPES)
    layer_kind = edges.groupby(["layer", "kind"], observed=True)["weight"].agg(["size", "sum"])
    narrow = debt_ratio(nodes, "narrow")
    broad = debt_ratio(nodes, "broad")
    prov = nodes[nodes["type"] == "province"].set_index("id")
    table = [
        {
            "id": pid,
            "name_zh": prov.at[pid, "name_zh"],
            "name_en": prov.at[pid, "name_en"],
            "debt_balance": float(prov.at[pid, "debt_balance"]),
            "fiscal_capacity": float(prov.at[pid, "fiscal_capacity"]),
            "debt_ratio_narrow": float(narrow[pid]),
            "debt_ratio_broad": float(broad[pid]),
        }
        for pid in narrow.sort_values(ascending=False).index
    ]
    return {
        "bundle": {
            "name": meta.name,
            "as_of": meta.as_of,
            "unit_declared": meta.unit,
            "content_hash": meta.content_hash,
            "synthetic_parts": list(meta.synthetic_parts),
            "synthetic_note": meta.synthetic_note,
            "path": str(meta.path),
        },
        "nodes": int(len(nodes)),
        "edges": int(len(edges)),
        "nodes_by_type": {str(k): int(v) for k, v in by_type.size().items()},
        "edges_by_layer_kind": [
            {"layer": str(l), "kind": str(k), "count": int(r["size"]), "amount_yuan": float(r["sum"])}
            for (l, k), r in layer_kind.iterrows()
        ],
        "totals_yuan": {
            "financing_supply_lenders": float(nodes.loc[lenders, "financing_supply"].sum()),
            "financing_supply_by_type": {
                str(k): float(v) for k, v in nodes[lenders].groupby("type", observed=True)["financing_supply"].sum().items()
            },
            "equity": float(nodes["equity"].sum()),
            "province_debt_balance": float(prov["debt_balance"].sum()),
            "province_fiscal_capacity": float(prov["fiscal_capacity"].sum()),
        },
        "debt_ratio_counts": {
            f"narrow_above_{int(t * 100)}pct": int((narrow > t).sum()) for t in thresholds
        }
        | {f"broad_above_{int(t * 100)}pct": int((broad > t).sum()) for t in thresholds},
        "provinces": table,
    }


def render_info(info: dict) -> None:
    """Print ``bundle_info`` as readable tables (rich)."""
    from rich.table import Table

    from .summary import make_console
    from .units import fmt_yuan

    con = make_console()
    b = info["bundle"]
    con.print(f"[bold]{b['name']}[/bold]  as of {b['as_of']}  (declared unit {b['unit_declared']}, hash {b['content_hash'][:12]})")
    if b["synthetic_parts"]:
        con.print(f"synthetic parts: {', '.join(b['synthetic_parts'])} - {b['synthetic_note']}")
    con.print(f"{info['nodes']:,} nodes, {info['edges']:,} edges")

    t = Table(title="Nodes by type")
    t.add_column("type")
    t.add_column("count", justify="right")
    t.add_column("financing supply", justify="right")
    sup = info["totals_yuan"]["financing_supply_by_type"]
    for k, v in info["nodes_by_type"].items():
        t.add_row(k, f"{v:,}", fmt_yuan(sup[k]) if k in sup else "")
    t.add_row("[bold]lenders total[/bold]", "", fmt_yuan(info["totals_yuan"]["financing_supply_lenders"]))
    con.print(t)

    t = Table(title="Edges by layer and kind")
    for c in ("layer", "kind", "count", "amount"):
        t.add_column(c, justify="right" if c in ("count", "amount") else "left")
    for r in info["edges_by_layer_kind"]:
        t.add_row(r["layer"], r["kind"], f"{r['count']:,}", fmt_yuan(r["amount_yuan"]))
    con.print(t)

    if info["provinces"]:
        t = Table(title="Provincial debt ratios (narrow = debt / fiscal capacity; broad adds LGFV debt)")
        for c in ("id", "province", "debt", "fiscal capacity", "narrow", "broad"):
            t.add_column(c, justify="left" if c in ("id", "province") else "right")
        for p in info["provinces"]:
            t.add_row(
                p["id"], f"{p['name_zh']} {p['name_en']}", fmt_yuan(p["debt_balance"]), fmt_yuan(p["fiscal_capacity"]),
                f"{p['debt_ratio_narrow']:.1%}", f"{p['debt_ratio_broad']:.1%}",
            )
        con.print(t)
        c = info["debt_ratio_counts"]
        con.print(
            "Provinces above 120% / 150% (narrow): "
            f"{c['narrow_above_120pct']} / {c['narrow_above_150pct']};  broad: "
            f"{c['broad_above_120pct']} / {c['broad_above_150pct']}"
        )
        con.print("(The brief's end-2025 figures, 14 / 7, rest on another denominator: see the bundle README.)")
