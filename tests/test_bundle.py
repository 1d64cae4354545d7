"""Tests of engine.bundle: loading, validation messages, twins, writing.

Fixtures live in tests/bundles/ (see tests/bundles/README.md): ``good`` is a
tiny valid bundle (UTF-8 CSV, amounts in 元); ``good_gbk``, ``good_yi`` and
``good_bom_crlf`` hold the same data as GBK bytes, in 亿元, and as UTF-8 with a
BOM and CRLF line ends.  Every folder under ``broken/`` has exactly one defect.
Parquet and Excel twins are built from ``good`` in a temporary folder.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import engine.bundle as bundle_mod
from engine.bundle import (
    MAX_DEFECTS_PER_CHECK,
    Bundle,
    default_bundle_path,
    load_bundle,
    validate_bundle,
    write_bundle,
)
from engine.errors import BundleError, BundleWarning, Defect, InputError
from engine.schema import ALL_EDGE_KINDS, EDGE_COLUMNS, EDGE_KINDS, LAYERS, NODE_COLUMNS, NODE_TYPES
from engine.units import UNITS

HERE = Path(__file__).parent
BUNDLES = HERE / "bundles"
GOOD = BUNDLES / "good"
DOC = HERE.parent / "docs" / "bundle-format.md"

STR_COLS = [c for c, (d, _, _) in NODE_COLUMNS.items() if d == "str"]


@pytest.fixture(scope="module")
def good() -> Bundle:
    return load_bundle(GOOD)


def assert_same_graph(a: Bundle, b: Bundle) -> None:
    """Node and edge frames identical: same dtypes, bit-for-bit equal floats."""
    pd.testing.assert_frame_equal(a.nodes, b.nodes, check_exact=True)
    pd.testing.assert_frame_equal(a.edges, b.edges, check_exact=True)


def copy_good(tmp_path: Path, name: str = "b") -> Path:
    dst = tmp_path / name
    shutil.copytree(GOOD, dst)
    return dst


# ----------------------------------------------------------------------------
# The good bundle, by hand
# ----------------------------------------------------------------------------


def test_good_bundle_meta(good):
    m = good.meta
    assert (m.name, m.as_of, m.unit, m.unit_factor) == ("tiny-test", "2025-12-31", "元", 1.0)
    assert m.synthetic_parts == ("institutions", "edges")
    assert m.synthetic_note == "all values typed by hand for tests"
    assert m.sources == ({"id": "S1", "title": "Hand-made test values", "note": "not real data"},)
    assert m.path == GOOD.resolve()
    assert re.fullmatch(r"[0-9a-f]{64}", m.content_hash)


def test_good_bundle_nodes(good):
    nodes = good.nodes
    assert isinstance(nodes.index, pd.RangeIndex) and len(nodes) == 9
    assert list(nodes.columns) == list(NODE_COLUMNS)
    for col, (dtype, _, _) in NODE_COLUMNS.items():
        expected = {"str": "str", "amount": "float64", "ratio": "float64", "count": "int64", "float": "float64"}
        assert str(nodes[col].dtype) == expected[dtype], col
    assert nodes["id"].tolist() == ["GZ", "JS", "GZ-LGFV1", "JS-BANK1", "JS-WMP1", "JS-CORE1",
                                    "JS-SME-ELEC", "NAT-SCF1", "GZ-DATA1"]
    bank = nodes.iloc[3]
    assert bank["type"] == "bank" and bank["province"] == "JS" and bank["name_zh"] == "江苏某城商行"
    assert bank["equity"] == 2.5e11 and bank["financing_supply"] == 1.8e12
    assert bank["compliance_cost_ratio"] == 0.015
    # blank cells: amounts 0, optional strings "", lat/lon NaN
    assert nodes.loc[2, "lgfv_debt"] == 0.0 and nodes.loc[0, "lgfv_debt"] == 1.6e12
    assert nodes.loc[2, "sector"] == "" and nodes.loc[5, "sector"] == "electronics"
    assert np.isnan(nodes.loc[2, "lat"]) and nodes.loc[0, "lat"] == 26.65
    assert nodes.loc[6, "firm_count"] == 3500


def test_good_bundle_edges(good):
    e = good.edges
    assert list(e.columns) == ["source", "target", "layer", "kind", "weight"]
    assert e["source"].dtype == np.int32 and e["target"].dtype == np.int32
    assert list(e["layer"].cat.categories) == list(LAYERS)
    assert list(e["kind"].cat.categories) == list(ALL_EDGE_KINDS)
    assert e["weight"].dtype == np.float64
    # edges.csv row 2: JS-BANK1 (node 3) holds bonds of GZ-LGFV1 (node 2): 120 亿元
    assert e.iloc[0].tolist() == [3, 2, "funding", "bond", 1.2e10]
    # row 7: province GZ (0) implicitly supports GZ-LGFV1 (2)
    assert e.iloc[5].tolist() == [0, 2, "guarantee", "implicit_support", 3.5e11]
    assert set(e["layer"]) == set(LAYERS)


def test_duplicate_edges_are_kept_for_summing(good):
    dup = good.edges[(good.edges.source == 3) & (good.edges.target == 2) & (good.edges.kind == "bond")]
    assert dup["weight"].tolist() == [1.2e10, 3.0e9]  # rows 2 and 14; the graph builder sums them


# ----------------------------------------------------------------------------
# Twins: encodings, units, formats load to exactly the same frames
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("twin", ["good_gbk", "good_yi", "good_bom_crlf", "good_utf16"])
def test_csv_twins_load_identically(good, twin):
    # Exact equality (check_exact): the 亿元 amounts are binary fractions
    # (e.g. 150.25, 35.5), so amount * 1e8 is exact in float64.
    assert_same_graph(good, load_bundle(BUNDLES / twin))


def test_utf16_with_a_byte_order_mark_is_read_without_declaring_it(good, tmp_path):
    dst = tmp_path / "u16"
    shutil.copytree(BUNDLES / "good_utf16", dst)
    toml = (dst / "bundle.toml").read_text(encoding="utf-8").replace('encoding = "utf-16"', "")
    (dst / "bundle.toml").write_text(toml, encoding="utf-8")
    assert (dst / "nodes.csv").read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert_same_graph(good, load_bundle(dst))


def test_utf16_rows_are_exact(tmp_path):
    dst = tmp_path / "u16"
    shutil.copytree(BUNDLES / "good_utf16", dst)
    text = (dst / "edges.csv").read_bytes().decode("utf-16").replace(",bond,3000000000", ",bond,-3")
    lines = text.splitlines()
    (dst / "edges.csv").write_bytes(("\n".join(lines[:3] + [""] + lines[3:]) + "\n").encode("utf-16"))
    (d,) = validate_bundle(dst)
    assert (d.file, d.row, d.column) == ("edges.csv", 15, "weight")  # the blank line 4 counts


def test_duplicate_edges_are_a_warning_with_their_count(tmp_path):
    with pytest.warns(BundleWarning, match=r"edges.csv: 1 duplicate edge .* the first at row 14\): their weights "
                                           "are summed"):
        b = load_bundle(GOOD)
    assert len(b.notes) == 1 and "1 duplicate edge" in b.notes[0]
    with pytest.warns(BundleWarning, match="1 duplicate edge"):
        assert validate_bundle(GOOD) == []  # validate says the same as load: one code path
    dst = copy_good(tmp_path)
    lines = (dst / "edges.csv").read_text(encoding="utf-8").splitlines()
    (dst / "edges.csv").write_text("\n".join(lines[:-1] + [lines[2]] * 3) + "\n", encoding="utf-8")
    with pytest.warns(BundleWarning, match=r"3 duplicate edges .* the first at row 14\)"):
        load_bundle(dst)
    import warnings

    (dst / "edges.csv").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", BundleWarning)
        assert load_bundle(dst).notes == ()


def test_node_amounts_above_the_limit_name_the_unit(tmp_path):
    dst = tmp_path / "yi"
    shutil.copytree(BUNDLES / "good_yi", dst)
    text = (dst / "nodes.csv").read_text(encoding="utf-8").replace(",12500,4500,", ",12500,4.5e300,")
    (dst / "nodes.csv").write_text(text, encoding="utf-8")
    (d,) = validate_bundle(dst)
    assert (d.file, d.row, d.column) == ("nodes.csv", 2, "fiscal_capacity")
    assert d.message.startswith("4.5e+300 亿元 (overflows float64 in yuan) is above the largest amount allowed")


def test_symlinked_folder_on_the_way_out_is_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(GOOD / "nodes.csv", outside / "nodes.csv")
    dst = copy_good(tmp_path)
    (dst / "nodes.csv").unlink()
    (dst / "data").symlink_to(outside, target_is_directory=True)
    (dst / "bundle.toml").write_text((dst / "bundle.toml").read_text(encoding="utf-8")
                                     + '\n[tables]\nnodes = "data/nodes.csv"\n', encoding="utf-8")
    (d,) = validate_bundle(dst)
    assert (d.file, d.column) == ("data/nodes.csv", None) and "leaves the bundle folder" in d.message
    inside = copy_good(tmp_path, "inside")  # a link that stays inside the folder is fine
    (inside / "tables").mkdir()
    (inside / "nodes.csv").rename(inside / "tables" / "nodes.csv")
    (inside / "nodes.csv").symlink_to("tables/nodes.csv")
    assert validate_bundle(inside) == []


def test_gbk_twin_really_is_gbk():
    raw = (BUNDLES / "good_gbk" / "nodes.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "贵州省" in raw.decode("gbk")


def test_yi_twin_meta():
    m = load_bundle(BUNDLES / "good_yi").meta
    assert (m.unit, m.unit_factor) == ("亿元", 1e8)


def _csv_to_parquet(src: Path, dst: Path, row_group_size: int | None = None) -> Path:
    """Parquet twin of a CSV bundle: blank cells become nulls, ids dictionary-encoded."""
    dst.mkdir()
    shutil.copy(src / "bundle.toml", dst / "bundle.toml")
    nodes = pd.read_csv(src / "nodes.csv", dtype={c: str for c in STR_COLS}, keep_default_na=False,
                        na_values={c: [""] for c in NODE_COLUMNS if c not in STR_COLS})
    pq.write_table(pa.Table.from_pandas(nodes, preserve_index=False), dst / "nodes.parquet")
    edges = pd.read_csv(src / "edges.csv", dtype={c: str for c in ("source", "target", "layer", "kind")})
    arrays = [pa.array(edges[c].to_numpy(dtype=object), pa.string()).dictionary_encode()
              for c in ("source", "target", "layer", "kind")] + [pa.array(edges["weight"].to_numpy())]
    pq.write_table(pa.Table.from_arrays(arrays, names=list(edges.columns)), dst / "edges.parquet",
                   row_group_size=row_group_size)
    return dst


def test_parquet_twin_loads_identically(good, tmp_path):
    twin = _csv_to_parquet(GOOD, tmp_path / "pq")
    assert pq.read_schema(twin / "nodes.parquet").field("lgfv_debt").type == pa.float64()
    assert pq.ParquetFile(twin / "nodes.parquet").read().column("lgfv_debt").null_count == 7
    assert_same_graph(good, load_bundle(twin))


def test_parquet_many_row_groups_with_different_dictionaries(good, tmp_path):
    # row groups of 3 edges: each has its own dictionary of ids
    twin = _csv_to_parquet(GOOD, tmp_path / "pq", row_group_size=3)
    assert pq.ParquetFile(twin / "edges.parquet").num_row_groups == 5
    assert_same_graph(good, load_bundle(twin))


def test_xlsx_twin_loads_identically(good, tmp_path):
    pytest.importorskip("openpyxl")
    dst = tmp_path / "xl"
    dst.mkdir()
    shutil.copy(GOOD / "bundle.toml", dst)
    nodes = pd.read_csv(GOOD / "nodes.csv", dtype={c: str for c in STR_COLS}, keep_default_na=False,
                        na_values={c: [""] for c in NODE_COLUMNS if c not in STR_COLS})
    nodes.to_excel(dst / "nodes.xlsx", index=False)
    pd.read_csv(GOOD / "edges.csv").to_excel(dst / "edges.xlsx", index=False)
    assert_same_graph(good, load_bundle(dst))


def test_xlsx_without_openpyxl_is_a_clear_defect(tmp_path, monkeypatch):
    pytest.importorskip("openpyxl")
    dst = tmp_path / "xl"
    dst.mkdir()
    shutil.copy(GOOD / "bundle.toml", dst)
    shutil.copy(GOOD / "edges.csv", dst)
    pd.read_csv(GOOD / "nodes.csv").to_excel(dst / "nodes.xlsx", index=False)
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl -> ImportError
    (d,) = validate_bundle(dst)
    assert (d.file, d.row, d.column) == ("nodes.xlsx", None, None)
    assert "needs the optional dependency openpyxl" in d.message
    assert "pip install 'contagion-engine[excel]'" in d.message


def test_xlsx_rows_are_sheet_rows(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    dst = copy_good(tmp_path)
    (dst / "edges.csv").unlink()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["source", "target", "layer", "kind", "weight"])
    ws.append(["JS-BANK1", "GZ-LGFV1", "funding", "bond", 5])
    ws.append([])  # an empty row 3 is skipped but keeps the numbering
    ws.append(["JS-BANK1", "GZ-LGFV1", "funding", "bond", -5])
    wb.save(dst / "edges.xlsx")
    (d,) = validate_bundle(dst)
    assert (d.file, d.row, d.column) == ("edges.xlsx", 4, "weight")
    assert "negative value -5" in d.message


# ----------------------------------------------------------------------------
# Broken bundles: one defect each
# ----------------------------------------------------------------------------

#: folder -> (file, row, column, substrings of the message, cell text on that CSV row or None)
BROKEN = {
    "toml_missing": ("bundle.toml", None, None, ["has no bundle.toml", "expected one with name, as_of, unit"], None),
    "toml_syntax": ("bundle.toml", 2, None, ["not valid TOML", "(at line 2, column 19)"], None),
    "toml_unknown_unit": ("bundle.toml", None, "unit", ["unknown unit '美元'", "expected one of: 元, yuan, CNY, 万元"], None),
    "toml_bad_as_of": ("bundle.toml", None, "as_of", ["'31/12/2025' is not an ISO date", "expected YYYY-MM-DD"], None),
    "toml_missing_name": ("bundle.toml", None, "name", ["missing required key 'name'"], None),
    "toml_unknown_key": ("bundle.toml", None, "author",
                         ["unknown key 'author'", "expected one of: name, as_of, unit, description"], None),
    "toml_missing_synthetic": ("bundle.toml", None, "synthetic", ["missing required key 'synthetic'"], None),
    "toml_bad_table_format": ("bundle.toml", None, "tables.edges",
                              ["unsupported table format '.txt'", "expected a file ending in .csv, .parquet, .xlsx"],
                              None),
    "missing_edges_table": ("edges.csv", None, None,
                            ["edges table not found", "expected one of edges.csv, edges.parquet, edges.xlsx"], None),
    "empty_nodes": ("nodes.csv", None, None, ["the table has no data rows", "expected one row per node"], None),
    "undecodable": ("nodes.csv", 2, None, ["tried automatically", "not valid utf-8: byte 0xff at line 2",
                                           "not valid gb18030", "expected UTF-8 or GBK/GB18030"], None),
    "declared_encoding_wrong": ("nodes.csv", 2, None, ["declared in bundle.toml [tables] encoding",
                                                       "not valid utf-8: byte 0xb9 at line 2"], None),
    "ragged_row": ("edges.csv", 6, None, ["6 fields; expected 5 (one per header column)",
                                          "'JS-WMP1,JS-BANK1,funding,interbank,8000000000,extra'"], "extra"),
    "missing_column": ("nodes.csv", None, None, ["missing required column: equity",
                                                 "expected columns: id, type, province",
                                                 "found: id, type, province, name_zh, name_en, liquid_assets"], None),
    "duplicate_column": ("edges.csv", 1, "layer", ["duplicate column 'layer'", "expected each column name once"],
                         "layer"),
    "duplicate_id": ("nodes.csv", 11, "id", ["duplicate node id 'JS-BANK1' (first at row 5)",
                                             "expected unique ids"], "JS-BANK1"),
    "empty_id": ("nodes.csv", 11, "id", ["empty node id", "expected a unique non-empty id"], None),
    "unknown_type": ("nodes.csv", 5, "type", ["unknown node type 'bnk'",
                                              "expected one of: province, lgfv, bank, wmp"], "bnk"),
    "unknown_province": ("nodes.csv", 4, "province", ["unknown province 'XX'",
                                                      "expected the id of a node of type 'province' or 'national'"],
                         "XX"),
    "province_not_a_province": ("nodes.csv", 6, "province", ["'JS-BANK1' is a node of type 'bank', not a province",
                                                             "expected the id of a province node or 'national'"],
                                "JS-BANK1"),
    "province_not_own": ("nodes.csv", 3, "province", ["a province node's province must be its own id 'JS'",
                                                      "found 'national'"], "national"),
    "not_a_number": ("nodes.csv", 5, "equity", ["'2500亿' is not a number", "expected an amount >= 0 in 元"],
                     "2500亿"),
    "nan_text": ("nodes.csv", 7, "liquid_assets", ["NaN is not allowed", "expected an amount >= 0 in 元"], "NaN"),
    "negative_amount": ("nodes.csv", 4, "debt_balance", ["negative value -5", "expected an amount >= 0"], "-5"),
    "ratio_out_of_range": ("nodes.csv", 10, "compliance_cost_ratio", ["1.5 is above 1",
                                                                      "expected a number in [0, 1]"], "1.5"),
    "count_not_integer": ("nodes.csv", 8, "firm_count", ["2.5 is not an integer",
                                                         "expected a non-negative integer"], "2.5"),
    "fiscal_capacity_zero": ("nodes.csv", 2, "fiscal_capacity", ["province 'GZ' has fiscal_capacity 0 (blank cell)",
                                                                 "expected > 0"], "GZ"),
    "unknown_layer": ("edges.csv", 6, "layer", ["unknown layer 'fund'",
                                                "expected one of: funding, guarantee, supply_chain, data"], "fund"),
    "kind_not_allowed": ("edges.csv", 8, "kind", ["kind 'loan' is not allowed on layer 'guarantee'",
                                                  "expected one of: guarantee, implicit_support"], "loan"),
    "unknown_edge_node": ("edges.csv", 4, "target", ["unknown node 'GZ-LGFV9'",
                                                     "expected a node id from nodes.csv"], "GZ-LGFV9"),
    "self_loop": ("edges.csv", 5, "target", ["self-loop: source and target are both 'JS-BANK1'",
                                             "expected two different nodes"], "JS-BANK1,JS-BANK1"),
    "infinite_weight": ("edges.csv", 9, "weight", ["infinite value inf", "expected an amount > 0 in 元"], "inf"),
    "zero_weight": ("edges.csv", 10, "weight", ["weight is 0", "expected an amount > 0 in 元"], ",0"),
    "blank_weight": ("edges.csv", 11, "weight", ["blank weight (counts as 0)", "expected an amount > 0 in 元"], None),
    # issue 9: inputs that used to validate and then mislead the run
    "overflow_weight_yi": ("edges.csv", 2, "weight", ["1e+301 亿元 (overflows float64 in yuan)",
                                                      "above the largest amount allowed, 1e+18 yuan",
                                                      "expected an amount below 1e+10 亿元"], "1e301"),
    "huge_weight": ("edges.csv", 3, "weight", ["1e+308 元 is above the largest amount allowed"], "1e308"),
    "no_provinces": ("nodes.csv", None, "type", ["no node of type 'province'",
                                                 "expected at least one province"], None),
    "lat_out_of_range": ("nodes.csv", 2, "lat", ["999 is outside [-90, 90]", "expected a latitude"], "999"),
    "lon_out_of_range": ("nodes.csv", 3, "lon", ["-500 is outside [-180, 180]", "expected a longitude"], "-500"),
    "endpoint_source_type": ("edges.csv", 7, "source",
                             ["'GZ-DATA1' is a node of type 'data_platform', which cannot be the source of a "
                              "guarantee / implicit_support edge", "expected a source of type province, lgfv"],
                             "GZ-DATA1,JS-BANK1"),
    "endpoint_target_type": ("edges.csv", 6, "target",
                             ["'GZ' is a node of type 'province', which cannot be the target of a funding / "
                              "interbank edge", "expected a target of type bank, trust"], "JS-WMP1,GZ"),
    "symlink_outside": ("nodes.csv", None, None, ["a symbolic link that leaves the bundle folder",
                                                  "refusing to read it"], None),
    "utf16_declared_partly": ("edges.csv", 1, None, ["declared in bundle.toml [tables] encoding",
                                                     "not valid utf-16: UTF-16 stream does not start with BOM",
                                                     "[tables] encoding applies to every CSV table"], None),
}


def test_every_broken_fixture_has_a_case():
    folders = {p.name for p in (BUNDLES / "broken").iterdir() if p.is_dir()}
    assert folders - {"several"} == set(BROKEN)
    assert len(BROKEN) >= 15


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_bundle_has_exactly_its_defect(name):
    file, row, column, parts, cell = BROKEN[name]
    folder = BUNDLES / "broken" / name
    defects = validate_bundle(folder)
    assert len(defects) == 1, defects
    (d,) = defects
    assert (d.file, d.row, d.column) == (file, row, column)
    for part in parts:
        assert part in d.message
    if name == "symlink_outside":  # the target's content is never echoed
        assert "TOP-SECRET" not in d.message
    if cell is not None:  # the row number is the file's line: the bad cell is on it
        line = (folder / file).read_bytes().decode("utf-8").splitlines()[row - 1]
        assert cell in line
    with pytest.raises(BundleError) as info:
        load_bundle(folder)
    assert info.value.defects == defects
    assert info.value.exit_code == 2
    assert str(d) in str(info.value)


def test_defect_str_names_file_row_and_column():
    (d,) = validate_bundle(BUNDLES / "broken" / "zero_weight")
    assert str(d) == "edges.csv, row 10, column 'weight': weight is 0; expected an amount > 0 in 元"


def test_several_defects_are_reported_together():
    defects = validate_bundle(BUNDLES / "broken" / "several")
    where = [(d.file, d.row, d.column) for d in defects]
    assert where == [
        ("bundle.toml", None, "unit"),
        ("nodes.csv", 5, "type"),
        ("nodes.csv", 7, "equity"),
        ("edges.csv", 12, "target"),
        ("edges.csv", 2, "layer"),
    ]
    assert "unknown unit 'USD'" in defects[0].message
    assert "unknown node 'NOPE'" in defects[3].message
    with pytest.raises(BundleError, match="has 5 defects") as info:
        load_bundle(BUNDLES / "broken" / "several")
    assert info.value.defects == defects


def test_bundle_toml_details(tmp_path):
    dst = copy_good(tmp_path)
    toml = (dst / "bundle.toml").read_text(encoding="utf-8")
    (dst / "data").mkdir()
    (dst / "nodes.csv").rename(dst / "data" / "n.csv")
    toml = toml.replace('as_of = "2025-12-31"', "as_of = 2025-12-31")  # a TOML date is fine too
    toml += '\n[tables]\nnodes = "data/n.csv"\n'
    (dst / "bundle.toml").write_text(toml, encoding="utf-8")
    b = load_bundle(dst)
    assert b.meta.as_of == "2025-12-31" and len(b.nodes) == 9
    (dst / "data" / "n.csv").write_text((dst / "data" / "n.csv").read_text(encoding="utf-8").replace(",0.125,", ",2,"),
                                        encoding="utf-8")
    toml += 'edges = "../edges.csv"\n\n[[sources]]\nid = "S1"\nurl = 5\n'
    (dst / "bundle.toml").write_text(toml, encoding="utf-8")
    assert [(d.file, d.row, d.column) for d in validate_bundle(dst)] == [
        ("bundle.toml", None, "tables.edges"),
        ("bundle.toml", None, "sources[2].url"),
        ("bundle.toml", None, "sources[2].id"),
        ("data/n.csv", 10, "compliance_cost_ratio"),
    ]
    msgs = [d.message for d in validate_bundle(dst)]
    assert msgs[0] == "table path '../edges.csv' leaves the bundle folder; expected a path relative to it"
    assert msgs[1] == "sources[2].url must be a string; found int 5"
    assert msgs[2] == "duplicate source id 'S1' (first in sources[1]); expected unique ids"


def test_missing_folder_is_a_defect_not_a_crash(tmp_path):
    (d,) = validate_bundle(tmp_path / "nope")
    assert d.row is None and "does not exist" in d.message
    with pytest.raises(BundleError):
        load_bundle(tmp_path / "nope")


def test_path_to_bundle_toml_is_accepted(good):
    assert_same_graph(good, load_bundle(GOOD / "bundle.toml"))


# ----------------------------------------------------------------------------
# Cell handling details
# ----------------------------------------------------------------------------


def _edges_csv(folder: Path, rows: list[str]) -> None:
    (folder / "edges.csv").write_text("source,target,layer,kind,weight\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_defects_are_capped_per_check(tmp_path):
    dst = copy_good(tmp_path)
    n = MAX_DEFECTS_PER_CHECK + 70
    _edges_csv(dst, ["JS-BANK1,GZ-LGFV1,funding,bond,abc"] * n + ["JS-BANK1,GZ-LGFV1,funding,bond,-1"])
    defects = validate_bundle(dst)
    notnum = [d for d in defects if "is not a number" in d.message]
    assert [d.row for d in notnum] == list(range(2, 2 + MAX_DEFECTS_PER_CHECK))
    more = defects[MAX_DEFECTS_PER_CHECK]
    assert (more.row, more.column) == (None, "weight")
    assert more.message.startswith("... and 70 more rows: not a number")
    assert defects[-1].row == n + 2 and "negative value -1" in defects[-1].message
    assert len(defects) == MAX_DEFECTS_PER_CHECK + 2


@pytest.fixture
def slow_path_calls(monkeypatch):
    calls = []
    real = bundle_mod._read_csv_python

    def spy(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(bundle_mod, "_read_csv_python", spy)
    return calls


@pytest.mark.parametrize("bad", ["x", "-3"])
def test_blank_lines_keep_spreadsheet_row_numbers(tmp_path, bad, slow_path_calls):
    # blank lines between records send the file through the exact (slow) csv-module path
    dst = copy_good(tmp_path)
    _edges_csv(dst, ["JS-BANK1,GZ-LGFV1,funding,bond,5", "", "", f"JS-BANK1,GZ-LGFV1,funding,bond,{bad}", ""])
    (d,) = validate_bundle(dst)
    assert (d.row, d.column) == (5, "weight")
    assert slow_path_calls == ["edges.csv"]


def test_blank_lines_with_ragged_rows_and_quoted_newlines(tmp_path, slow_path_calls):
    dst = copy_good(tmp_path)
    _edges_csv(dst, ["JS-BANK1,GZ-LGFV1,funding,bond,5", "", '"JS-BANK1",GZ-LGFV1,funding,"bo\n\nnd",5',
                     "JS-BANK1,GZ-LGFV1,funding", "", "JS-BANK1,GZ-LGFV1,funding,bond,5,6"])
    defects = validate_bundle(dst)
    assert [(d.row, d.column) for d in defects] == [(5, None), (7, None)]
    assert defects[0].message == "3 fields; expected 5 (one per header column): 'JS-BANK1,GZ-LGFV1,funding'"
    _edges_csv(dst, ["JS-BANK1,GZ-LGFV1,funding,bond,5", "", '"JS-BANK1",GZ-LGFV1,funding,"bo\n\nnd",5'])
    (d,) = validate_bundle(dst)
    assert (d.row, d.column) == (4, "kind") and "unknown kind 'bo\\n\\nnd' for layer 'funding'" in d.message
    assert slow_path_calls == ["edges.csv", "edges.csv"]


def test_trailing_blank_lines_and_empty_records_are_skipped(good, tmp_path, slow_path_calls):
    dst = copy_good(tmp_path)
    text = (dst / "edges.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    # an all-empty record (as Excel exports) in the middle, blank lines at the end
    text = "\n".join(lines[:3] + [",,,,"] + lines[3:]) + "\n\n\n"
    (dst / "edges.csv").write_text(text, encoding="utf-8")
    b = load_bundle(dst)
    pd.testing.assert_frame_equal(b.edges, good.edges, check_exact=True)
    (dst / "edges.csv").write_text(text.replace(",bond,3000000000", ",bond,-3"), encoding="utf-8")
    (d,) = validate_bundle(dst)
    assert (d.row, d.column) == (15, "weight")  # the ',,,,' row 4 still counts
    assert slow_path_calls == []  # trailing blank lines shift no row: fast path


def test_quoted_newlines_count_as_one_row(tmp_path):
    dst = copy_good(tmp_path)
    text = (dst / "nodes.csv").read_text(encoding="utf-8")
    text = text.replace("Jiangsu city bank (test)", '"Jiangsu\ncity bank"')  # row 5 spans two lines
    text = text.replace(",0.125,", ",1.125,")  # GZ-DATA1, spreadsheet row 10, file line 11
    (dst / "nodes.csv").write_text(text, encoding="utf-8")
    (d,) = validate_bundle(dst)
    assert (d.row, d.column) == (10, "compliance_cost_ratio")


def test_rows_with_too_few_or_too_many_fields_are_all_listed(tmp_path):
    dst = copy_good(tmp_path)
    _edges_csv(dst, ["JS-BANK1,GZ-LGFV1,funding,bond,5", "JS-BANK1,GZ-LGFV1,funding",
                     "JS-BANK1,GZ-LGFV1,funding,bond,5", "JS-BANK1,GZ-LGFV1,funding,bond,5,6"])
    defects = validate_bundle(dst)
    assert [(d.file, d.row, d.column) for d in defects] == [("edges.csv", 3, None), ("edges.csv", 5, None)]
    assert defects[0].message == "3 fields; expected 5 (one per header column): 'JS-BANK1,GZ-LGFV1,funding'"
    assert defects[1].message.startswith("6 fields; expected 5")


def test_semicolon_separated_file_gets_a_hint(tmp_path):
    dst = copy_good(tmp_path)
    text = (dst / "edges.csv").read_text(encoding="utf-8").replace(",", ";")
    (dst / "edges.csv").write_text(text, encoding="utf-8")
    defects = validate_bundle(dst)
    assert "is the file separated by ';' or tabs?" in defects[0].message
    assert defects[1].message.startswith("missing required columns: source, target, layer, kind, weight")


def test_extra_columns_are_ignored(good, tmp_path):
    dst = copy_good(tmp_path)
    lines = (dst / "nodes.csv").read_text(encoding="utf-8").splitlines()
    text = "\n".join([lines[0] + ",comment"] + [ln + ",anything" for ln in lines[1:]]) + "\n"
    (dst / "nodes.csv").write_text(text, encoding="utf-8")
    assert_same_graph(good, load_bundle(dst))


def test_id_whitespace_reserved_id_and_unknown_kind(tmp_path):
    dst = copy_good(tmp_path)
    text = (dst / "nodes.csv").read_text(encoding="utf-8")
    text = text.replace("\nGZ-DATA1,", "\nGZ DATA1,").replace("\nNAT-SCF1,", "\nnational,")
    (dst / "nodes.csv").write_text(text, encoding="utf-8")
    _edges_csv(dst, ["JS-BANK1,GZ-LGFV1,funding,bond,5", "JS-BANK1,GZ-LGFV1,fund,bnd,5"])
    msgs = {(d.file, d.row, d.column): d.message for d in validate_bundle(dst)}
    assert "contains whitespace; expected an id without spaces" in msgs[("nodes.csv", 10, "id")]
    assert "'national' is reserved" in msgs[("nodes.csv", 9, "id")]
    assert "unknown layer 'fund'" in msgs[("edges.csv", 3, "layer")]
    assert msgs[("edges.csv", 3, "kind")].startswith("unknown kind 'bnd'; expected one of: bond, abs")


def test_parquet_cells_nan_null_and_wrong_type(tmp_path):
    dst = copy_good(tmp_path)
    (dst / "edges.csv").unlink()
    w = pa.array([5.0, None, float("nan"), float("inf")], pa.float64())
    ids = pa.array(["JS-BANK1"] * 4).dictionary_encode()
    tgt = pa.array(["GZ-LGFV1"] * 4).dictionary_encode()
    lay = pa.array(["funding"] * 4).dictionary_encode()
    kind = pa.array(["bond"] * 4).dictionary_encode()
    pq.write_table(pa.table({"source": ids, "target": tgt, "layer": lay, "kind": kind, "weight": w}),
                   dst / "edges.parquet")
    defects = validate_bundle(dst)
    assert [(d.file, d.row, d.column) for d in defects] == [("edges.parquet", 4, "weight"),
                                                            ("edges.parquet", 5, "weight"),
                                                            ("edges.parquet", 3, "weight")]
    assert "NaN is not allowed" in defects[0].message
    assert "infinite value inf" in defects[1].message
    assert "blank weight (counts as 0)" in defects[2].message  # null = blank = 0

    pq.write_table(pa.table({"source": ids, "target": tgt, "layer": lay, "kind": kind,
                             "weight": pa.array([True] * 4)}), dst / "edges.parquet")
    (d,) = validate_bundle(dst)
    assert (d.file, d.row, d.column) == ("edges.parquet", None, "weight")
    assert d.message == "column has Parquet type bool; expected an amount > 0 in 元"


def test_parquet_integer_ids_and_null_amounts(tmp_path):
    dst = tmp_path / "b"
    nodes = pd.DataFrame({"id": [1, 2], "type": ["province", "bank"], "province": ["1", "1"],
                          "name_zh": ["省", "银行"], "name_en": ["P", "B"], "equity": [None, 5.0],
                          "liquid_assets": [0, 1], "financing_supply": [0, 1], "debt_balance": [1, 1],
                          "fiscal_capacity": [3, 0], "compliance_cost_ratio": [0, 0.5],
                          "firm_count": [0, 0], "output": [0, 0]})
    meta = {"name": "ints", "as_of": "2025-12-31", "unit": "万元", "synthetic": {"parts": []}}
    edges = pd.DataFrame({"source": [0], "target": [1], "layer": ["guarantee"], "kind": ["implicit_support"],
                          "weight": [2]})
    write_bundle(dst, meta=meta, nodes=nodes, edges=edges, fmt="parquet")
    pq.write_table(pa.Table.from_pandas(nodes, preserve_index=False), dst / "nodes.parquet")  # int ids
    b = load_bundle(dst)
    assert b.nodes["id"].tolist() == ["1", "2"]
    assert b.nodes["equity"].tolist() == [0.0, 5e4]  # null -> 0; 万元 -> yuan
    assert b.edges.iloc[0].tolist() == [0, 1, "guarantee", "implicit_support", 2e4]


def test_large_parquet_is_vectorised_and_rows_are_exact(tmp_path):
    """20k nodes, 200k edges, many row groups, a few bad rows spread out."""
    rng = np.random.default_rng(7)
    n, m = 20_000, 200_000
    ids = np.array(["P0"] + [f"N{i}" for i in range(1, n)], dtype=object)
    nodes = pd.DataFrame({c: 0.0 for c, (d, req, _) in NODE_COLUMNS.items() if req and d != "str"}, index=range(n))
    nodes.insert(0, "id", ids)
    nodes.insert(1, "type", np.where(np.arange(n) == 0, "province", "bank"))
    nodes.insert(2, "province", "P0")
    nodes.insert(3, "name_zh", "银行")
    nodes.insert(4, "name_en", "bank")
    nodes.loc[0, "fiscal_capacity"] = 1.0
    src = rng.integers(1, n, m)  # banks only: node 0 is the province
    tgt = 1 + (src - 1 + rng.integers(1, n - 1, m)) % (n - 1)
    edges = pd.DataFrame({"source": src, "target": tgt, "layer": "funding", "kind": "interbank",
                          "weight": rng.uniform(1, 2, m)})
    edges.loc[150_000, "target"] = edges.loc[150_000, "source"]  # self-loop, late row group
    edges.loc[190_001, "weight"] = -3.0
    meta = {"name": "big", "as_of": "2025-12-31", "unit": "元", "synthetic": {"parts": ["all"], "note": "rng"}}
    dst = write_bundle(tmp_path / "big", meta=meta, nodes=nodes, edges=edges, fmt="parquet")
    # rewrite the edges with small row groups, each with its own dictionary, plus an unknown id
    t = pq.read_table(dst / "edges.parquet")
    s = t.column("source").cast(pa.string()).to_pylist()
    s[123_456] = "GHOST"
    t = t.set_column(0, "source", pa.array(s).dictionary_encode())
    pq.write_table(t, dst / "edges.parquet", row_group_size=30_000)
    defects = validate_bundle(dst)
    assert [(d.row, d.column) for d in defects] == [(123_458, "source"), (150_002, "target"), (190_003, "weight")]
    assert "unknown node 'GHOST'" in defects[0].message
    assert f"both {ids[src[150_000]]!r}" in defects[1].message


# ----------------------------------------------------------------------------
# Content hash
# ----------------------------------------------------------------------------


def test_content_hash_depends_on_bytes_not_location(good, tmp_path):
    dst = copy_good(tmp_path)
    assert load_bundle(dst).meta.content_hash == good.meta.content_hash
    text = (dst / "edges.csv").read_text(encoding="utf-8").replace(",30000000000\n", ",30000000001\n")
    (dst / "edges.csv").write_text(text, encoding="utf-8")
    assert load_bundle(dst).meta.content_hash != good.meta.content_hash


# ----------------------------------------------------------------------------
# write_bundle
# ----------------------------------------------------------------------------

META = {"name": "tiny-test", "as_of": "2025-12-31", "unit": "元", "description": "round trip",
        "sources": [{"id": "S1", "title": "Hand-made test values"}],
        "synthetic": {"parts": ["institutions", "edges"], "note": "typed by hand"}}


@pytest.mark.parametrize("fmt,encoding", [("csv", "utf-8"), ("csv", "gbk"), ("parquet", "utf-8"),
                                          ("xlsx", "utf-8")])
def test_write_bundle_round_trip(good, tmp_path, fmt, encoding):
    if fmt == "xlsx":
        pytest.importorskip("openpyxl")
    edges_before = good.edges.copy()
    out = write_bundle(tmp_path / "w", meta=META, nodes=good.nodes, edges=good.edges, fmt=fmt, encoding=encoding)
    assert out == tmp_path / "w"
    pd.testing.assert_frame_equal(good.edges, edges_before)  # input not mutated
    b = load_bundle(out)
    assert_same_graph(good, b)
    assert b.meta.sources == ({"id": "S1", "title": "Hand-made test values"},)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w"]  # no temp folders left
    if encoding == "gbk":
        assert "encoding = \"gbk\"" in (out / "bundle.toml").read_text(encoding="utf-8")
        assert "江苏某城商行".encode("gbk") in (out / "nodes.csv").read_bytes()
    if fmt == "parquet":
        schema = pq.read_schema(out / "edges.parquet")
        assert pa.types.is_dictionary(schema.field("source").type)
        assert pa.types.is_dictionary(schema.field("target").type)
        assert schema.field("source").type.value_type == pa.string()


def test_write_bundle_large_csv_path_round_trips(good, tmp_path, monkeypatch):
    monkeypatch.setattr(bundle_mod, "_ARROW_CSV_ROWS", 1)  # use the pyarrow writer of big tables
    out = write_bundle(tmp_path / "w", meta=META, nodes=good.nodes, edges=good.edges)
    assert (out / "edges.csv").read_text(encoding="utf-8").splitlines()[1].startswith('"JS-BANK1","GZ-LGFV1"')
    assert_same_graph(good, load_bundle(out))


def test_write_bundle_replaces_a_bundle_but_not_other_folders(good, tmp_path):
    dst = copy_good(tmp_path)
    write_bundle(dst, meta=META, nodes=good.nodes, edges=good.edges, fmt="parquet")
    assert sorted(p.name for p in dst.iterdir()) == ["bundle.toml", "edges.parquet", "nodes.parquet"]
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"\xff")
    with pytest.raises(InputError, match="refusing to overwrite"):
        write_bundle(other, meta=META, nodes=good.nodes, edges=good.edges)
    assert [p.name for p in other.iterdir()] == ["cat.jpg"]
    with pytest.raises(InputError, match="refusing to overwrite"):
        write_bundle(other / "cat.jpg", meta=META, nodes=good.nodes, edges=good.edges)


def test_write_bundle_rejects_bad_meta_and_options(good, tmp_path):
    with pytest.raises(BundleError) as info:
        write_bundle(tmp_path / "w", meta={**META, "unit": "USD"}, nodes=good.nodes, edges=good.edges)
    assert info.value.defects == [Defect("bundle.toml", None, "unit",
                                         "unknown unit 'USD'; expected one of: " + ", ".join(UNITS))]
    with pytest.raises(InputError, match="unknown bundle table format"):
        write_bundle(tmp_path / "w", meta=META, nodes=good.nodes, edges=good.edges, fmt="json")
    with pytest.raises(InputError, match="applies to CSV only"):
        write_bundle(tmp_path / "w", meta=META, nodes=good.nodes, edges=good.edges, fmt="parquet", encoding="gbk")
    bad = good.edges.assign(source=good.edges.source + 100)
    with pytest.raises(InputError, match="outside 0..8"):
        write_bundle(tmp_path / "w", meta=META, nodes=good.nodes, edges=bad)
    assert list(tmp_path.iterdir()) == []


def test_synthetic_note_required_when_parts_given(good, tmp_path):
    meta = {**META, "synthetic": {"parts": ["edges"]}}
    with pytest.raises(BundleError) as info:
        write_bundle(tmp_path / "w", meta=meta, nodes=good.nodes, edges=good.edges)
    (d,) = info.value.defects
    assert d.column == "synthetic.note" and "expected a note on how the synthetic parts were generated" in d.message


# ----------------------------------------------------------------------------
# default_bundle_path
# ----------------------------------------------------------------------------


def test_default_bundle_path_source_checkout(tmp_path, monkeypatch):
    fake = tmp_path / "repo" / "engine" / "bundle.py"
    monkeypatch.setattr(bundle_mod, "__file__", str(fake))
    with pytest.raises(InputError, match="no embedded dataset found"):
        default_bundle_path()
    (tmp_path / "repo" / "graphs" / "china-2026").mkdir(parents=True)
    assert default_bundle_path() == tmp_path / "repo" / "graphs" / "china-2026"


# ----------------------------------------------------------------------------
# The format document stays in step with engine/schema.py
# ----------------------------------------------------------------------------


def test_doc_names_every_column_type_layer_kind_and_unit():
    doc = DOC.read_text(encoding="utf-8")
    for name in [*NODE_COLUMNS, *EDGE_COLUMNS, *NODE_TYPES, *LAYERS, *ALL_EDGE_KINDS, *UNITS]:
        assert f"`{name}`" in doc, name
    for layer, kinds in EDGE_KINDS.items():
        for kind, meaning in kinds.items():
            assert meaning in doc, (layer, kind)


def test_doc_worked_example_is_a_valid_bundle(tmp_path):
    """The bundle shown in full in docs/bundle-format.md loads, with the meanings it states."""
    doc = DOC.read_text(encoding="utf-8")
    blocks = dict(re.findall(r"```(?:toml|csv) (\S+)\n(.*?)```", doc, flags=re.S))
    assert set(blocks) == {"bundle.toml", "nodes.csv", "edges.csv"}
    dst = tmp_path / "example"
    dst.mkdir()
    for name, text in blocks.items():
        (dst / name).write_text(text, encoding="utf-8")
    b = load_bundle(dst)
    assert b.meta.unit_factor == 1e8
    assert len(b.edges) >= 4 and set(b.edges["layer"]) == set(LAYERS)
