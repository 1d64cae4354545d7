"""What an outlook says, for machines (JSON, CSV) and for people (terminal summary, PNG chart).

Rendering takes an :class:`~engine.outlook.runner.OutlookResult` and a path; it does no
modelling.  Amounts go through :mod:`engine.formatting` (one unit per column or per list
of figures shown together; bn / trn yuan in English, 亿元 / 万亿元 in Chinese); CSV files
hold plain yuan in ``_yuan`` columns and leave an hour that did not happen empty.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..formatting import amount_scale, fmt_share, table_value

SCHEMA_VERSION = 1

#: What the embedded dataset's figures are (shown with every outlook on it).
DATA_NOTE = {
    "en": "Provincial debt, fiscal capacity and GDP are real compiled data (S1/S2, 2024; history 2019-2025); "
          "the institutions, firms, platforms and exposures of the bundle are synthetic, so the stressed-quarter "
          "figures illustrate the mechanism and are not statements about real institutions.",
    "zh": "省级债务、综合财力与 GDP 为真实汇编数据（S1/S2，2024 年；历史 2019-2025 年）；数据集中的机构、企业、"
          "平台及其敞口均为合成数据，压力季度的结果用于说明传导机制，不代表任何真实机构。",
}
_OTHER_NOTE = {
    "en": "Bundle parts marked synthetic: {parts}. The fit uses the provincial history {history}.",
    "zh": "数据集中标注为合成的部分：{parts}。拟合使用的省级历史数据：{history}。",
}


def data_note(result, lang: str = "en") -> str:
    """The provenance note: the embedded dataset's, or the bundle's own synthetic parts."""
    m = result.meta
    if m.get("bundle") == "china-2026":
        return DATA_NOTE[lang]
    parts = ", ".join(m.get("synthetic_parts") or []) or ("none declared" if lang == "en" else "未声明")
    return _OTHER_NOTE[lang].format(parts=parts, history=m.get("history"))


# ----------------------------------------------------------------------------------
# per-quarter series of one path
# ----------------------------------------------------------------------------------
def _capabilities(result, st):
    """Per province: mean data capability of its platforms, supply-weighted capability of its local lenders."""
    inp = result.inputs
    P = inp.P
    plat = np.full(P, np.nan)
    for p in range(P):
        m = inp.platform_province == p
        if m.any():
            plat[p] = float(st.capability_D[m, 0].mean())
    lend = np.full(P, np.nan)
    w = inp.supply0.sum(axis=1)
    for p in range(P):
        m = inp.lender_province == p
        if m.any() and w[m].sum() > 0:
            lend[p] = float((st.capability_L[m, 0] * w[m]).sum() / w[m].sum())
    comp = np.full(P, np.nan)
    for p in range(P):
        m = inp.platform_province == p
        if m.any():
            comp[p] = float(min(1.0, inp.compliance0_D[m].mean() + st.compliance_rise[0]))
    return plat, lend, comp


def province_table(result) -> pd.DataFrame:
    """One row per set, variant, quarter and province (the CSV ``provinces.csv``)."""
    rows = []
    warn = result.cascade_params.warning_line
    for path in result.paths:
        for q, st in enumerate(path.states):
            plat, lend, comp = _capabilities(result, st)
            stress = path.stress.get(q)
            for i, pid in enumerate(result.province_ids):
                hit = stress.get("hit_hour", {}).get(str(pid)) if stress and "hit_hour" in stress else None
                rows.append({
                    "set": path.set_name, "variant": path.variant, "q": q, "quarter": result.labels[q],
                    "date": result.days[q].isoformat(), "province": str(pid),
                    "debt_yuan": float(st.debt[i, 0]), "fiscal_capacity_yuan": float(st.capacity[i, 0]),
                    "tax_base_yuan": float(st.tax_base[i, 0]), "other_capacity_yuan": float(st.other_capacity[i, 0]),
                    "debt_ratio": float(st.ratio[i, 0]), "above_warning_line": bool(st.ratio[i, 0] > warn),
                    "compliance_funding": float(st.subsidy[i, 0]), "compliance_cost_ratio": comp[i],
                    "data_capability_platform": plat[i], "data_capability_local_lenders": lend[i],
                    "policy_task_share": float(st.policy_share[i, 0]), "npl": float(st.npl[i, 0]),
                    "supply_yuan": float(st.supply[i, 0]), "supply_lost_data_yuan": float(st.lost_data[i, 0]),
                    "supply_cut_credit_yuan": float(st.cut_credit[i, 0]), "supply_shortfall": float(st.shortfall[i, 0]),
                    "output_yuan": float(st.output[i, 0]), "stressed": stress is not None and "hit_hour" in stress,
                    "stress_hit_hour": hit,
                    "stress_shrinkage_yuan": stress["province_shrinkage_yuan"].get(str(pid)) if stress and "hit_hour" in stress else None,
                })
    df = pd.DataFrame(rows)
    df["stress_hit_hour"] = pd.array(df["stress_hit_hour"], dtype="Int64")
    return df


def national(result, path) -> list[dict]:
    """Per quarter: counts above the lines and national totals of one path."""
    cp = result.cascade_params
    out = []
    for q, st in enumerate(path.states):
        r = st.ratio[:, 0]
        w = result.inputs.gdp_weight
        s = path.stress.get(q, {})
        c = path.contagion.get(q, {})
        out.append({
            "q": q, "quarter": result.labels[q], "date": result.days[q].isoformat(),
            "above_warning": int((r > cp.warning_line).sum()), "above_high": int((r > cp.high_debt_threshold).sum()),
            "median_debt_ratio": float(np.median(r)),
            "national_debt_ratio": float(st.debt[:, 0].sum() / st.capacity[:, 0].sum()),
            "debt_yuan": float(st.debt[:, 0].sum()), "fiscal_capacity_yuan": float(st.capacity[:, 0].sum()),
            "tax_base_yuan": float(st.tax_base[:, 0].sum()), "output_yuan": float(st.output[:, 0].sum()),
            "supply_yuan": float(st.supply[:, 0].sum()), "supply_lost_data_yuan": float(st.lost_data[:, 0].sum()),
            "supply_cut_credit_yuan": float(st.cut_credit[:, 0].sum()), "supply_shortfall": national_shortfall(result, st),
            "compliance_funding_gdp_weighted": float((st.subsidy[:, 0] * w).sum()),
            "data_capability_platforms_mean": float(st.capability_D[:, 0].mean()) if st.capability_D.size else None,
            "npl_gdp_weighted": float((st.npl[:, 0] * w).sum()),
            "policy_task_share_gdp_weighted": float((st.policy_share[:, 0] * w).sum()),
            "central_cloud": float(st.cloud[0]),
            "stressed": "provinces_hit" in s, "provinces_hit": s.get("provinces_hit"), "shrinkage_yuan": s.get("shrinkage_yuan"),
            "shrinkage_by_channel_yuan": s.get("shrinkage_by_channel_yuan"), "stress_origin": s.get("origin"),
            "stress_skipped": s.get("skipped"),
            "contagion_probability": c.get("probability"), "contagion_ci95": c.get("ci95"),
            "contagion_draws": c.get("draws"),
        })
    return out


def national_shortfall(result, st, j: int = 0) -> float:
    """Share of the national trend supply the loop takes away: (lost + cut) / trend."""
    trend = float(result.inputs.supply0_P.sum() * st.supply_index[j])
    return float((st.lost_data[:, j].sum() + st.cut_credit[:, j].sum()) / trend) if trend > 0 else 0.0


def year_rows(result, path) -> list[dict]:
    """Each year's last quarter: provinces above 120 % / 150 % (with their ids)."""
    cp = result.cascade_params
    out = []
    for year, q in result.year_quarters():
        r = path.states[q].ratio[:, 0]
        ids = result.province_ids
        out.append({"year": year, "q": q, "quarter": result.labels[q], "above_warning": int((r > cp.warning_line).sum()),
                    "above_high": int((r > cp.high_debt_threshold).sum()),
                    "provinces_above_warning": [str(p) for p in ids[r > cp.warning_line]],
                    "provinces_above_high": [str(p) for p in ids[r > cp.high_debt_threshold]]})
    return out


def movers(result, path, top: int = 5) -> list[dict]:
    """Provinces whose debt ratio rises (or falls) most from the as-of date to the last quarter."""
    a, b = path.states[0].ratio[:, 0], path.states[-1].ratio[:, 0]
    order = np.argsort(-(b - a), kind="stable")[:top]
    return [{"province": str(result.province_ids[i]), "ratio_start": float(a[i]), "ratio_end": float(b[i]),
             "change": float(b[i] - a[i])} for i in order]


# ----------------------------------------------------------------------------------
# JSON
# ----------------------------------------------------------------------------------
def _clean(v):
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if not np.isfinite(f) else f
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.ndarray):
        return _clean(v.tolist())
    return v


def result_json(result) -> dict:
    """The machine-readable outlook (schema: docs/model.md, "Outlook output").

    Timings are left out (they differ from run to run): the same seed gives byte-identical JSON.
    """
    from .parameters import describe
    from .sets import DRIVERS

    pol = result.policy
    paths = []
    for path in result.paths:
        paths.append({
            "set": path.set_name, "variant": path.variant, "drivers": path.drivers,
            "national": national(result, path), "years": year_rows(result, path), "movers": movers(result, path),
            "provinces": _province_columns(result, path),
        })
    bands = [{"set": s, "variant": v, "draws": b["draws"], "quantiles": [0.05, 0.5, 0.95],
              "series": {k: x for k, x in b.items() if k != "draws"}} for (s, v), b in result.bands.items()]
    return _clean({
        "schema_version": SCHEMA_VERSION,
        "meta": {**result.meta, "data_note": data_note(result)},
        "quarters": [{"q": q, "label": result.labels[q], "end": d.isoformat()} for q, d in enumerate(result.days)],
        "stress_quarters": result.stress_quarters, "contagion_quarters": result.contagion_quarters,
        "fit": result.fit.summary(), "calibration": result.calibration,
        "parameters": describe(result.params), "drivers": [{"name": k, **v} for k, v in DRIVERS.items()],
        "sets": [{"name": s.name, "description": s.description, "ranges": s.ranges, "values": s.values,
                  "cascade": s.cascade, "fit_uncertainty": s.fit_uncertainty} for s in result.sets],
        "policy": None if pol is None else {
            "name": pol.name, "description": pol.description,
            "levers": [{"lever": lv.lever, "value": lv.value, "start": lv.start.isoformat(), "full": lv.full.isoformat(),
                        "key_nodes": lv.key_nodes} for lv in pol.levers],
            "key_nodes": list(result.meta.get("key_nodes") or [])},
        "paths": paths, "bands": bands, "comparison": result.comparison,
    })


def _province_columns(result, path) -> dict:
    """Per-province series of a path, columnar: each field is a list over quarters of lists over provinces."""
    fields = {"debt_ratio": "ratio", "debt_yuan": "debt", "fiscal_capacity_yuan": "capacity", "tax_base_yuan": "tax_base",
              "output_yuan": "output", "supply_yuan": "supply", "compliance_funding": "subsidy",
              "policy_task_share": "policy_share", "npl": "npl", "supply_shortfall": "shortfall"}
    out = {"ids": [str(p) for p in result.province_ids]}
    for name, attr in fields.items():
        out[name] = [getattr(st, attr)[:, 0].tolist() for st in path.states]
    out["data_capability_platform"] = [_capabilities(result, st)[0].tolist() for st in path.states]
    return out


# ----------------------------------------------------------------------------------
# CSV folder
# ----------------------------------------------------------------------------------
def quarter_table(result) -> pd.DataFrame:
    rows = []
    for path in result.paths:
        for r in national(result, path):
            ch = r.pop("shrinkage_by_channel_yuan") or {}
            ci = r.pop("contagion_ci95") or [None, None]
            origin = r.pop("stress_origin")
            rows.append({"set": path.set_name, "variant": path.variant, **r,
                         "stress_origin": ",".join(origin) if origin else None,
                         **{f"shrinkage_{k}_yuan": ch.get(k) for k in ("funding", "supply_chain", "data")},
                         "contagion_ci95_low": ci[0], "contagion_ci95_high": ci[1]})
    df = pd.DataFrame(rows)
    for c in ("provinces_hit", "contagion_draws"):
        df[c] = pd.array(df[c], dtype="Int64")
    return df


def band_table(result) -> pd.DataFrame:
    rows = []
    for (s, v), b in result.bands.items():
        for name, per_q in b.items():
            if name == "draws":
                continue
            for q, (lo, mid, hi) in enumerate(per_q):
                rows.append({"set": s, "variant": v, "q": q, "quarter": result.labels[q], "series": name,
                             "draws": b["draws"], "p05": lo, "p50": mid, "p95": hi})
    return pd.DataFrame(rows, columns=["set", "variant", "q", "quarter", "series", "draws", "p05", "p50", "p95"])


def comparison_table(result) -> pd.DataFrame:
    comp = result.comparison
    rows = []
    for s, c in (comp.get("sets") or {}).items():
        for r in c["quarters"]:
            rows.append({"set": s, "quarter": r["quarter"], "without": r.get("without"), "with": r.get("with"),
                         "change": r.get("change"), "brief_change": comp["brief_change"], "skipped": r.get("skipped")})
        rows.append({"set": s, "quarter": "pooled", "without": c["without"], "with": c["with"], "change": c["change"],
                     "brief_change": comp["brief_change"], "skipped": None})
    return pd.DataFrame(rows, columns=["set", "quarter", "without", "with", "change", "brief_change", "skipped"])


def _csv(df: pd.DataFrame, path: Path) -> None:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c].dtype):
            out[c] = [table_value(v) for v in out[c]]
    out.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def check_out(out: str | Path) -> Path:
    """Refuse an ``--out`` that cannot take an outlook, before the run (nothing is written)."""
    from ..atomic import check_writable
    from ..errors import InputError

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not (out / "outlook.json").exists():
        raise InputError(f"{out}: folder is not empty and holds no earlier outlook; refusing to overwrite it")
    check_writable(out, "outlook folder")
    return out


def write_outlook(result, out: str | Path, lang: str = "en") -> Path:
    """Write ``outlook.json``, the CSV tables and ``outlook.png`` into ``out`` (atomically)."""
    from ..atomic import atomic_folder

    out = check_out(out)
    with atomic_folder(out) as tmp:
        with open(tmp / "outlook.json", "w", encoding="utf-8") as fh:
            json.dump(result_json(result), fh, ensure_ascii=False, indent=2)
            fh.write("\n")
        _csv(province_table(result), tmp / "provinces.csv")
        _csv(quarter_table(result), tmp / "quarters.csv")
        _csv(band_table(result), tmp / "bands.csv")
        _csv(comparison_table(result), tmp / "comparison.csv")
        (tmp / "outlook.png").write_bytes(chart_png(result, lang=lang))
    return out


# ----------------------------------------------------------------------------------
# chart
# ----------------------------------------------------------------------------------
SET_COLOURS = {"base": "#1f4e79", "optimistic": "#548235", "stress": "#c00000"}
_CHART_TEXT = {
    "en": {"ratio": "debt ratio (debt / comprehensive fiscal capacity)", "shrink": "stressed-quarter supply shrinkage",
           "warning": "120 % warning line", "high": "150 %", "median": "median province", "policy": "with ",
           "provinces": "provinces ({set})", "title": "Outlook {a}-{b}: debt ratios and the stress run each stressed quarter",
           "synthetic": "synthetic institution layer: the shrinkage illustrates the mechanism"},
    "zh": {"ratio": "债务率（债务余额 / 综合财力）", "shrink": "压力季度有效供给收缩", "warning": "120% 警戒线", "high": "150%",
           "median": "省份中位数", "policy": "含 ", "provinces": "各省（{set}）",
           "title": "{a}-{b} 展望：债务率与各压力季度的冲击结果", "synthetic": "机构层为合成数据：收缩额仅用于说明机制"},
}


def _plain(text: str) -> str:
    """A user-given name as literal chart text (no mathtext)."""
    return str(text).replace("$", r"\$")


def chart_png(result, lang: str = "en") -> bytes:
    """PNG of the debt ratios (median per set with its Monte Carlo band, each province of the first set, the
    120 % / 150 % lines) and of the stressed quarters' supply shrinkage per set, without and with the policy."""
    from ..report.charts import _amount_axis, _png, _scale, _style, cjk_font

    use_zh = lang == "zh" and cjk_font() is not None
    t = _CHART_TEXT["zh" if use_zh else "en"]
    with _style("zh" if use_zh else "en"):
        from matplotlib.figure import Figure

        fig = Figure(figsize=(8.0, 6.4), dpi=120)
        fig.subplots_adjust(left=0.1, right=0.97, top=0.89, bottom=0.08, hspace=0.38)
        ax1, ax2 = fig.add_subplot(2, 1, 1), fig.add_subplot(2, 1, 2)
        x = np.arange(len(result.days))
        labels = [lab if q == 0 else lab for q, lab in enumerate(result.labels)]
        first = result.sets[0].name
        p0 = result.path(first, "none")
        ratios = np.array([st.ratio[:, 0] for st in p0.states])
        for i in range(ratios.shape[1]):
            ax1.plot(x, 100 * ratios[:, i], color="#b0b7bf", linewidth=0.6,
                     label=t["provinces"].format(set=_plain(first)) if i == 0 else None)
        for s in result.sets:
            col = SET_COLOURS.get(s.name, "#555555")
            path = result.path(s.name, "none")
            med = [100 * float(np.median(st.ratio[:, 0])) for st in path.states]
            ax1.plot(x, med, color=col, linewidth=2.0, label=f"{_plain(s.name)}: {t['median']}")
            band = result.bands.get((s.name, "none"))
            if band:
                lo = [100 * v[0] for v in band["median_ratio"]]
                hi = [100 * v[2] for v in band["median_ratio"]]
                ax1.fill_between(x, lo, hi, color=col, alpha=0.15, linewidth=0)
        ax1.axhline(100 * result.cascade_params.warning_line, color="#7f7f7f", linestyle="--", linewidth=1,
                    label=t["warning"])
        ax1.axhline(100 * result.cascade_params.high_debt_threshold, color="#7f7f7f", linestyle=":", linewidth=1,
                    label=t["high"])
        ax1.set_ylabel("%")
        ax1.set_title(t["ratio"], fontsize=10)
        ax1.legend(loc="upper left", fontsize=7, ncol=2, frameon=False)
        vals = []
        for s in result.sets:
            col = SET_COLOURS.get(s.name, "#555555")
            for variant, style in (("none", "-"), ("policy", "--")):
                try:
                    path = result.path(s.name, variant)
                except KeyError:
                    continue
                qs = sorted(q for q, v in path.stress.items() if "shrinkage_yuan" in v)
                ys = [path.stress[q]["shrinkage_yuan"] for q in qs]
                vals += ys
                name = _plain(s.name) if variant == "none" else f"{_plain(s.name)}, {t['policy']}{_plain(result.policy.name)}"
                ax2.plot(qs, ys, linestyle=style, marker="o", markersize=3, color=col, label=name)
        scale = _scale(vals or [0.0], "zh" if use_zh else "en")
        _amount_axis(ax2.yaxis, scale)
        ax2.set_title(t["shrink"], fontsize=10)
        ax2.legend(loc="best", fontsize=7, frameon=False)
        ax2.text(0.99, 0.02, t["synthetic"], transform=ax2.transAxes, ha="right", va="bottom", fontsize=7, color="#7f7f7f")
        step = max(1, len(x) // 10)
        for ax in (ax1, ax2):
            ax.set_xticks(x[::step])
            ax.set_xticklabels([labels[i].replace("as of ", "") for i in x[::step]], fontsize=7)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        fig.suptitle(t["title"].format(a=result.labels[1] if len(x) > 1 else "", b=result.labels[-1]), fontsize=11)
        return _png(fig)


# ----------------------------------------------------------------------------------
# terminal summary
# ----------------------------------------------------------------------------------
TEXT = {
    "en": {
        "title": "[bold]Outlook[/bold] {a}-{b} on {bundle} (as of {as_of}): {Q} quarters x {P} provinces; sets {sets}; "
                 "policy {policy}; stress scenario {scenario}; seed {seed}",
        "fit": "Fit to the provincial history {y0}-{y1} (S1/S2): {n} parameters on {obs} province-year transitions; debt "
               "ratio one year ahead RMSE {fit} pp ({fy}), held-out {hy}: {hold} pp (bias {bias} pp; above 120 % / 150 %: "
               "{hp} predicted, {ha} actual); free run {y0}-{y1}: {dyn} pp.",
        "later": "Out of sample, the {year} debt balance: {nat} nationally, {rel} RMSE across provinces.",
        "calib": "Calibrated: output elasticity {alpha} (history's growth gap {beta} per unit of debt ratio, se {se}), "
                 "supply elasticity {es} (18.7 -> 32.4 trn in 5 years), policy-task share 18.5 % / 39.2 %.",
        "t_years": "Provinces above 120 % / 150 % debt ratio (year end; [dim]150 %: 5-95 % of {draws} Monte Carlo paths[/dim])",
        "year": "year", "movers": "Largest movers ({set}, {a} -> {b}): {items}",
        "t_stress": "Stressed quarters: {scenario} on each quarter's graph (provinces hit; supply shrinkage)",
        "quarter": "quarter", "with": "with", "skipped": "skipped",
        "t_contagion": "Contagion probability (>= {k} provinces hit; {n} draws each) at the stressed year ends {a}-{b}",
        "without": "without", "change": "change",
        "claim": "[bold]Remedies by 2027, stressed {a}-{b}[/bold]: contagion probability {items}; the brief claims {brief}.",
        "t_policy": "The policy year by year ({set}): effective financing supply and its loop shortfall",
        "supply": "supply", "shortfall": "shortfall", "diff": "difference",
        "timing": "Ran in {total:.1f} s: fit and calibration {fit:.1f} s, loop {loop:.2f} s, {n} stress runs {stress:.1f} s, "
                  "{m} contagion estimates {mc:.1f} s, Monte Carlo bands {bands:.1f} s.",
        "none": "none",
        "footer": "[dim]Equations and sources: docs/model.md, 'Outlook'; --json prints everything, --out writes CSV tables "
                  "and the chart.[/dim]",
    },
    "zh": {
        "title": "[bold]展望[/bold] {a}-{b}，数据集 {bundle}（截至 {as_of}）：{Q} 个季度 x {P} 个省份；情景组 {sets}；"
                 "政策 {policy}；冲击情景 {scenario}；随机种子 {seed}",
        "fit": "拟合 {y0}-{y1} 年省级历史数据（S1/S2）：{n} 个参数，{obs} 个省份-年度变化；债务率一年期预测 RMSE {fit} 个百分点"
               "（{fy}），留出年 {hy}：{hold} 个百分点（偏差 {bias} 个百分点；超过 120% / 150%：预测 {hp}，实际 {ha}）；"
               "{y0}-{y1} 年自由模拟：{dyn} 个百分点。",
        "later": "样本外检验，{year} 年债务余额：全国 {nat}，各省 RMSE {rel}。",
        "calib": "校准：产出弹性 {alpha}（历史增长差距为每单位债务率 {beta}，标准误 {se}），供给弹性 {es}"
                 "（5 年内 18.7 -> 32.4 万亿元），政策性任务贷款占比 18.5% / 39.2%。",
        "t_years": "债务率超过 120% / 150% 的省份数（年末；[dim]150%：{draws} 条蒙特卡洛路径的 5%-95% 分位[/dim]）",
        "year": "年份", "movers": "变化最大的省份（{set}，{a} -> {b}）：{items}",
        "t_stress": "压力季度：在各季度的网络上运行 {scenario}（受波及省份；有效供给收缩）",
        "quarter": "季度", "with": "含", "skipped": "未运行",
        "t_contagion": "传染概率（至少 {k} 个省份受波及；每次 {n} 次抽样），{a}-{b} 年末压力季度",
        "without": "无政策", "change": "变化",
        "claim": "[bold]2027 年前落实各项措施，{a}-{b} 年承压[/bold]：传染概率 {items}；报告称 {brief}。",
        "t_policy": "政策逐年效果（{set}）：产业金融有效供给及其反馈缺口",
        "supply": "有效供给", "shortfall": "缺口", "diff": "差额",
        "timing": "耗时 {total:.1f} 秒：拟合与校准 {fit:.1f} 秒，反馈循环 {loop:.2f} 秒，{n} 次压力测试 {stress:.1f} 秒，"
                  "{m} 次传染概率估计 {mc:.1f} 秒，蒙特卡洛区间 {bands:.1f} 秒。",
        "none": "无",
        "footer": "[dim]方程与来源见 docs/model.md “Outlook” 一节；--json 输出全部结果，--out 写出 CSV 表和图。[/dim]",
    },
}


def timing_line(result, lang: str = "en") -> str:
    """How long the run took, by part (wall clock)."""
    tm = result.timings
    return TEXT[lang]["timing"].format(total=tm.get("with_loading_s", tm["total_s"]), fit=tm["fit_and_calibration_s"],
                                       loop=tm["loop_s"], n=tm["stress_runs"], stress=tm["stress_runs_s"],
                                       m=tm["contagion_estimates"], mc=tm["contagion_s"], bands=tm["monte_carlo_bands_s"])


def _pp(v) -> str:
    return f"{v:+.1f}" if v is not None else "-"


def render_summary(result, lang: str = "en", console=None) -> None:
    """Print the outlook's summary (rich tables) in English or Chinese."""
    from rich.markup import escape as esc
    from rich.table import Table

    from ..summary import make_console

    T = TEXT[lang]
    con = console or make_console()
    m, fit, cal = result.meta, result.fit, result.calibration
    pol = result.policy
    con.print(T["title"].format(a=result.labels[1], b=result.labels[-1], bundle=esc(str(m["bundle"])), as_of=m["as_of"],
                                Q=m["quarters"], P=len(result.province_ids), sets=", ".join(esc(s.name) for s in result.sets),
                                policy=esc(pol.name) if pol else T["none"], scenario=esc(m["stress_scenario"]), seed=m["seed"]))
    e = fit.errors
    ho = e.get("holdout") or {}
    con.print(T["fit"].format(
        y0=fit.years[0], y1=fit.years[1], n=fit.parameters_fitted, obs=fit.observations,
        fit=f"{e['fit']['rmse_pp']:.1f}", fy=f"{e['fit']['years'][0]}-{e['fit']['years'][-1]}", hy=fit.holdout_year,
        hold=f"{ho.get('rmse_pp', float('nan')):.1f}", bias=_pp(ho.get("bias_pp")),
        hp=f"{ho.get('above_warning_predicted')} / {ho.get('above_high_predicted')}",
        ha=f"{ho.get('above_warning_actual')} / {ho.get('above_high_actual')}",
        dyn=f"{(e.get('dynamic') or {}).get('rmse_pp', float('nan')):.1f}"))
    later = e.get("later_debt") or {}
    if later:
        con.print(T["later"].format(year=later["year"], nat=f"{100 * later['national_relative']:+.1f} %",
                                    rel=f"{100 * later['rmse_relative']:.1f} %"))
    oe = cal["output_elasticity"]
    con.print(T["calib"].format(alpha=f"{oe['value']:.3f}", beta=f"{100 * oe['target_slope']:+.2f} pp",
                                se=f"{100 * (oe['target_se'] or 0):.2f} pp",
                                es=f"{cal['supply_elasticity']['value']:.2f}"))
    # provinces above the lines, by year and set
    draws = m["draws"]
    t = Table(title=T["t_years"].format(draws=draws))
    t.add_column(T["year"])
    for s in result.sets:
        t.add_column(esc(s.name), justify="right")
        if pol is not None:
            t.add_column(f"{esc(s.name)} + {esc(pol.name)}", justify="right")
    years = result.year_quarters()
    for y, q in years:
        row = [str(y) if q else f"{y} ({result.labels[0].replace('as of ', '')})"]
        for s in result.sets:
            for variant in (("none", "policy") if pol is not None else ("none",)):
                st = result.path(s.name, variant).states[q]
                r = st.ratio[:, 0]
                cell = f"{int((r > result.cascade_params.warning_line).sum())} / {int((r > result.cascade_params.high_debt_threshold).sum())}"
                band = result.bands.get((s.name, variant))
                if band and q:
                    lo, _, hi = band["above_high"][q]
                    cell += f" [dim]({lo:.0f}-{hi:.0f})[/dim]"
                row.append(cell)
        t.add_row(*row)
    con.print(t)
    first = result.sets[0].name
    mv = movers(result, result.path(first, "none"))
    con.print(T["movers"].format(set=esc(first), a=result.labels[0].replace("as of ", ""), b=result.labels[-1],
                                 items="; ".join(f"{esc(x['province'])} {100 * x['ratio_start']:.0f} % -> {100 * x['ratio_end']:.0f} % "
                                                 f"({100 * x['change']:+.0f} pp)" for x in mv)))
    # stressed quarters
    t = Table(title=T["t_stress"].format(scenario=esc(m["stress_scenario"])))
    t.add_column(T["quarter"])
    cols = []
    for s in result.sets:
        for variant in (("none", "policy") if pol is not None else ("none",)):
            cols.append(result.path(s.name, variant))
    amounts = [p.stress[q].get("shrinkage_yuan") for p in cols for q in p.stress if "shrinkage_yuan" in p.stress[q]]
    scale = amount_scale(amounts, lang)
    for p in cols:
        name = esc(p.set_name) if p.variant == "none" else f"{esc(p.set_name)} + {esc(pol.name)}"
        t.add_column(f"{name}: {scale.unit}", justify="right")
    for q in [0] + result.stress_quarters:
        row = [result.labels[q].replace("as of ", "")]
        for p in cols:
            s = p.stress.get(q, {})
            row.append(f"{s['provinces_hit']}; {scale.number(s['shrinkage_yuan'])}" if "shrinkage_yuan" in s else T["skipped"])
        t.add_row(*row)
    con.print(t)
    # contagion
    comp = result.comparison
    if result.contagion_quarters:
        t = Table(title=T["t_contagion"].format(k=m["min_provinces"], n=m["contagion_draws"], a=m["compare_years"][0],
                                                b=m["compare_years"][1]))
        t.add_column(T["quarter"])
        for s in result.sets:
            t.add_column(f"{esc(s.name)}: {T['without']}", justify="right")
            if pol is not None:
                t.add_column(f"{T['with']} {esc(pol.name)}", justify="right")
                t.add_column(T["change"], justify="right")
        for q in result.contagion_quarters:
            row = [result.labels[q]]
            for s in result.sets:
                a = result.path(s.name, "none").contagion.get(q, {})
                row.append(fmt_share(a.get("probability")))
                if pol is not None:
                    b = result.path(s.name, "policy").contagion.get(q, {})
                    row.append(fmt_share(b.get("probability")))
                    pa, pb = a.get("probability"), b.get("probability")
                    row.append(f"{100 * (pb / pa - 1):+.0f} %" if pa and pb is not None else "-")
            t.add_row(*row)
        con.print(t)
    if comp.get("sets"):
        items = []
        for s, c in comp["sets"].items():
            if c["without"] is None:
                continue
            ch = f"{100 * c['change']:+.0f} %" if c["change"] is not None else "-"
            items.append(f"{esc(s)} {fmt_share(c['without'])} -> {fmt_share(c['with'])} ({ch})")
        con.print(T["claim"].format(a=m["compare_years"][0], b=m["compare_years"][1], items="; ".join(items),
                                    brief=f"{100 * comp['brief_change']:+.0f} %"))
    # the policy year by year (loop supply)
    if pol is not None:
        a, b = result.path(first, "none"), result.path(first, "policy")
        vals = [a.states[q].supply[:, 0].sum() for _, q in years] + [b.states[q].supply[:, 0].sum() for _, q in years]
        sc = amount_scale(vals, lang)
        dsc = amount_scale([b.states[q].supply[:, 0].sum() - a.states[q].supply[:, 0].sum() for _, q in years], lang)
        t = Table(title=T["t_policy"].format(set=esc(first)))
        for c in (T["year"], f"{T['supply']} ({sc.unit})", f"{T['with']} {esc(pol.name)} ({sc.unit})", f"{T['diff']} ({dsc.unit})",
                  T["shortfall"], f"{T['with']} {esc(pol.name)}"):
            t.add_column(c, justify="right")
        for y, q in years:
            sa, sb = a.states[q], b.states[q]
            va, vb = float(sa.supply[:, 0].sum()), float(sb.supply[:, 0].sum())
            la, lb = national_shortfall(result, sa), national_shortfall(result, sb)
            t.add_row(str(y), sc.number(va), sc.number(vb), dsc.signed(vb - va).replace(f" {dsc.unit}", ""),
                      fmt_share(la), fmt_share(lb))
        con.print(t)
    con.print(timing_line(result, lang))
    for note in result.calibration.get("notes") or []:
        con.print(f"[yellow]calibration[/yellow]: {esc(note)}")
    con.print(f"[dim]{esc(data_note(result, lang))}[/dim]")
    con.print(T["footer"])


__all__ = ["DATA_NOTE", "band_table", "data_note", "chart_png", "check_out", "comparison_table", "province_table", "quarter_table",
           "render_summary", "result_json", "write_outlook"]
