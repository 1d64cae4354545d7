"""The bundle's table schema: node types, edge layers and kinds, and columns.

This module is the single statement of what a bundle's ``nodes`` and ``edges``
tables hold; the loader (:mod:`engine.bundle`), the generators and
``docs/bundle-format.md`` all follow it.

Orientation convention (used everywhere in the engine)
------------------------------------------------------
An edge ``source -> target`` with weight ``w`` means **source is exposed to
target by the amount w**: when ``target`` is distressed, ``source`` loses.
In matrix form ``W[i, j] = w`` is the amount node ``i`` is exposed to node ``j``.
Every layer's weight is an amount of money in the bundle's currency unit
(normalised to yuan on load).
"""

from __future__ import annotations

NODE_TYPES: tuple[str, ...] = (
    "province",       # provincial government (debt balance, fiscal capacity)
    "lgfv",           # local-government financing vehicle / 城投 platform
    "bank",           # commercial bank
    "wmp",            # bank wealth-management subsidiary (理财子公司)
    "trust",          # trust company
    "securities",     # securities firm
    "leasing",        # financial leasing company
    "scf_platform",   # supply-chain-finance platform
    "core_firm",      # core enterprise (anchor of supply chains)
    "sme_group",      # a group of small and medium suppliers
    "data_platform",  # provincial / national industrial big-data platform
)

#: Types that provide financing to industry (their ``financing_supply`` counts
#: towards effective industrial-finance supply).
LENDER_TYPES: tuple[str, ...] = ("bank", "wmp", "trust", "securities", "leasing", "scf_platform")

#: Types that produce (have ``output`` and ``firm_count``).
FIRM_TYPES: tuple[str, ...] = ("core_firm", "sme_group")

LAYERS: tuple[str, ...] = ("funding", "guarantee", "supply_chain", "data")

#: Allowed edge kinds per layer, with the meaning of ``source -> target, weight``.
EDGE_KINDS: dict[str, dict[str, str]] = {
    "funding": {
        "bond": "source holds bonds issued by target (amount held)",
        "abs": "source holds ABS tranches backed by target's assets (amount held)",
        "nonstandard": "source holds non-standard debt (trust loans, private placements) of target",
        "loan": "source has lent to target (outstanding principal)",
        "interbank": "source has an interbank claim on target (placements, repo, NCDs)",
        "wmp_holding": "source (an investor pool / parent bank) holds wealth-management products of target",
    },
    "guarantee": {
        "guarantee": "source guarantees debt of target (guaranteed amount); source pays if target defaults",
        "implicit_support": "source (usually a province) is expected to support target (amount of target's debt)",
    },
    "supply_chain": {
        "receivable": "source has trade receivables on target (amount outstanding)",
        "scf_financing": "source's receivables are financed through platform target (financing line in use)",
        "input": "source buys production inputs from target (annual purchases)",
    },
    "data": {
        "credit_scoring": "source underwrites lending scored with target's data (lending volume)",
        "data_feed": "source (a firm group) has its data-based credit profile on platform target (its financing that depends on it)",
    },
}

ALL_EDGE_KINDS: tuple[str, ...] = tuple(k for kinds in EDGE_KINDS.values() for k in kinds)

#: Node columns: name -> (dtype, required, meaning).  dtype is "str", "amount"
#: (money, non-negative, converted to yuan), "ratio" (number in [0, 1]),
#: "count" (non-negative integer) or "float" (any finite number).
NODE_COLUMNS: dict[str, tuple[str, bool, str]] = {
    "id": ("str", True, "unique node id (no spaces); provinces use the ISO 3166-2:CN suffix, e.g. GZ"),
    "type": ("str", True, "one of NODE_TYPES"),
    "province": ("str", True, "home province id (a node of type province) or 'national'"),
    "name_zh": ("str", True, "Chinese name"),
    "name_en": ("str", True, "English name"),
    "equity": ("amount", True, "loss-absorbing equity (capital buffer)"),
    "liquid_assets": ("amount", True, "liquid assets available to meet redemptions / payments"),
    "financing_supply": ("amount", True, "financing this node provides to industry (stock outstanding)"),
    "debt_balance": ("amount", True, "provinces: local-government debt balance; others: own debt"),
    "fiscal_capacity": ("amount", True, "provinces: comprehensive fiscal capacity (综合财力); others 0"),
    "compliance_cost_ratio": ("ratio", True, "data-compliance spending / revenue, in [0, 1]"),
    "firm_count": ("count", True, "firm groups: number of firms; others 0"),
    "output": ("amount", True, "firm groups and core firms: annual output; others 0"),
    # optional columns
    "sector": ("str", False, "industry of firms (e.g. electronics, nev, machinery); empty otherwise"),
    "lat": ("float", False, "latitude (provinces: capital city), WGS84 degrees"),
    "lon": ("float", False, "longitude (provinces: capital city), WGS84 degrees"),
    "region": ("str", False, "NBS region (east, central, west, northeast)"),
    "cluster": ("str", False, "regional cluster (长三角, 粤港澳大湾区, 成渝, 京津冀)"),
    "lgfv_debt": ("amount", False, "provinces: LGFV interest-bearing debt in the province"),
}

EDGE_COLUMNS: dict[str, tuple[str, bool, str]] = {
    "source": ("str", True, "id of the exposed node"),
    "target": ("str", True, "id of the node it is exposed to"),
    "layer": ("str", True, "one of LAYERS"),
    "kind": ("str", True, "one of EDGE_KINDS[layer]"),
    "weight": ("amount", True, "exposure amount (> 0)"),
}

#: The home-province value for nodes that are not tied to one province.
NATIONAL = "national"
