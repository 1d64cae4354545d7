"""The three-channel cascade on an hourly clock.

:func:`prepare` turns a :class:`~engine.graph.MultilayerGraph` into the arrays and
sparse matrices the channels need (once per graph and parameter set);
:func:`run_cascade` advances the clock from hour 0 to the scenario's horizon and
returns a :class:`~engine.result.CascadeResult`.  Every step is vectorised: per
hour a handful of sparse mat-vecs and O(n) array operations, never a per-edge
Python loop.  Equations and parameter provenance: docs/model.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp

from .arrays import safe_div
from .channels import data as data_ch
from .channels import funding as fund_ch
from .channels import supply_chain as sc_ch
from .debt import debt_ratio
from .parameters import Parameters
from .result import CascadeResult
from .scenario import FUNDING_KINDS, ResolvedShock, Scenario, resolve_shocks
from .schema import FIRM_TYPES, LENDER_TYPES

CHANNELS = ("funding", "supply_chain", "data")


def _row_normalise(m: sp.csr_array) -> sp.csr_array:
    tot = np.asarray(m.sum(axis=1)).ravel()
    return sp.csr_array(sp.diags_array(safe_div(1.0, tot)) @ m)


def _rows(m: sp.csr_array, mask: np.ndarray) -> sp.csr_array:
    """Keep only the rows where ``mask`` is true (others become empty)."""
    return sp.csr_array(sp.diags_array(mask.astype(np.float64)) @ m)


@dataclass(frozen=True, eq=False)
class Prepared:
    """Arrays and matrices derived once from a graph and parameters."""

    n: int
    province_ids: np.ndarray  # (P,) province node ids in node order
    node_province: np.ndarray  # (n,) index into province_ids, -1 for national
    types: np.ndarray
    is_lender: np.ndarray
    is_wmp: np.ndarray
    is_firm: np.ndarray
    is_core: np.ndarray
    is_lgfv: np.ndarray
    is_data: np.ndarray
    buffer: np.ndarray
    supply: np.ndarray
    liquid: np.ndarray
    output: np.ndarray
    aum: np.ndarray
    firm_count: np.ndarray
    impact: sp.csr_array
    by_kind: dict
    guarantee: sp.csr_array
    holdings: sp.csr_array
    sales_to_issuer: sp.csr_array
    outstanding: np.ndarray
    receivables: sp.csr_array
    receivables_total: np.ndarray
    scf: sp.csr_array
    scf_line: np.ndarray
    scf_to_platform: sp.csr_array
    inputs: sp.csr_array
    scoring: sp.csr_array
    scored: np.ndarray
    feed_share: sp.csr_array
    loans_to_firms: sp.csr_array
    alloc: sp.csr_array  # (n, P) share of each lender's supply landing in each province
    alloc_T: sp.csr_array  # its transpose, (P, n), kept for the hourly mat-vec
    base_by_province: np.ndarray
    node_ratio: np.ndarray
    compliance: np.ndarray
    sector: np.ndarray


def prepare(graph, params: Parameters, policies: dict | None = None) -> Prepared:
    """Derive the channel inputs from the graph (vectorised; once per run set)."""
    policies = policies or {}
    nodes = graph.nodes
    n = graph.n
    types = nodes["type"].to_numpy().astype(str)
    is_prov = types == "province"
    province_ids = nodes["id"].to_numpy()[is_prov].astype(str)
    prov_index = {p: k for k, p in enumerate(province_ids)}
    node_province = nodes["province"].map(prov_index).fillna(-1).to_numpy().astype(np.int64)
    is_lender = np.isin(types, LENDER_TYPES)
    is_wmp = types == "wmp"
    is_firm = np.isin(types, FIRM_TYPES)
    is_core = types == "core_firm"
    is_lgfv = types == "lgfv"
    is_data = types == "data_platform"

    equity = graph.column("equity")
    fiscal = graph.column("fiscal_capacity")
    funding_out = np.asarray(graph.matrix(["funding"]).sum(axis=1)).ravel()
    liquid = graph.column("liquid_assets")
    aum = np.where(is_wmp, funding_out + liquid, 0.0)
    # Wealth-management products are net-value: investors bear the losses, so a WMP's
    # loss buffer is its AUM (NAV) and its distress is the NAV loss share.
    buffer = np.where(is_prov, params.province_buffer_share * fiscal, np.where(is_wmp, aum, equity))
    supply = np.where(is_lender, graph.column("financing_supply"), 0.0)
    output = graph.column("output")
    firm_count = graph.column("firm_count")

    funding = graph.matrix(["funding"])
    guarantee = graph.matrix(["guarantee"])
    receivables = graph.matrix(["supply_chain"], ["receivable"])
    exposure = funding + guarantee + receivables
    firewall = float(policies.get("firewall", 0.0))
    key_nodes = policies.get("key_nodes", [])
    if firewall > 0 and key_nodes:
        keep = np.ones(n)
        keep[graph.positions(key_nodes)] = 1.0 - firewall
        exposure = sp.diags_array(keep) @ exposure @ sp.diags_array(keep)
    impact = fund_ch.impact_matrix(sp.csr_array(exposure), buffer, params.lgd)

    by_kind = {k: graph.matrix(["funding"], [k]) for k in FUNDING_KINDS}
    holdings = graph.matrix(["funding"], ["bond", "abs"])
    holdings = sp.csr_array(holdings @ sp.diags_array((~is_firm).astype(np.float64)))  # firm bonds are not fire-sold
    outstanding = np.asarray(holdings.sum(axis=0)).ravel()
    sales_to_issuer = sp.csr_array(_row_normalise(_rows(holdings, is_wmp)).T)

    receivables_total = np.asarray(receivables.sum(axis=1)).ravel()
    scf = graph.matrix(["supply_chain"], ["scf_financing"])
    scf_line = np.asarray(scf.sum(axis=1)).ravel()
    scf_to_platform = sp.csr_array(scf.T)
    inputs = graph.matrix(["supply_chain"], ["input"])
    scoring = _rows(graph.matrix(["data"], ["credit_scoring"]), is_lender)
    scored = np.asarray(scoring.sum(axis=1)).ravel()
    feed_share = _row_normalise(graph.matrix(["data"], ["data_feed"]))

    # Where each lender's supply lands: its loans/bonds to firms, or the firms it
    # finances through a platform; else its home province; national lenders with
    # no such edges spread by provincial output (GDP).
    loans_to_firms = _rows(graph.matrix(["funding"], ["loan", "bond"]), is_lender)
    loans_to_firms = sp.csr_array(loans_to_firms @ sp.diags_array(is_firm.astype(np.float64)))
    P = len(province_ids)
    firm_prov = np.where(is_firm & (node_province >= 0), node_province, -1)
    onehot = sp.csr_array(
        (np.ones(int((firm_prov >= 0).sum())), (np.flatnonzero(firm_prov >= 0), firm_prov[firm_prov >= 0])), shape=(n, P)
    )
    placed = loans_to_firms @ onehot + _rows(scf_to_platform, is_lender) @ onehot
    placed = sp.csr_array(placed)
    has_place = np.asarray(placed.sum(axis=1)).ravel() > 0
    fallback_rows = np.flatnonzero(is_lender & ~has_place)
    gdp = np.where(is_prov, output, 0.0)[is_prov]
    gdp_share = gdp / gdp.sum() if gdp.sum() > 0 else np.full(P, 1.0 / max(P, 1))
    rows, cols, vals = [], [], []
    for_home = fallback_rows[node_province[fallback_rows] >= 0]
    rows.append(for_home), cols.append(node_province[for_home]), vals.append(np.ones(for_home.size))
    for_nat = fallback_rows[node_province[fallback_rows] < 0]
    if for_nat.size and P:
        rows.append(np.repeat(for_nat, P)), cols.append(np.tile(np.arange(P), for_nat.size)), vals.append(np.tile(gdp_share, for_nat.size))
    extra = sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, P))
    alloc = _row_normalise(sp.csr_array(placed + extra))
    base_by_province = alloc.T @ supply

    ratio = debt_ratio(nodes, params.debt_ratio_definition)
    node_ratio = nodes["province"].map(ratio).to_numpy(dtype=np.float64)
    compliance = graph.column("compliance_cost_ratio")
    sector = nodes["sector"].fillna("").to_numpy().astype(str) if "sector" in nodes else np.full(n, "")
    return Prepared(
        n=n, province_ids=province_ids, node_province=node_province, types=types, is_lender=is_lender,
        is_wmp=is_wmp, is_firm=is_firm, is_core=is_core, is_lgfv=is_lgfv, is_data=is_data, buffer=buffer,
        supply=supply, liquid=liquid, output=output, aum=aum, firm_count=firm_count, impact=impact,
        by_kind=by_kind, guarantee=guarantee, holdings=holdings, sales_to_issuer=sales_to_issuer,
        outstanding=outstanding, receivables=receivables, receivables_total=receivables_total, scf=scf,
        scf_line=scf_line, scf_to_platform=scf_to_platform, inputs=inputs, scoring=scoring, scored=scored,
        feed_share=feed_share, loans_to_firms=loans_to_firms, alloc=alloc, alloc_T=sp.csr_array(alloc.T), base_by_province=base_by_province,
        node_ratio=node_ratio, compliance=compliance, sector=sector,
    )


def run_cascade(
    graph,
    scenario: Scenario,
    params: Parameters,
    *,
    prepared: Prepared | None = None,
    shock: ResolvedShock | None = None,
    data_mode: str = "expected",
    snapshot_hours: int = 6,
    progress: Callable[[int, int], None] | None = None,
) -> CascadeResult:
    """Run one scenario; returns the hour-by-hour result.

    Parameters
    ----------
    graph : MultilayerGraph
    scenario : Scenario
        Shock, horizon, step and policies (parameter overrides must already be in ``params``).
    params : Parameters
    prepared : Prepared, optional
        Re-use the derived matrices across runs (calibration does).
    data_mode : {"expected", "sampled"}
        ``expected``: a data platform fails by its probability (a share in [0, 1]),
        giving smooth, seed-free results; ``sampled``: each platform fails or not by
        a draw from ``numpy.random.default_rng(scenario.seed)``.
    snapshot_hours : int
        Node distress is kept every this many hours (for the map's time slider).
    progress : callable(hour, horizon), optional
    """
    if data_mode not in ("expected", "sampled"):
        raise ValueError(f"data_mode must be 'expected' or 'sampled', got {data_mode!r}")
    policies = scenario.policies
    pp = prepared if prepared is not None else prepare(graph, params, policies)
    shock = shock if shock is not None else resolve_shocks(graph, scenario, params)
    rng = np.random.default_rng(scenario.seed)
    n, P = pp.n, len(pp.province_ids)
    dt = float(scenario.step_hours)
    horizon = int(scenario.horizon_hours)
    steps = horizon // scenario.step_hours
    hours = np.arange(steps + 1) * scenario.step_hours
    substitution = max(params.national_substitution, float(policies.get("central_cloud", 0.0)))

    # ---- hour 0: the shock --------------------------------------------------------------
    sev = np.zeros(n)
    sev[shock.positions] = shock.severity
    shocked = sev > 0
    kind_sev = {}
    for k in FUNDING_KINDS:
        v = np.zeros(n)
        v[shock.positions] = shock.severity * shock.kind_mask[k]
        kind_sev[k] = v
    loss0 = fund_ch.default_losses(pp.by_kind, kind_sev, params.lgd) + params.lgd * (pp.guarantee @ sev)
    loss0[shocked] = 0.0
    reserve = float(policies.get("reserve_fund", 0.0))
    absorbed = 0.0
    if reserve > 0 and loss0.sum() > 0:
        absorbed = min(reserve, float(loss0.sum()))
        loss0 *= 1.0 - absorbed / loss0.sum()
    direct = np.minimum(1.0, safe_div(loss0, pp.buffer))
    h = np.maximum(direct, sev)
    pending = direct.copy()
    loss_direct = loss0.copy()

    province_defaulted = np.zeros(P, dtype=bool)
    sp_ = pp.node_province[shocked & pp.is_lgfv]
    province_defaulted[sp_[sp_ >= 0]] = True
    stress = float(sev.max()) if n else 0.0
    reprice = np.where(
        pp.is_lgfv & ~shocked,
        params.reprice_beta * np.maximum(0.0, np.nan_to_num(pp.node_ratio) - params.high_debt_threshold) * stress,
        0.0,
    )

    in_defaulted_province = np.isin(pp.node_province, np.flatnonzero(province_defaulted))
    never = np.iinfo(np.int64).max

    # Index sets: the clock works on these subsets and only recomputes a quantity when
    # its inputs changed, so an hour costs O(lenders + WMPs) plus the mat-vecs it needs.
    L = np.flatnonzero(pp.is_lender)
    F = np.flatnonzero(pp.is_firm)
    C = np.flatnonzero(pp.is_core)
    W_ = np.flatnonzero(pp.is_wmp)
    supply_L = pp.supply[L]
    elasticity_L = np.where(pp.is_wmp[L], 1.0, params.capital_elasticity)
    scoring_L = pp.scoring[L]
    scored_L = pp.scored[L]
    loans_L = pp.loans_to_firms[L]
    scf_L = pp.scf_to_platform[L]
    alloc_T_L = sp.csr_array(pp.alloc_T[:, L]) if P else sp.csr_array((0, L.size))
    receivables_F = pp.receivables[F]
    inputs_F = pp.inputs[F]
    rec_total_F, scf_line_F = pp.receivables_total[F], pp.scf_line[F]
    liquid_F, output_F = pp.liquid[F], pp.output[F]
    issuer = (pp.outstanding > 0) | (reprice > 0)
    issuer[shocked] = False  # defaulted paper is lost through the default, never marked down
    I = np.flatnonzero(issuer)
    holders = np.flatnonzero(np.diff(pp.holdings.indptr) > 0)
    holdings_HI = sp.csr_array(pp.holdings[holders][:, I])
    sales_IW = sp.csr_array(pp.sales_to_issuer[I][:, W_])
    outstanding_I, reprice_I = pp.outstanding[I], reprice[I]
    buffer_H = pp.buffer[holders]

    # state
    redeemed_W = np.zeros(W_.size)
    mark_I = np.zeros(I.size)
    mtm_loss = np.zeros(n)
    cut_L = np.zeros(L.size)
    cut_ch_L = np.zeros((3, L.size))
    halted = np.zeros(n, dtype=bool)
    halt_hour = np.full(n, never)
    stressed_since = np.full(n, never)
    trigger_hour = np.full(n, never)
    capacity = np.zeros(n)
    frozen = np.zeros(n)
    blocked_fin = np.zeros(n)
    failed = np.zeros(n)
    fail_p = np.zeros(n)
    hit_hour_node = np.full(n, never)
    hit_hour_prov = np.full(P, never)
    prov_hit_by_node = np.zeros(P, dtype=bool)
    draws = rng.random(n)
    lag_steps = int(round(params.run_lag_hours / dt))
    wmp_hist = [h[W_].copy()]
    snap_every = max(1, int(snapshot_hours // scenario.step_hours))
    snapshots = {0: h.astype(np.float32)}

    tl = {k: np.zeros(steps + 1) for k in ("shrink", "shrink_funding", "shrink_supply_chain", "shrink_data",
                                          "provinces_hit", "halted_groups", "halted_firms", "data_failed",
                                          "redeemed", "mean_lender_distress", "sme_profiles_lost")}
    prov_shrink = np.zeros((steps + 1, P))
    matvecs = 0
    cache = {"shrink_p": np.zeros(P), "profiles": 0.0, "halted_firms": 0.0}

    def record(k: int, t: int, h_changed: bool, cut_changed: bool, failed_changed: bool):
        nonlocal matvecs
        if cut_changed:
            cache["shrink_p"] = alloc_T_L @ cut_L
            matvecs += 1
        shrink_p = cache["shrink_p"]
        prov_shrink[k] = shrink_p
        if h_changed:
            newly = ((h >= params.hit_distress) | halted) & (hit_hour_node == never)
            hit_hour_node[newly] = t
            local = pp.node_province[newly]
            prov_hit_by_node[local[local >= 0]] = True
        by_supply = safe_div(shrink_p, pp.base_by_province) >= params.hit_supply_share
        hit = prov_hit_by_node | by_supply
        hit_hour_prov[hit & (hit_hour_prov == never)] = t
        if failed_changed:
            cache["profiles"] = float(pp.firm_count @ (pp.feed_share @ failed))
            matvecs += 1
        tl["shrink"][k] = cut_L.sum()
        tl["shrink_funding"][k], tl["shrink_supply_chain"][k], tl["shrink_data"][k] = cut_ch_L.sum(axis=1)
        tl["provinces_hit"][k] = int((hit_hour_prov <= t).sum())
        tl["halted_groups"][k] = int(halted[F].sum())
        tl["halted_firms"][k] = cache["halted_firms"]
        tl["data_failed"][k] = float(failed.sum())
        tl["redeemed"][k] = float(redeemed_W.sum())
        tl["mean_lender_distress"][k] = float(h[L].mean()) if L.size else 0.0
        tl["sme_profiles_lost"][k] = cache["profiles"]

    trigger_hour[pp.is_core & in_defaulted_province] = 0
    # fiscal stress: the hour a province's own distress (guarantee calls) first reached hit_distress
    prov_pos = np.flatnonzero(pp.types == "province")
    fiscal_hour = np.full(P, never)
    at_risk_idx = np.flatnonzero(pp.is_data & (pp.node_province >= 0))
    fail_p_risk = data_ch.failure_probability(
        pp.node_ratio[at_risk_idx], pp.compliance[at_risk_idx], params.data_fail_base,
        params.high_debt_threshold, params.compliance_reference,
    )
    fail_draw = fail_p_risk if data_mode == "expected" else (draws[at_risk_idx] < fail_p_risk).astype(np.float64)

    def update_fiscal(t):
        stressed = (h[prov_pos] >= params.hit_distress) & (fiscal_hour == never)
        fiscal_hour[stressed] = t

    update_fiscal(0)
    record(0, 0, True, True, True)
    last_hop = 0
    blocked = shocked.astype(np.float64)
    blocked_dirty = True
    halted_dirty = True
    lost_L = np.zeros(L.size)
    lent_to_halted_L = np.zeros(L.size)
    platform_lost_L = np.zeros(L.size)
    live_prev = np.zeros(at_risk_idx.size, dtype=bool)
    event = 0.0
    # A shocked data platform stops at hour 0 (to the extent of the shock's severity).
    shocked_data = np.flatnonzero(shocked & pp.is_data)
    initial_data = bool(shocked_data.size)
    if initial_data:
        failed[shocked_data] = sev[shocked_data]
        fail_p[shocked_data] = 1.0
    for k in range(1, steps + 1):
        t = int(hours[k])
        h_changed = False
        # ---- funding: one counterparty hop every hop_hours --------------------------------
        hop = params.hop_hours <= 0 or int(t // params.hop_hours) > last_hop
        if hop:
            last_hop = int(t // params.hop_hours) if params.hop_hours > 0 else t
            if pending.any():
                h_new = fund_ch.debtrank_hop(pp.impact, h, pending)
                matvecs += 1
                pending = h_new - h
                h = h_new
                h_changed = True
            mark_new = np.maximum(mark_I, reprice_I)
        else:
            mark_new = mark_I
        # WMP runs and fire sales
        lagged = wmp_hist[max(0, len(wmp_hist) - 1 - lag_steps)] if len(wmp_hist) > lag_steps else np.zeros(W_.size)
        target = fund_ch.redemption_target(lagged, pp.aum[W_], params.run_sensitivity, params.run_max)
        redeemed_W = fund_ch.accrue(redeemed_W, target, dt, params.run_half_life_hours)
        sales_W = fund_ch.forced_sales(redeemed_W, pp.liquid[W_])
        if sales_W.any():
            mark_new = np.maximum(
                mark_new,
                fund_ch.markdown(sales_IW, sales_W, outstanding_I, params.price_impact, params.markdown_max, reprice_I),
            )
            matvecs += 1
        dmark = mark_new - mark_I
        if dmark.any():
            dloss = holdings_HI @ dmark
            matvecs += 1
            mtm_loss[holders] += dloss
            inc = np.minimum(1.0 - h[holders], safe_div(dloss, buffer_H))
            h[holders] += inc
            pending[holders] += inc
            h_changed = True
        mark_I = mark_new

        # ---- supply chain ---------------------------------------------------------------
        if C.size:
            waiting = trigger_hour[C] == never
            trig = waiting & ((h[C] >= params.dropout_distress) | in_defaulted_province[C])
            trigger_hour[C[trig]] = t
            drops = C[(trigger_hour[C] != never) & (t >= trigger_hour[C] + params.dropout_lag_hours) & (blocked[C] == 0)]
            if drops.size:
                blocked[drops] = 1.0
                blocked_dirty = True
        if blocked_dirty:
            frozen_F = receivables_F @ blocked
            frozen[F] = frozen_F
            blocked_fin[F] = params.scf_withdrawal_share * sc_ch.blocked_financing(scf_line_F, frozen_F, rec_total_F)
            need_F = sc_ch.liquidity_shortfall(frozen_F, blocked_fin[F], params.payment_delay_share)
            ratio_blocked = np.zeros(n)
            ratio_blocked[F] = params.scf_withdrawal_share * np.minimum(1.0, safe_div(frozen_F, rec_total_F))
            platform_lost_L = scf_L @ ratio_blocked
            matvecs += 2
        if halted_dirty:
            capacity[F] = sc_ch.capacity_loss(inputs_F, halted.astype(np.float64), output_F, params.input_substitutability)
            matvecs += 1
        if blocked_dirty or halted_dirty:
            distressed = ~halted[F] & ((need_F > liquid_F) | (capacity[F] >= params.downstream_halt_share))
            newly = F[distressed & (stressed_since[F] == never)]
            stressed_since[newly] = t
            candidates = F[~halted[F] & (stressed_since[F] != never)]
        blocked_dirty = halted_dirty = False
        new_halt = candidates[t >= stressed_since[candidates] + params.halt_lag_hours]
        if new_halt.size:
            halted[new_halt] = True
            halt_hour[new_halt] = t
            inc = 1.0 - h[new_halt]
            h[new_halt] = 1.0
            pending[new_halt] += inc
            cache["halted_firms"] += float(pp.firm_count[new_halt].sum())
            blocked[new_halt] = 1.0
            candidates = np.setdiff1d(candidates, new_halt, assume_unique=True)
            lent_to_halted_L = loans_L @ halted.astype(np.float64)  # lending to halted firms stops at once
            matvecs += 1
            blocked_dirty = halted_dirty = h_changed = True

        # ---- data ----------------------------------------------------------------------------
        update_fiscal(t)
        failed_changed = initial_data
        if initial_data:
            lost_L = data_ch.lost_scored_lending(scoring_L, failed, substitution)
            matvecs += 1
            initial_data = False
        if at_risk_idx.size:
            hp = fiscal_hour[pp.node_province[at_risk_idx]]
            live = (hp != never) & (t >= hp + params.data_lag_hours)
            if (live & ~live_prev).any():
                fail_p[at_risk_idx] = np.where(live, fail_p_risk, fail_p[at_risk_idx])
                failed[at_risk_idx] = np.where(live, np.maximum(failed[at_risk_idx], fail_draw), failed[at_risk_idx])
                lost_L = data_ch.lost_scored_lending(scoring_L, failed, substitution)
                matvecs += 1
                failed_changed = True
            live_prev = live
        event = float(failed.max()) if failed_changed or k == 1 else event
        share_d = data_ch.tightening_share(lost_L, scored_L, supply_L, params.tightening, params.collective_tightening, event)

        # ---- effective supply (lenders only) ---------------------------------------------------
        red_share = np.zeros(L.size)
        red_share[pp.is_wmp[L]] = safe_div(redeemed_W, pp.aum[W_])
        share_f = fund_ch.supply_cut_share(h[L], elasticity_L, red_share)
        share_s = safe_div(lent_to_halted_L + platform_lost_L, supply_L)
        shares = np.vstack([share_f, share_s, share_d])
        total = shares.sum(axis=0)
        new_cut = supply_L * np.minimum(1.0, total)
        grow = new_cut > cut_L
        cut_changed = bool(grow.any())
        if cut_changed:
            cut_L = np.where(grow, new_cut, cut_L)
            cut_ch_L = np.where(grow, cut_L * safe_div(shares, total), cut_ch_L)

        wmp_hist.append(h[W_].copy())
        if len(wmp_hist) > lag_steps + 2:
            wmp_hist.pop(0)
        if k % snap_every == 0 or k == steps:
            snapshots[t] = h.astype(np.float32)
        record(k, t, h_changed, cut_changed, failed_changed)
        if progress is not None:
            progress(t, horizon)

    redeemed = np.zeros(n)
    redeemed[W_] = redeemed_W
    mark = np.zeros(n)
    mark[I] = mark_I
    cut = np.zeros(n)
    cut[L] = cut_L
    cut_ch = np.zeros((3, n))
    cut_ch[:, L] = cut_ch_L
    return CascadeResult.build(
        graph=graph, scenario=scenario, params=params, prepared=pp, shock=shock, hours=hours, timeline=tl,
        province_shrink=prov_shrink, hit_hour_province=hit_hour_prov, never=never, h=h, loss_direct=loss_direct,
        mtm_loss=mtm_loss, cut=cut, cut_by_channel=cut_ch, halted=halted, halt_hour=halt_hour,
        hit_hour_node=hit_hour_node, capacity=capacity, redeemed=redeemed, markdown=mark, frozen=frozen,
        blocked_financing=blocked_fin, data_failed=failed, data_fail_probability=fail_p, snapshots=snapshots,
        matvecs=matvecs, reserve_absorbed=absorbed, data_mode=data_mode, substitution=substitution,
    )
