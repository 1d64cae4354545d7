"""Figures read the same everywhere: a snapshot of engine.formatting, and the places that must use it.

The snapshot pins the formatter on a fixed table of amounts, in both languages, not
the model's output (the cascade's figures change when the model does).  The other
tests check that the CLI summary, ``info``, ``keynodes`` and the weekly report
print every amount through it: one unit per column (named in the header) or per
row of figures shown together, only bn / trn yuan in English and 亿元 / 万亿元 in
Chinese, and cells that equal what the formatter writes for the run's own numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.formatting import (
    amount_scale,
    fmt_amount,
    fmt_amounts,
    fmt_count,
    fmt_share,
    fmt_share_change,
    hours_for_table,
    table_value,
)

ROOT = Path(__file__).resolve().parents[1]
GOOD = ROOT / "tests" / "bundles" / "good"

#: A fixed table of amounts (yuan) -> how one figure alone is written, in English and Chinese.
SNAPSHOT = [
    (0.0, "0 bn yuan", "0 亿元"),
    (5_000.0, "<0.0001 bn yuan", "0.0001 亿元"),
    (21_913_130.0, "0.0219 bn yuan", "0.219 亿元"),
    (140_000_000.0, "0.140 bn yuan", "1.40 亿元"),
    (2.46e9, "2.46 bn yuan", "24.6 亿元"),
    (1.4e10, "14.0 bn yuan", "140 亿元"),
    (1.848e11, "185 bn yuan", "1,848 亿元"),
    (9.999e11, "1,000 bn yuan", "9,999 亿元"),
    (1.0e12, "1.00 trn yuan", "1.00 万亿元"),
    (1.786e12, "1.79 trn yuan", "1.79 万亿元"),
    (1.87e13, "18.7 trn yuan", "18.7 万亿元"),
    (-2.5e10, "-25.0 bn yuan", "-250 亿元"),
]


@pytest.mark.parametrize("yuan, en, zh", SNAPSHOT)
def test_one_figure_snapshot(yuan, en, zh):
    assert fmt_amount(yuan, "en") == en
    assert fmt_amount(yuan, "zh") == zh


def test_a_column_has_one_unit_and_one_number_of_decimals():
    column = [1.59e12, 1.4e10, 1.848e11, 1.789e12, 0.0, 21_913_130.0]
    en, zh = amount_scale(column, "en"), amount_scale(column, "zh")
    assert (en.unit, zh.unit) == ("trn yuan", "万亿元")
    assert [en.number(v) for v in column] == ["1.590", "0.014", "0.185", "1.789", "0.000", "<0.001"]
    assert [zh.number(v) for v in column] == ["1.590", "0.014", "0.185", "1.789", "0.000", "<0.001"]
    small = [1.4e10, 2.46e9, 21_913_130.0]
    assert [amount_scale(small, "en").number(v) for v in small] == ["14.00", "2.46", "0.02"]
    assert [amount_scale(small, "zh").number(v) for v in small] == ["140.0", "24.6", "0.2"]
    assert fmt_amounts([1.786e12, 1.2e11], "en") == ["1.79 trn yuan", "0.12 trn yuan"]
    assert amount_scale([1.4e10]).header("loss") == "loss (bn yuan)"
    assert amount_scale([1.4e10]).signed(-1.4e10) == "-14.0 bn yuan"


def test_counts_shares_and_machine_cells():
    assert [fmt_count(v) for v in (1.0, 0.79, 8655.0, 12.34, 0.0)] == ["1", "0.79", "8,655", "12.3", "0"]
    assert fmt_share(0.0957) == "9.6 %" and fmt_share_change(-0.012, "zh") == "-1.2 个百分点"
    assert [table_value(v) for v in (1.786e12, None, float("nan"), 7)] == ["1786000000000.0", "", "", 7]
    t = hours_for_table(pd.DataFrame({"first_hit_hour": [0, -1], "hit_hour": [None, 5.0]}))
    assert t["first_hit_hour"].isna().tolist() == [False, True] and t["hit_hour"].isna().tolist() == [True, False]


def test_fmt_yuan_is_an_alias_of_the_formatter():
    from engine.units import fmt_yuan

    assert all(fmt_yuan(v) == en for v, en, _ in SNAPSHOT)


def test_every_shipped_english_text_has_a_chinese_translation():
    import tomllib

    from engine.i18n import ZH, translate
    from engine.report.config import DEFAULT_CONFIG_TOML
    from engine.scenario import load_scenario, shipped_scenarios

    for p in shipped_scenarios():
        d = load_scenario(p).description
        assert translate(d, "zh") != d, f"{p.name}: no Chinese description in engine/i18n.py"
    for s in tomllib.loads(DEFAULT_CONFIG_TOML)["scenarios"]:
        if "description" in s:
            assert s["description"] in ZH
    meta = tomllib.loads((ROOT / "graphs" / "china-2026" / "bundle.toml").read_text(encoding="utf-8"))
    for text in [meta["description"], *meta["synthetic"]["parts"], meta["synthetic"]["note"]]:
        assert text in ZH, text[:60]


# ----------------------------------------------------------------------------------------------
# The CLI prints through the formatter
# ----------------------------------------------------------------------------------------------

UNITS = {"en": ("bn yuan", "trn yuan"), "zh": ("亿元", "万亿元")}
FOREIGN = {"en": ("亿", "万亿", "元", "m yuan"), "zh": ("yuan", " bn", "trn")}
CELL = re.compile(r"^(<|>-)?-?[\d,]+(\.\d+)?$")


def rich_tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """The (header, rows) of every rich table in a terminal output (box-drawing characters)."""
    tables, cur = [], None
    for line in text.splitlines():
        if line.startswith("┏"):
            cur = [None, []]
        elif cur is not None and line.startswith("┃"):  # a header may wrap over several lines
            parts = [c.strip() for c in line.strip("┃").split("┃")]
            cur[0] = parts if cur[0] is None else [f"{a} {b}".strip() for a, b in zip(cur[0], parts)]
        elif cur is not None and line.startswith("│"):
            cur[1].append([c.strip() for c in line.strip("│").split("│")])
        elif cur is not None and line.startswith("└"):
            tables.append(tuple(cur))
            cur = None
    return tables


def check_amount_columns(text: str, lang: str) -> int:
    """Every column whose header names a unit holds plain numbers only; returns how many such columns."""
    n = 0
    for header, rows in rich_tables(text):
        for j, h in enumerate(header):
            unit = re.search(r"\(([^()]*)\)$", h)
            if not unit or not any(unit.group(1) == u for u in UNITS[lang]):
                continue
            n += 1
            for r in rows:
                cell = r[j]
                assert cell == "" or CELL.match(cell), (h, cell)
    return n


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_stress_summary_uses_one_unit_per_column(lang):
    from engine.runner import load_graph, run_stress

    res = CliRunner().invoke(main, ["stress", "--bundle", str(GOOD), "--lang", lang])
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert check_amount_columns(out, lang) == 3  # channel shrinkage, loss, supply cut
    for word in FOREIGN[lang]:
        assert word not in out.split("shock")[0] + out.split("\n\n", 1)[1].replace("bundle", ""), word
    # the cells are the formatter's writing of the run's own numbers
    r = run_stress(load_graph(GOOD))
    hl = r.headline
    s = amount_scale([*hl["shrinkage_by_channel_yuan"].values(), hl["shrinkage_yuan"]], lang)
    (channels,) = [rows for head, rows in rich_tables(out) if head[1].endswith(f"({s.unit})") and len(rows) == 4]
    assert [row[1] for row in channels] == [s.number(v) for v in [*hl["shrinkage_by_channel_yuan"].values(),
                                                                   hl["shrinkage_yuan"]]]
    assert fmt_amount(hl["shrinkage_yuan"], lang) in out
    assert fmt_count(hl["data_platforms_failed"], lang) in out and ": 1.00" not in out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_info_and_keynodes_use_one_unit_per_column(lang):
    res = CliRunner().invoke(main, ["info", str(GOOD), "--lang", lang])
    assert res.exit_code == 0, res.output
    assert check_amount_columns(res.stdout, lang) == 4  # supply, edge amount, debt, fiscal capacity
    res = CliRunner().invoke(main, ["keynodes", "--bundle", str(GOOD), "--lang", lang])
    assert res.exit_code == 0, res.output
    assert check_amount_columns(res.stdout, lang) == 1


# ----------------------------------------------------------------------------------------------
# The weekly report prints through the formatter
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    from engine.report.config import load_config
    from engine.report.weekly import build_weekly_report
    from engine.runner import load_graph

    d = tmp_path_factory.mktemp("fmt-report")
    cfg = d / "weekly.toml"
    cfg.write_text(f'[report]\noutput_dir = "{d / "out"}"\nlog_file = ""\nmap = false\n'
                   f'[history]\ndatabase = "{d / "h.sqlite"}"\n'
                   '[[scenarios]]\nname = "policy"\nbased_on = "baseline"\n'
                   '[scenarios.policies]\nreserve_fund = 2.0e9\n', encoding="utf-8")
    config = load_config(cfg)
    graph = load_graph(GOOD)
    return {lang: build_weekly_report(config, week, lang=lang, graph=graph)  # one folder per week
            for lang, week in (("en", "2026-W10"), ("zh", "2026-W11"))}


def md_tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    out, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|---") or line.startswith("|--:"):
            head = [c.strip() for c in lines[i - 1].strip("|").split("|")]
            rows = []
            for row in lines[i + 1:]:
                if not row.startswith("|"):
                    break
                rows.append([c.strip() for c in row.strip("|").split("|")])
            out.append((head, rows))
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_amounts_use_the_formatter(reports, lang):
    rep = reports[lang]
    md = (rep.path / "report.md").read_text(encoding="utf-8")
    html = (rep.path / "index.html").read_text(encoding="utf-8")
    for word in FOREIGN[lang]:
        for cell in re.findall(r"\| ([^|]*\d[^|]*) \|", md):
            assert word not in cell, (word, cell)
    s = rep.summary
    sc = s["scenarios"][0]
    # the provinces table: every province (not the first 10), unit in the header, plain numbers in the cells
    tables = md_tables(md)
    prov = next(rows for head, rows in tables if any(h.startswith(("Province", "省份")) for h in head[:1])
                and len(rows) == len(sc["provinces"]))
    col = amount_scale([r["shrinkage_yuan"] for r in sc["provinces"]], lang)
    head = next(head for head, rows in tables if rows is prov)
    assert head[2].endswith(f"({col.unit})")
    assert [r[2] for r in prov] == [col.number(r["shrinkage_yuan"]) for r in sc["provinces"]]
    # the overview: one unit for the shrinkage of every scenario
    over = amount_scale([x["headline"]["shrinkage_yuan"] for x in s["scenarios"]], lang)
    for x in s["scenarios"]:
        assert f"| {over(x['headline']['shrinkage_yuan'])} |" in md
        assert over(x["headline"]["shrinkage_yuan"]) in html
    assert "1.00" not in re.findall(r"(?:Data platforms failed|失效数据平台)[^|]*\| ([^|]*) \|", md)


def test_chinese_report_translates_descriptions_and_the_synthetic_note(reports):
    md = (reports["zh"].path / "report.md").read_text(encoding="utf-8")
    assert "债务率超过 150% 且最高的省份发生城投平台违约" in md
    assert "LGFV default in the province" not in md
