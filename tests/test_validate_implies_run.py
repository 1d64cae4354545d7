"""Whatever validates also runs: over every good bundle, and over fuzzed variants (hypothesis).

``validate`` and ``load`` share one code path (``engine.bundle._load``); this test
holds the promise end to end: a bundle with no defect loads, builds a graph and
runs a stress scenario to finite figures; a bundle with defects is refused by
``load_bundle`` with exactly the defects ``validate_bundle`` lists.

The fuzzer edits cells of real tables (the embedded dataset and the small ``good``
fixture): weights and amounts (huge, infinite, NaN, negative, text), coordinates,
edge endpoints and kinds, node types, duplicate rows.  Seeded (``derandomize``)
and bounded: a few dozen examples, well under a minute.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.bundle import default_bundle_path, load_bundle, validate_bundle
from engine.errors import BundleError
from engine.schema import ALL_EDGE_KINDS, NODE_COLUMNS, NODE_TYPES

ROOT = Path(__file__).resolve().parents[1]
BUNDLES = ROOT / "tests" / "bundles"
SCENARIO = """name = "fuzz"
horizon_hours = 12
step_hours = 1
seed = 1
[[shock]]
type = "lgfv"
severity = 1.0
"""
AMOUNTS = [c for c, (d, _, _) in NODE_COLUMNS.items() if d == "amount"]


def runs(path: Path, scenario: Path) -> None:
    """Load ``path``, build the graph, run the short scenario; the headline is finite."""
    from engine.runner import load_graph, run_stress

    r = run_stress(load_graph(path), scenario)
    hl = r.headline
    assert 0 <= hl["provinces_hit"] <= hl["provinces_total"]
    for k in ("shrinkage_yuan", "effective_supply_base_yuan", "wmp_redemptions_yuan", "institution_losses_yuan"):
        assert math.isfinite(hl[k]) and hl[k] >= 0, (k, hl[k])
    assert np.isfinite(r.nodes["distress"].to_numpy()).all()


def check(path: Path, scenario: Path) -> bool:
    """The property on one bundle; returns whether it was valid."""
    defects = validate_bundle(path)
    if defects:
        with pytest.raises(BundleError) as info:
            load_bundle(path)
        assert info.value.defects == defects
        return False
    runs(path, scenario)
    return True


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    p = tmp_path_factory.mktemp("scn") / "fuzz.toml"
    p.write_text(SCENARIO, encoding="utf-8")
    return p


def _doc_example(dst: Path) -> Path:
    doc = (ROOT / "docs" / "bundle-format.md").read_text(encoding="utf-8")
    dst.mkdir()
    for name, text in re.findall(r"```(?:toml|csv) (\S+)\n(.*?)```", doc, flags=re.S):
        (dst / name).write_text(text, encoding="utf-8")
    return dst


def test_every_good_bundle_validates_and_runs(tmp_path, scenario):
    from engine.generate import generate_bundle

    good = [BUNDLES / n for n in ("good", "good_gbk", "good_yi", "good_bom_crlf", "good_utf16", "xss")]
    good += [default_bundle_path(), _doc_example(tmp_path / "doc"),
             generate_bundle(tmp_path / "gen", 400, 4_000, seed=3, fmt="parquet"),
             generate_bundle(tmp_path / "gen-csv", 300, 2_000, seed=4, fmt="csv", provinces=5)]
    for path in good:
        assert validate_bundle(path) == [], path
        runs(path, scenario)


# ----------------------------------------------------------------------------------------------
# fuzzed variants
# ----------------------------------------------------------------------------------------------

def _tables(path: Path):
    read = dict(dtype=str, keep_default_na=False, encoding="utf-8")
    return pd.read_csv(path / "nodes.csv", **read), pd.read_csv(path / "edges.csv", **read)


EMBEDDED = default_bundle_path()
E_NODES, E_EDGES = _tables(EMBEDDED)
G_NODES, G_EDGES = _tables(BUNDLES / "good")

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=0, max_value=1e6).map(repr),
    st.sampled_from(["1e301", "1e308", "1e10", "5e9", "-1", "0", "", "abc", "2,5", "1e-300"]),
)


def mutations(n_nodes: int, n_edges: int):
    node, edge = st.integers(0, n_nodes - 1), st.integers(0, n_edges - 1)
    return st.one_of(
        st.tuples(st.just("weight"), edge, numbers),
        st.tuples(st.just("endpoint"), edge, st.sampled_from(["source", "target"]), node),
        st.tuples(st.just("kind"), edge, st.sampled_from(ALL_EDGE_KINDS)),
        st.tuples(st.just("duplicate"), edge),
        st.tuples(st.just("coordinate"), node, st.sampled_from(["lat", "lon"]), numbers),
        st.tuples(st.just("amount"), node, st.sampled_from(AMOUNTS), numbers),
        st.tuples(st.just("type"), node, st.sampled_from(NODE_TYPES)),
    )


def apply(nodes: pd.DataFrame, edges: pd.DataFrame, muts) -> tuple[pd.DataFrame, pd.DataFrame]:
    nodes, edges = nodes.copy(), edges.copy()
    for m in muts:
        op = m[0]
        if op == "weight":
            edges.iloc[m[1], edges.columns.get_loc("weight")] = m[2]
        elif op == "endpoint":
            edges.iloc[m[1], edges.columns.get_loc(m[2])] = nodes["id"].iloc[m[3]]
        elif op == "kind":
            edges.iloc[m[1], edges.columns.get_loc("kind")] = m[2]
        elif op == "duplicate":
            edges = pd.concat([edges, edges.iloc[[m[1]]]], ignore_index=True)
        elif op == "coordinate" and m[2] in nodes.columns:
            nodes.iloc[m[1], nodes.columns.get_loc(m[2])] = m[3]
        elif op == "amount" and m[2] in nodes.columns:
            nodes.iloc[m[1], nodes.columns.get_loc(m[2])] = m[3]
        elif op == "type":
            nodes.iloc[m[1], nodes.columns.get_loc("type")] = m[2]
    return nodes, edges


def fuzz_once(src: Path, nodes, edges, muts, scenario) -> bool:
    with tempfile.TemporaryDirectory() as d:
        dst = Path(d) / "b"
        dst.mkdir()
        shutil.copy(src / "bundle.toml", dst / "bundle.toml")
        n, e = apply(nodes, edges, muts)
        n.to_csv(dst / "nodes.csv", index=False, encoding="utf-8")
        e.to_csv(dst / "edges.csv", index=False, encoding="utf-8")
        return check(dst, scenario)


SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])


@settings(max_examples=12, **SETTINGS)
@given(muts=st.lists(mutations(len(E_NODES), len(E_EDGES)), min_size=1, max_size=3))
def test_fuzzed_embedded_dataset(scenario, muts):
    fuzz_once(EMBEDDED, E_NODES, E_EDGES, muts, scenario)


@settings(max_examples=60, **SETTINGS)
@given(muts=st.lists(mutations(len(G_NODES), len(G_EDGES)), min_size=1, max_size=4))
def test_fuzzed_small_bundle(scenario, muts):
    fuzz_once(BUNDLES / "good", G_NODES, G_EDGES, muts, scenario)
