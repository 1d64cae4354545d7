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


#: The text of ``contagion info`` per language.
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "head": "[bold]{name}[/bold]  as of {as_of}  (declared unit {unit}, hash {hash})",
        "synthetic": "synthetic parts: {parts} - {note}", "counts": "{n} nodes, {e} edges",
        "t_types": "Nodes by type", "type": "type", "count": "count", "supply": "financing supply",
        "lenders": "lenders total", "t_edges": "Edges by layer and kind", "layer": "layer", "kind": "kind",
        "amount": "amount",
        "t_ratios": "Provincial debt ratios (narrow = debt / fiscal capacity; broad adds LGFV debt)",
        "id": "id", "province": "province", "debt": "debt", "fiscal": "fiscal capacity", "narrow": "narrow",
        "broad": "broad",
        "above": "Provinces above 120% / 150% (narrow): {n1} / {n2};  broad: {b1} / {b2}",
        "brief": "(The brief's end-2025 figures, 14 / 7, rest on another denominator: see the bundle README.)",
    },
    "zh": {
        "head": "[bold]{name}[/bold]  截至 {as_of}（声明单位 {unit}，哈希 {hash}）",
        "synthetic": "合成部分：{parts} - {note}", "counts": "{n} 个节点，{e} 条连边",
        "t_types": "按类型统计节点", "type": "类型", "count": "数量", "supply": "融资供给", "lenders": "放贷机构合计",
        "t_edges": "按图层与类型统计连边", "layer": "图层", "kind": "类型", "amount": "金额",
        "t_ratios": "各省债务率（窄口径 = 债务余额 / 综合财力；宽口径计入城投债务）",
        "id": "编号", "province": "省份", "debt": "债务余额", "fiscal": "综合财力", "narrow": "窄口径", "broad": "宽口径",
        "above": "债务率超过 120% / 150% 的省份（窄口径）：{n1} / {n2}；宽口径：{b1} / {b2}",
        "brief": "（报告中 2025 年末的 14 / 7 个省份采用另一分母口径：见数据集 README。）",
    },
}


def render_info(info: dict, lang: str = "en") -> None:
    """Print ``bundle_info`` as readable tables (rich); amounts by :mod:`engine.formatting`, one unit per column."""
    from rich.table import Table

    from .formatting import amount_scale
    from .i18n import translate
    from .summary import make_console

    T = TEXT[lang]
    con = make_console()
    b = info["bundle"]
    con.print(T["head"].format(name=b["name"], as_of=b["as_of"], unit=b["unit_declared"], hash=b["content_hash"][:12]))
    if b["synthetic_parts"]:
        con.print(T["synthetic"].format(parts="; ".join(translate(x, lang) for x in b["synthetic_parts"]),
                                        note=translate(b["synthetic_note"], lang)))
    con.print(T["counts"].format(n=f"{info['nodes']:,}", e=f"{info['edges']:,}"))

    sup = info["totals_yuan"]["financing_supply_by_type"]
    total = info["totals_yuan"]["financing_supply_lenders"]
    s = amount_scale([*sup.values(), total], lang)
    t = Table(title=T["t_types"])
    t.add_column(T["type"])
    t.add_column(T["count"], justify="right")
    t.add_column(s.header(T["supply"]), justify="right")
    for k, v in info["nodes_by_type"].items():
        t.add_row(k, f"{v:,}", s.number(sup[k]) if k in sup else "")
    t.add_row(f"[bold]{T['lenders']}[/bold]", "", s.number(total))
    con.print(t)

    rows = info["edges_by_layer_kind"]
    s = amount_scale([r["amount_yuan"] for r in rows], lang)
    t = Table(title=T["t_edges"])
    for key in ("layer", "kind", "count", "amount"):
        t.add_column(s.header(T[key]) if key == "amount" else T[key],
                     justify="right" if key in ("count", "amount") else "left")
    for r in rows:
        t.add_row(r["layer"], r["kind"], f"{r['count']:,}", s.number(r["amount_yuan"]))
    con.print(t)

    if info["provinces"]:
        ps = info["provinces"]
        s_debt = amount_scale([p["debt_balance"] for p in ps], lang)
        s_fis = amount_scale([p["fiscal_capacity"] for p in ps], lang)
        t = Table(title=T["t_ratios"])
        for key in ("id", "province", "debt", "fiscal", "narrow", "broad"):
            head = s_debt.header(T[key]) if key == "debt" else s_fis.header(T[key]) if key == "fiscal" else T[key]
            t.add_column(head, justify="left" if key in ("id", "province") else "right")
        for p in ps:
            name = p["name_zh"] if lang == "zh" else f"{p['name_zh']} {p['name_en']}"
            t.add_row(p["id"], name, s_debt.number(p["debt_balance"]), s_fis.number(p["fiscal_capacity"]),
                      f"{p['debt_ratio_narrow']:.1%}", f"{p['debt_ratio_broad']:.1%}")
        con.print(t)
        c = info["debt_ratio_counts"]
        con.print(T["above"].format(n1=c["narrow_above_120pct"], n2=c["narrow_above_150pct"],
                                    b1=c["broad_above_120pct"], b2=c["broad_above_150pct"]))
        con.print(T["brief"])
