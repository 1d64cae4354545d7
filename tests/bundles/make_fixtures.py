"""Regenerate the fixtures in tests/bundles (the committed files are the fixtures).

Run from anywhere:  python tests/bundles/make_fixtures.py
Every folder is rewritten from the tables below; GBK and BOM/CRLF twins are
written as bytes.
"""
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent

NODE_HEADER = ["id", "type", "province", "name_zh", "name_en", "equity", "liquid_assets",
               "financing_supply", "debt_balance", "fiscal_capacity", "compliance_cost_ratio",
               "firm_count", "output", "sector", "lat", "lon", "region", "cluster", "lgfv_debt"]
# amounts in 亿元 (exact binary fractions so that x * 1e8 is exact)
NODES = [
    ["GZ", "province", "GZ", "贵州省", "Guizhou", 0, 0, 0, 12500, 4500, 0, 0, 0, "", "26.65", "106.63", "west", "", 16000],
    ["JS", "province", "JS", "江苏省", "Jiangsu", 0, 0, 0, 20500, 25000, 0, 0, 0, "", "32.06", "118.8", "east", "长三角", 40000],
    ["GZ-LGFV1", "lgfv", "GZ", "贵州某城投平台", "Guizhou LGFV (test)", 800, 50.5, 0, 3500, 0, 0, 0, 0, "", "", "", "west", "", ""],
    ["JS-BANK1", "bank", "JS", "江苏某城商行", "Jiangsu city bank (test)", 2500, 6000, 18000, 35000, 0, "0.015", 0, 0, "", "", "", "east", "长三角", ""],
    ["JS-WMP1", "wmp", "JS", "江苏某理财子公司", "Jiangsu WMP subsidiary (test)", 30.5, 400, 1200, 0, 0, "0.01", 0, 0, "", "", "", "east", "长三角", ""],
    ["JS-CORE1", "core_firm", "JS", "无锡某电子核心企业", "Wuxi electronics core firm", 900, 150.25, 0, 700, 0, "0.02", 1, 2400, "electronics", "", "", "east", "长三角", ""],
    ["JS-SME-ELEC", "sme_group", "JS", "江苏电子中小供应商群", "Jiangsu electronics SME suppliers", 120, 30, 0, 250, 0, "0.03", 3500, 600, "electronics", "", "", "east", "长三角", ""],
    ["NAT-SCF1", "scf_platform", "national", "全国供应链金融平台", "National SCF platform", 20, 5, 300, 10, 0, "0.05", 0, 0, "", "", "", "", "", ""],
    ["GZ-DATA1", "data_platform", "GZ", "贵州工业大数据平台", "Guizhou industrial data platform", 8, 2.5, 0, 0, 0, "0.125", 0, 0, "", "", "", "west", "", ""],
]
AMOUNT_COLS = {"equity", "liquid_assets", "financing_supply", "debt_balance", "fiscal_capacity", "output", "lgfv_debt"}
EDGE_HEADER = ["source", "target", "layer", "kind", "weight"]
EDGES = [
    ["JS-BANK1", "GZ-LGFV1", "funding", "bond", 120],
    ["JS-BANK1", "JS-WMP1", "funding", "wmp_holding", 50],
    ["JS-WMP1", "GZ-LGFV1", "funding", "nonstandard", 35.5],
    ["JS-BANK1", "JS-CORE1", "funding", "loan", 200],
    ["JS-WMP1", "JS-BANK1", "funding", "interbank", 80],
    ["GZ", "GZ-LGFV1", "guarantee", "implicit_support", 3500],
    ["JS-CORE1", "JS-SME-ELEC", "guarantee", "guarantee", 15],
    ["JS-SME-ELEC", "JS-CORE1", "supply_chain", "receivable", 45.25],
    ["JS-SME-ELEC", "NAT-SCF1", "supply_chain", "scf_financing", 20],
    ["JS-CORE1", "JS-SME-ELEC", "supply_chain", "input", 300],
    ["NAT-SCF1", "GZ-DATA1", "data", "credit_scoring", 60],
    ["JS-SME-ELEC", "GZ-DATA1", "data", "data_feed", 25],
    ["JS-BANK1", "GZ-LGFV1", "funding", "bond", 30],   # duplicate of row 2: summed by the graph builder
]


def fmt_amount(v, unit):
    if v == "" or isinstance(v, str):
        return v
    if unit == "元":
        return str(int(round(v * 100_000_000)))  # exact: v has few binary digits
    return repr(float(v)) if v != int(v) else str(int(v))


def toml(unit="元", extra="", name='name = "tiny-test"\n', tables=""):
    return (
        f'{name}as_of = "2025-12-31"\nunit = "{unit}"\n'
        'description = "Tiny hand-made bundle for the loader tests: 2 provinces, one node of each other type."\n'
        f"{extra}{tables}"
        '\n[[sources]]\nid = "S1"\ntitle = "Hand-made test values"\nnote = "not real data"\n'
        '\n[synthetic]\nparts = ["institutions", "edges"]\nnote = "all values typed by hand for tests"\n'
    )


def nodes_csv(unit="元", rows=None):
    rows = NODES if rows is None else rows
    lines = [",".join(NODE_HEADER)]
    for r in rows:
        lines.append(",".join(fmt_amount(v, unit) if NODE_HEADER[i] in AMOUNT_COLS else str(v)
                              for i, v in enumerate(r)))
    return "\n".join(lines) + "\n"


def edges_csv(unit="元", rows=None):
    rows = EDGES if rows is None else rows
    lines = [",".join(EDGE_HEADER)]
    for r in rows:
        lines.append(",".join(fmt_amount(v, unit) if i == 4 else str(v) for i, v in enumerate(r)))
    return "\n".join(lines) + "\n"


def write(folder, files):
    d = ROOT / folder
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    for name, content in files.items():
        if isinstance(content, bytes):
            (d / name).write_bytes(content)
        else:
            (d / name).write_bytes(content.encode("utf-8"))


def good(**over):
    files = {"bundle.toml": toml(), "nodes.csv": nodes_csv(), "edges.csv": edges_csv()}
    files.update(over)
    return files


def edit_nodes(i, col, value):
    rows = [list(r) for r in NODES]
    rows[i][NODE_HEADER.index(col)] = value
    return rows


def edit_edges(i, col, value):
    rows = [list(r) for r in EDGES]
    rows[i][EDGE_HEADER.index(col)] = value
    return rows



def main() -> None:
    write("good", good())
    write("good_gbk", {"bundle.toml": toml(), "nodes.csv": nodes_csv().encode("gbk"),
                       "edges.csv": edges_csv().encode("gbk")})
    write("good_yi", {"bundle.toml": toml("亿元"), "nodes.csv": nodes_csv("亿元"), "edges.csv": edges_csv("亿元")})
    write("good_bom_crlf", {"bundle.toml": toml(), "nodes.csv": b"\xef\xbb\xbf" + nodes_csv().replace("\n", "\r\n").encode("utf-8"),
                            "edges.csv": b"\xef\xbb\xbf" + edges_csv().replace("\n", "\r\n").encode("utf-8")})

    B = "broken/"
    # bundle.toml defects
    write(B + "toml_missing", {k: v for k, v in good().items() if k != "bundle.toml"})
    write(B + "toml_syntax", good(**{"bundle.toml": toml().replace('as_of = "2025-12-31"', 'as_of = 2025-12-31"')}))
    write(B + "toml_unknown_unit", good(**{"bundle.toml": toml(unit="美元")}))
    write(B + "toml_bad_as_of", good(**{"bundle.toml": toml().replace('"2025-12-31"', '"31/12/2025"')}))
    write(B + "toml_missing_name", good(**{"bundle.toml": toml(name="")}))
    write(B + "toml_unknown_key", good(**{"bundle.toml": toml(extra='author = "me"\n')}))
    write(B + "toml_missing_synthetic", good(**{"bundle.toml": toml().split("\n[synthetic]")[0] + "\n"}))
    write(B + "toml_bad_table_format", good(**{"bundle.toml": toml(tables='\n[tables]\nedges = "edges.txt"\n')}))
    # files
    write(B + "missing_edges_table", {k: v for k, v in good().items() if k != "edges.csv"})
    write(B + "empty_nodes", good(**{"nodes.csv": ",".join(NODE_HEADER) + "\n"}))
    write(B + "undecodable", good(**{"nodes.csv": nodes_csv().encode("utf-8").replace(b"Guizhou", b"Gui\xffzhou", 1)}))
    write(B + "declared_encoding_wrong", {"bundle.toml": toml(tables='\n[tables]\nencoding = "utf-8"\n'),
                                          "nodes.csv": nodes_csv().encode("gbk"), "edges.csv": edges_csv().encode("gbk")})
    write(B + "ragged_row", good(**{"edges.csv": edges_csv().replace("interbank,8000000000", "interbank,8000000000,extra")}))
    write(B + "missing_column", good(**{"nodes.csv": "\n".join(
        ",".join(c for j, c in enumerate(line.split(",")) if j != NODE_HEADER.index("equity"))
        for line in nodes_csv().splitlines()) + "\n"}))
    write(B + "duplicate_column", good(**{"edges.csv": "\n".join(line + (",layer" if i == 0 else ",funding") for i, line in enumerate(edges_csv().splitlines())) + "\n"}))
    # node cells
    write(B + "duplicate_id", good(**{"nodes.csv": nodes_csv(rows=NODES + [["JS-BANK1"] + NODES[3][1:3] + ["江苏某城商行（重复）", "Jiangsu city bank again"] + NODES[3][5:]])}))
    write(B + "empty_id", good(**{"nodes.csv": nodes_csv(rows=NODES + [[""] + NODES[7][1:]])}))
    write(B + "unknown_type", good(**{"nodes.csv": nodes_csv(rows=edit_nodes(3, "type", "bnk"))}))
    write(B + "unknown_province", good(**{"nodes.csv": nodes_csv(rows=edit_nodes(2, "province", "XX"))}))
    write(B + "province_not_a_province", good(**{"nodes.csv": nodes_csv(rows=edit_nodes(4, "province", "JS-BANK1"))}))
    write(B + "province_not_own", good(**{"nodes.csv": nodes_csv(rows=edit_nodes(1, "province", "national"))}))
    write(B + "not_a_number", good(**{"nodes.csv": nodes_csv(rows=edit_nodes(3, "equity", "2500亿"))}))
    write(B + "nan_text", good(**{"nodes.csv": nodes_csv(rows=edit_nodes(5, "liquid_assets", "NaN"))}))
    write(B + "negative_amount", good(**{"nodes.csv": nodes_csv(rows=edit_nodes(2, "debt_balance", "-5"))}))
    write(B + "ratio_out_of_range", good(**{"nodes.csv": nodes_csv(rows=edit_nodes(8, "compliance_cost_ratio", "1.5"))}))
    write(B + "count_not_integer", good(**{"nodes.csv": nodes_csv(rows=edit_nodes(6, "firm_count", "2.5"))}))
    write(B + "fiscal_capacity_zero", good(**{"nodes.csv": nodes_csv(rows=edit_nodes(0, "fiscal_capacity", ""))}))
    # edge cells
    write(B + "unknown_layer", good(**{"edges.csv": edges_csv(rows=edit_edges(4, "layer", "fund"))}))
    write(B + "kind_not_allowed", good(**{"edges.csv": edges_csv(rows=edit_edges(6, "kind", "loan"))}))
    write(B + "unknown_edge_node", good(**{"edges.csv": edges_csv(rows=edit_edges(2, "target", "GZ-LGFV9"))}))
    write(B + "self_loop", good(**{"edges.csv": edges_csv(rows=edit_edges(3, "target", "JS-BANK1"))}))
    write(B + "infinite_weight", good(**{"edges.csv": edges_csv(rows=edit_edges(7, "weight", "inf"))}))
    write(B + "zero_weight", good(**{"edges.csv": edges_csv(rows=edit_edges(8, "weight", "0"))}))
    write(B + "blank_weight", good(**{"edges.csv": edges_csv(rows=edit_edges(9, "weight", ""))}))
    # hostile inputs that validated once but misled the run (issue 9)
    write(B + "overflow_weight_yi", {"bundle.toml": toml("亿元"), "nodes.csv": nodes_csv("亿元"),
                                     "edges.csv": edges_csv("亿元", rows=edit_edges(0, "weight", "1e301"))})
    write(B + "huge_weight", good(**{"edges.csv": edges_csv(rows=edit_edges(1, "weight", "1e308"))}))
    national = [[r[0], r[1], "national", *r[3:]] for r in NODES if r[1] != "province"]
    write(B + "no_provinces", good(**{"nodes.csv": nodes_csv(rows=national),
                                      "edges.csv": edges_csv(rows=[e for e in EDGES if e[0] != "GZ"])}))
    write(B + "lat_out_of_range", good(**{"nodes.csv": nodes_csv(rows=edit_nodes(0, "lat", "999"))}))
    write(B + "lon_out_of_range", good(**{"nodes.csv": nodes_csv(rows=edit_nodes(1, "lon", "-500"))}))
    support = [list(r) for r in EDGES]
    support[5][:2] = ["GZ-DATA1", "JS-BANK1"]  # a data platform's implicit support of a bank
    write(B + "endpoint_source_type", good(**{"edges.csv": edges_csv(rows=support)}))
    write(B + "endpoint_target_type", good(**{"edges.csv": edges_csv(rows=edit_edges(4, "target", "GZ"))}))
    write(B + "symlink_outside", {k: v for k, v in good().items() if k != "nodes.csv"})
    (ROOT / "outside-secret.csv").write_text("id,type\nTOP-SECRET-LINE,never shown\n", encoding="utf-8")
    (ROOT / B / "symlink_outside" / "nodes.csv").symlink_to("../../outside-secret.csv")
    utf16 = toml(tables='\n[tables]\nencoding = "utf-16"\n')
    write(B + "utf16_declared_partly", {"bundle.toml": utf16, "nodes.csv": nodes_csv().encode("utf-16"),
                                        "edges.csv": edges_csv()})
    write("good_utf16", {"bundle.toml": utf16, "nodes.csv": nodes_csv().encode("utf-16"),
                         "edges.csv": edges_csv().encode("utf-16")})
    # several defects at once, in three files
    several_nodes = edit_nodes(3, "type", "bnk")
    several_nodes[5][NODE_HEADER.index("equity")] = "-1"
    several_edges = edit_edges(0, "layer", "fund")
    several_edges[10][EDGE_HEADER.index("target")] = "NOPE"
    write(B + "several", {"bundle.toml": toml(unit="USD"), "nodes.csv": nodes_csv(rows=several_nodes),
                          "edges.csv": edges_csv(rows=several_edges)})


if __name__ == "__main__":
    main()
