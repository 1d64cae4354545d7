"""Printing and writing Monte Carlo studies and policy comparisons (no modelling here).

* :func:`render_study`, :func:`render_comparison` -- the terminal summaries (en / zh);
* :func:`study_json`, :func:`comparison_json` -- the documented JSON
  (``docs/result-schema.md``, "Monte Carlo study" and "Policy comparison");
* :func:`write_study`, :func:`write_comparison` -- ``--out`` folders, written atomically:
  the JSON, CSV tables and a histogram PNG.

Every amount goes through :mod:`engine.formatting`; CSVs hold plain yuan.
"""

from __future__ import annotations

import json
from pathlib import Path

from .formatting import amount_scale, fmt_amount, fmt_amounts, fmt_share

STUDY_SCHEMA = "contagion-engine/montecarlo"
COMPARISON_SCHEMA = "contagion-engine/comparison"
SCHEMA_VERSION = "1.0"

TEXT = {
    "en": {
        "title": "[bold]Monte Carlo study[/bold] {scenario} on {bundle}: {draws:,} draws, seed {seed}",
        "design": "  drawn: origin {origin}, severity {severity}, defaulting kinds {kinds}, parameters {params}, data failures sampled",
        "yes": "yes", "no": "no",
        "prob": "Contagion probability (>= {n} provinces hit within {h} h): [bold]{p}[/bold] (95 % CI {lo} - {hi}; {k} of {d} draws)",
        "t_risk": "Supply shrinkage over the draws", "measure": "", "total": "total", "funding": "funding",
        "supply_chain": "supply chain", "data": "data",
        "mean": "mean", "median": "median", "var95": "VaR 95 %", "es95": "ES 95 %", "var99": "VaR 99 %", "es99": "ES 99 %",
        "t_prov": "Provinces most often hit", "province": "province", "freq": "hit in", "origin_freq": "origin in",
        "q05": "first hit, 5 %", "q50": "median (h)", "q95": "95 %",
        "t_paths": "Most frequent paths (origin, then the first provinces hit)", "path": "path", "share": "share of draws",
        "contained": "  (no other province hit)",
        "synthetic": "  [dim]bundle parts that are synthetic: {v}[/dim]",
        "footer": "[dim]Definitions: docs/model.md, 'Monte Carlo'; --json prints everything, --out writes tables and a histogram.[/dim]",
        "c_title": "[bold]Policy comparison[/bold] on {draws:,} common draws (seed {seed}): {a}  vs  {b}",
        "c_prob": "Contagion probability (>= {n} provinces): {pa} -> {pb}, paired difference {d} (95 % CI {lo} to {hi}); "
                  "relative change [bold]{rel}[/bold] (95 % CI {rlo} to {rhi}); the brief: -42 %",
        "t_cmp": "Paired differences (b - a) of the amounts, mean over the draws",
        "t_cmp_counts": "Paired differences (b - a) of counts and spreads (bp), mean over the draws", "figure": "figure", "a": "a", "b": "b",
        "diff": "b - a", "ci": "95 % CI",
        "released": "Financing released through risk premia: {v} (95 % CI {lo} to {hi}); the brief: 2.3 trn yuan",
        "released_note": "  [dim]= credit demand held back by the spread widening ({e} % per 100 bp) that the levers remove; "
                         "the model's spreads come from repricing and fire sales.[/dim]",
        "avoided": "Effective supply shrinkage avoided: {v} (95 % CI {lo} to {hi})",
        "avoided_note": "  [dim]= the part of the 72-hour supply cut that lenders do not make when the levers are in place.[/dim]",
        "prob_note": "  [dim]the brief's -42 % and 2.3 trn come from the report's cited study; the engine's figures come from "
                     "its own mechanism on this bundle.[/dim]",
    },
    "zh": {
        "title": "[bold]蒙特卡洛模拟[/bold] {scenario}，数据集 {bundle}：{draws:,} 次抽样，随机种子 {seed}",
        "design": "  抽样内容：冲击源 {origin}，违约程度 {severity}，违约工具 {kinds}，参数 {params}，数据平台失效按抽样",
        "yes": "抽样", "no": "固定",
        "prob": "传染概率（{h} 小时内至少 {n} 个省份受波及）：[bold]{p}[/bold]（95% 置信区间 {lo} - {hi}；{d} 次中 {k} 次）",
        "t_risk": "各次抽样的有效供给收缩", "measure": "", "total": "合计", "funding": "资金链",
        "supply_chain": "供应链", "data": "数据链",
        "mean": "均值", "median": "中位数", "var95": "VaR 95%", "es95": "ES 95%", "var99": "VaR 99%", "es99": "ES 99%",
        "t_prov": "最常受波及的省份", "province": "省份", "freq": "受波及比例", "origin_freq": "作为冲击源比例",
        "q05": "首次受波及 5%", "q50": "中位数（小时）", "q95": "95%",
        "t_paths": "最常见的传导路径（冲击源及最先受波及的省份）", "path": "路径", "share": "抽样占比",
        "contained": "  （未波及其他省份）",
        "synthetic": "  [dim]数据集中的合成部分：{v}[/dim]",
        "footer": "[dim]定义见 docs/model.md “Monte Carlo”；--json 输出全部结果，--out 写出表格与直方图。[/dim]",
        "c_title": "[bold]政策比较[/bold]：{draws:,} 次共同抽样（随机种子 {seed}）：{a}  对比  {b}",
        "c_prob": "传染概率（至少 {n} 个省份）：{pa} -> {pb}，配对差 {d}（95% 置信区间 {lo} 至 {hi}）；"
                  "相对变化 [bold]{rel}[/bold]（95% 置信区间 {rlo} 至 {rhi}）；报告：-42%",
        "t_cmp": "金额的配对差（b - a），各次抽样的均值",
        "t_cmp_counts": "计数与利差（基点）的配对差（b - a），各次抽样的均值", "figure": "指标", "a": "a", "b": "b", "diff": "b - a", "ci": "95% 置信区间",
        "released": "经由风险溢价释放的融资：{v}（95% 置信区间 {lo} 至 {hi}）；报告：2.3 万亿元",
        "released_note": "  [dim]= 政策工具消除的利差扩大（每 100 个基点 {e}%）所抑制的信贷需求；模型中的利差来自重新定价与抛售。[/dim]",
        "avoided": "避免的有效供给收缩：{v}（95% 置信区间 {lo} 至 {hi}）",
        "avoided_note": "  [dim]= 政策工具到位时放贷机构在 72 小时内不再做出的那部分供给收缩。[/dim]",
        "prob_note": "  [dim]报告中的 -42% 与 2.3 万亿元来自其引用的研究；引擎的数字来自其自身机制在本数据集上的运行。[/dim]",
    },
}
FIGURE_NAMES = {
    "en": {"provinces_hit": "provinces hit", "shrinkage_yuan": "supply shrinkage", "shrinkage_funding_yuan": "  funding",
           "shrinkage_supply_chain_yuan": "  supply chain", "shrinkage_data_yuan": "  data", "firms_halted": "firms halted",
           "firms_losing_receivables_financing": "firms losing receivables financing",
           "data_platforms_failed": "data platforms failed", "wmp_redemptions_yuan": "WMP redemptions",
           "spread_change_bp": "spread change (bp)", "demand_held_back_yuan": "credit demand held back"},
    "zh": {"provinces_hit": "受波及省份", "shrinkage_yuan": "有效供给收缩", "shrinkage_funding_yuan": "  资金链",
           "shrinkage_supply_chain_yuan": "  供应链", "shrinkage_data_yuan": "  数据链", "firms_halted": "停产企业",
           "firms_losing_receivables_financing": "失去应收账款融资的企业", "data_platforms_failed": "失效数据平台",
           "wmp_redemptions_yuan": "理财赎回", "spread_change_bp": "利差变化（基点）", "demand_held_back_yuan": "被抑制的信贷需求"},
}


def study_json(summary: dict, meta: dict) -> dict:
    return {"schema": STUDY_SCHEMA, "schema_version": SCHEMA_VERSION, **meta, "study": summary}


def comparison_json(cmp: dict, meta: dict) -> dict:
    return {"schema": COMPARISON_SCHEMA, "schema_version": SCHEMA_VERSION, **meta, "comparison": cmp}


def dumps(doc: dict) -> str:
    """Deterministic JSON (sorted keys): a fixed seed gives byte-identical files."""
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False) + "\n"


def render_study(summary: dict, meta: dict, lang: str = "en", console=None) -> None:
    from rich.table import Table

    from .i18n import translate
    from .summary import make_console

    T = TEXT[lang]
    con = console or make_console()
    d = meta["design"]
    con.print(T["title"].format(scenario=meta["scenario"]["name"], bundle=meta["bundle"]["name"], draws=summary["draws"], seed=d["seed"]))
    yn = lambda b: T["yes"] if b else T["no"]  # noqa: E731
    con.print(T["design"].format(origin=d["origin"], severity=d["severity"], kinds=d["kinds"], params=yn(d["parameters"])))
    if meta["bundle"].get("synthetic_parts"):
        con.print(T["synthetic"].format(v="; ".join(translate(p, lang) for p in meta["bundle"]["synthetic_parts"])))
    lo, hi = summary["contagion_ci95"]
    con.print("\n" + T["prob"].format(n=summary["min_provinces"], h=meta["scenario"]["horizon_hours"],
                                      p=fmt_share(summary["contagion_probability"], lang), lo=fmt_share(lo, lang),
                                      hi=fmt_share(hi, lang), k=summary["contagion_events"], d=summary["draws"]))
    rows = [("total", summary["shrinkage_yuan"])] + [(c, summary["shrinkage_by_channel_yuan"][c]) for c in ("funding", "supply_chain", "data")]
    keys = ("mean", "median", "var95", "es95", "var99", "es99")
    t = Table(title=T["t_risk"])
    t.add_column(T["measure"])
    scales = {k: amount_scale([r[k] for _, r in rows], lang) for k in keys}
    for k in keys:
        t.add_column(scales[k].header(T[k]), justify="right")
    for name, r in rows:
        t.add_row(T[name], *[scales[k].number(r[k]) for k in keys])
    con.print(t)
    t = Table(title=T["t_prov"])
    for c in ("province", "freq", "origin_freq", "q05", "q50", "q95"):
        t.add_column(T[c], justify="left" if c == "province" else "right")
    hr = lambda v: "-" if v is None else f"{v:.0f}"  # noqa: E731
    for r in summary["provinces"][:10]:
        t.add_row(r["id"], fmt_share(r["hit_frequency"], lang), fmt_share(r["origin_frequency"], lang),
                  hr(r["first_hit_hour_q05"]), hr(r["first_hit_hour_median"]), hr(r["first_hit_hour_q95"]))
    con.print(t)
    t = Table(title=T["t_paths"])
    t.add_column(T["path"])
    t.add_column(T["share"], justify="right")
    for r in summary["paths"][:8]:
        t.add_row(r["path"] + (T["contained"] if r.get("contained") else ""), fmt_share(r["share"], lang))
    con.print(t)
    con.print(T["footer"])


def render_comparison(cmp: dict, meta: dict, lang: str = "en", console=None) -> None:
    from rich.table import Table

    from .summary import make_console

    T, names = TEXT[lang], FIGURE_NAMES[lang]
    con = console or make_console()
    con.print(T["c_title"].format(draws=cmp["draws"], seed=cmp["seed"], a=cmp["a"], b=cmp["b"]))
    cp = cmp["contagion_probability"]
    rel = cp["relative_change"]
    rci = cp["relative_change_ci95"] or [None, None]
    pct = lambda v: "-" if v is None else f"{v:+.0%}"  # noqa: E731
    con.print("\n" + T["c_prob"].format(n=cmp["min_provinces"], pa=fmt_share(cp["a"], lang), pb=fmt_share(cp["b"], lang),
                                        d=f"{cp['difference']:+.3f}", lo=f"{cp['ci95'][0]:+.3f}", hi=f"{cp['ci95'][1]:+.3f}",
                                        rel=pct(rel), rlo=pct(rci[0]), rhi=pct(rci[1])))
    for key, text, note in (("financing_released_yuan", "released", "released_note"),
                            ("supply_shrinkage_avoided_yuan", "avoided", "avoided_note")):
        r = cmp[key]
        v, lo, hi = fmt_amounts([r["difference"], *r["ci95"]], lang)
        con.print(T[text].format(v=v, lo=lo, hi=hi))
        from .montecarlo import DEMAND_SEMI_ELASTICITY

        con.print(T[note].format(e=DEMAND_SEMI_ELASTICITY))
    con.print(T["prob_note"])
    amounts = {k: r for k, r in cmp["figures"].items() if k.endswith("_yuan")}
    others = {k: r for k, r in cmp["figures"].items() if k not in amounts}
    # two tables, so that every column has one unit: amounts (the scale named in each header), then counts and bp
    cols = {c: amount_scale([r[c] for r in amounts.values()], lang) for c in ("a", "b", "difference")}
    ci_scale = amount_scale([v for r in amounts.values() for v in r["ci95"]], lang)
    for title, rows, units in ((T["t_cmp"], amounts, True), (T["t_cmp_counts"], others, False)):
        if not rows:
            continue
        t = Table(title=title)
        t.add_column(T["figure"])
        for c, key in (("a", "a"), ("b", "b"), ("difference", "diff")):
            t.add_column(f"{T[key]} ({cols[c].unit})" if units else T[key], justify="right")
        t.add_column(f"{T['ci']} ({ci_scale.unit})" if units else T["ci"], justify="right")
        for k, r in rows.items():
            if units:
                a, b, d = (cols[c].number(r[c]) for c in ("a", "b", "difference"))
                lo, hi = (ci_scale.number(v) for v in r["ci95"])
            else:
                a, b, d, lo, hi = (f"{v:,.1f}" for v in (r["a"], r["b"], r["difference"], *r["ci95"]))
            t.add_row(names[k], a, b, d, f"{lo} .. {hi}")
        con.print(t)


def histogram_png(values, path: Path, lang: str = "en", title: str = "") -> None:
    """Histogram of the draws' supply shrinkage (unit chosen by the formatter)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .report.charts import cjk_font  # the report's CJK font lookup

    font = cjk_font() if lang == "zh" else None
    lang = "zh" if font else "en"  # no CJK font installed: English labels rather than boxes
    s = amount_scale(values, lang)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    kw = {"fontfamily": font} if font else {}
    ax.hist([v / s.factor for v in values], bins=40, color="#b2182b", alpha=0.85)
    ax.set_xlabel(("有效供给收缩" if lang == "zh" else "supply shrinkage") + f" ({s.unit})", **kw)
    ax.set_ylabel("抽样次数" if lang == "zh" else "draws", **kw)
    if title:
        ax.set_title(title, **kw)
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)


def write_study(out: Path, outcomes, summary: dict, meta: dict, lang: str = "en") -> Path:
    """``summary.json``, ``draws.csv``, ``provinces.csv``, ``paths.csv`` and ``shrinkage.png``, atomically."""
    import pandas as pd

    from .atomic import atomic_folder
    from .montecarlo import draws_table

    with atomic_folder(Path(out)) as tmp:
        (tmp / "summary.json").write_text(dumps(study_json(summary, meta)), encoding="utf-8")
        draws_table(outcomes).to_csv(tmp / "draws.csv", index=False, encoding="utf-8")
        pd.DataFrame(summary["provinces"]).to_csv(tmp / "provinces.csv", index=False, encoding="utf-8")
        pd.DataFrame(summary["paths"]).to_csv(tmp / "paths.csv", index=False, encoding="utf-8")
        histogram_png(outcomes.figures["shrinkage_yuan"], tmp / "shrinkage.png", lang, meta["scenario"]["name"])
    return Path(out)


def write_comparison(out: Path, cmp: dict, meta: dict) -> Path:
    """``comparison.json`` and ``figures.csv`` (one row per figure: a, b, difference, CI), atomically."""
    import pandas as pd

    from .atomic import atomic_folder

    rows = [{"figure": k, **{x: r[x] for x in ("a", "b", "difference")}, "ci95_low": r["ci95"][0], "ci95_high": r["ci95"][1]}
            for k, r in {"contagion_probability": cmp["contagion_probability"], **cmp["figures"],
                         "financing_released_yuan": cmp["financing_released_yuan"],
                         "supply_shrinkage_avoided_yuan": cmp["supply_shrinkage_avoided_yuan"]}.items()]
    with atomic_folder(Path(out)) as tmp:
        (tmp / "comparison.json").write_text(dumps(comparison_json(cmp, meta)), encoding="utf-8")
        pd.DataFrame(rows).to_csv(tmp / "figures.csv", index=False, encoding="utf-8")
    return Path(out)


def study_meta(graph, scenario, design, params_label: str, seconds: float | None = None) -> dict:
    """The run header of a study or comparison (bundle, scenario, design, parameters)."""
    from . import __version__
    from .result import _bundle_meta

    d = {"draws": design.draws, "seed": design.seed, "origin": design.origin, "severity": design.severity,
         "kinds": design.kinds, "parameters": design.parameters, "min_provinces": design.min_provinces,
         "block": design.block}
    return {"engine_version": __version__, "bundle": _bundle_meta(graph.meta),
            "scenario": {"name": scenario.name, "description": scenario.description, "path": scenario.path,
                         "horizon_hours": scenario.horizon_hours, "policies": dict(scenario.policies)},
            "design": d, "parameters_file": params_label}


__all__ = ["render_study", "render_comparison", "write_study", "write_comparison", "study_json", "comparison_json",
           "study_meta", "dumps", "fmt_amount"]
