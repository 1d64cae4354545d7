"""The result of one cascade run: headline figures, tables and the hourly timeline.

``CascadeResult.to_json()`` follows the documented schema ``docs/result-schema.md``
(``schema_version`` below); ``node_table()`` / ``province_table()`` are the
tables written next to it.  Maps and reports read these; they never re-model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import __version__
from .formatting import hours_for_table

SCHEMA_NAME = "contagion-engine/result"
SCHEMA_VERSION = "2.0"
CHANNELS = ("funding", "supply_chain", "data")


@dataclass(frozen=True, eq=False)
class CascadeResult:
    """Everything one run produced.  Arrays are in node-position order."""

    meta: dict
    headline: dict
    timeline: pd.DataFrame
    provinces: pd.DataFrame
    nodes: pd.DataFrame
    by_type: pd.DataFrame
    sectors: pd.DataFrame
    province_shrink: np.ndarray  # (hours, P) yuan
    snapshots: dict = field(repr=False, default_factory=dict)  # hour -> float32 distress per node
    source: tuple | None = field(repr=False, default=None)  # (engine.metrics.View, column) the result was read from

    # ------------------------------------------------------------------------------
    @classmethod
    def from_batch(cls, graph, scenarios, params_list, batch, pp, state, recorder, j: int, *, data_mode: str, shock):
        """The result of scenario ``j`` of a batch run (:func:`engine.cascade.run_batch`)."""
        scenario, params = scenarios[j], params_list[j]
        nodes = graph.nodes
        n, P = pp.n, pp.P
        L, F, C, W, I, D = pp.L, pp.F, pp.C, pp.W, pp.I, pp.D

        def put(index, values, fill=0.0):
            out = np.full(n, fill, dtype=np.float64)
            if len(index):
                out[index] = values
            return out

        h = state.h[:, j]
        cut = put(L, state.cut[:, j])
        cut_ch = np.vstack([put(L, state.cut_by_channel[c, :, j]) for c in range(3)])
        halted_share = put(F, state.halted[:, j])
        loss = h * pp.buffer
        shocked = np.zeros(n, dtype=bool)
        shocked[shock.positions] = True
        keep = lambda col: nodes[col].reset_index(drop=True)  # noqa: E731 - reuse string columns as they are
        node_tab = pd.DataFrame({
            "id": keep("id"),
            "type": keep("type"),
            "province": keep("province"),
            "name_zh": keep("name_zh"),
            "name_en": keep("name_en"),
            "sector": keep("sector").fillna("") if "sector" in nodes else pp.sector,
            "shocked": shocked,
            "distress": h,
            "buffer_yuan": pp.buffer,
            "loss_yuan": loss,
            "direct_default_loss_yuan": state.loss_default[:, j],
            "hop_loss_yuan": state.loss_hop[:, j],
            "markdown_loss_yuan": state.loss_mark[:, j],
            "financing_supply_yuan": pp.supply,
            "supply_cut_yuan": cut,
            "supply_cut_funding_yuan": cut_ch[0],
            "supply_cut_supply_chain_yuan": cut_ch[1],
            "supply_cut_data_yuan": cut_ch[2],
            "first_hit_hour": state.node_hit_hour[:, j].astype(np.int64),
            "halted": halted_share >= 0.5,
            "halted_share": halted_share,
            "capacity_loss": put(C, state.capacity[:, j]),
            "dropout_share": put(C, state.dropout[:, j]),
            "redeemed_yuan": put(W, state.redeemed[:, j]),
            "spread_change_bp": put(I, 1e4 * state.spread[:, j]),
            "markdown": put(I, state.mark_bond[:, j]),
            "frozen_receivables_yuan": put(F, state.frozen[:, j]),
            "blocked_share": put(F, state.blocked[:, j]),
            "lines_withdrawn_share": put(F, state.lines_withdrawn[:, j]),
            "blocked_financing_yuan": put(F, state.blocked[:, j] * pp.scf_line),
            "liquidity_need_yuan": put(F, state.need[:, j]),
            "data_failed": put(D, state.failed[:, j]),
        })
        hours = batch.hours
        province_shrink = recorder.province_shrink[:, :, j]
        final_shrink = province_shrink[-1] if len(province_shrink) else np.zeros(P)
        by_ch = np.vstack([pp.alloc_PL @ state.cut_by_channel[c, :, j] for c in range(3)]) if P else np.zeros((3, 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(pp.base_by_province > 0, final_shrink / pp.base_by_province, 0.0)
        hit_hour = state.hit_hour[:, j]
        prov_nodes = nodes.iloc[pp.prov_pos]
        provinces = pd.DataFrame({
            "id": pp.province_ids,
            "name_zh": prov_nodes["name_zh"].to_numpy(),
            "name_en": prov_nodes["name_en"].to_numpy(),
            "debt_ratio": pp.ratio,
            "headroom_yuan": pp.headroom,
            "support_paid_yuan": state.province_paid[:, j],
            "hit_hour": [None if v < 0 else int(v) for v in hit_hour],
            "conditions_index": state.x[:, j],
            "supply_base_yuan": pp.base_by_province,
            "shrinkage_yuan": final_shrink,
            "shrinkage_share": share,
            "shrinkage_funding_yuan": by_ch[0],
            "shrinkage_supply_chain_yuan": by_ch[1],
            "shrinkage_data_yuan": by_ch[2],
        })
        provinces = provinces.sort_values(["hit_hour", "shrinkage_yuan"], ascending=[True, False], na_position="last",
                                          kind="stable").reset_index(drop=True)
        g = node_tab.groupby("type", sort=True)
        by_type = pd.DataFrame({
            "count": g.size(),
            "financing_supply_yuan": g["financing_supply_yuan"].sum(),
            "supply_cut_yuan": g["supply_cut_yuan"].sum(),
            "supply_cut_funding_yuan": g["supply_cut_funding_yuan"].sum(),
            "supply_cut_supply_chain_yuan": g["supply_cut_supply_chain_yuan"].sum(),
            "supply_cut_data_yuan": g["supply_cut_data_yuan"].sum(),
            "loss_yuan": g["loss_yuan"].sum(),
            "mean_distress": g["distress"].mean(),
            "halted": g["halted_share"].sum(),
        }).reset_index()
        makers = node_tab[(node_tab["type"] == "core_firm") & (node_tab["sector"] != "")]
        w = pp.output[makers.index.to_numpy()]
        sectors = (
            pd.DataFrame({"sector": makers["sector"], "w": w, "wl": w * makers["capacity_loss"], "halted": makers["halted_share"]})
            .groupby("sector").agg(makers=("w", "size"), output_yuan=("w", "sum"), wl=("wl", "sum"), halted=("halted", "sum"))
            .reset_index()
        )
        sectors["capacity_utilisation_change_pp"] = 0.0 - 100.0 * np.where(sectors["output_yuan"] > 0, sectors["wl"] / sectors["output_yuan"], 0.0)
        sectors = sectors.drop(columns="wl")
        series = {name: recorder.series[name][:, j] for name in recorder.series}
        tl = pd.DataFrame({"hour": hours, **series})
        base = float(pp.supply.sum())
        total_cut = float(cut.sum())
        hit = provinces["hit_hour"].notna()
        last = {name: float(v[-1]) for name, v in series.items()}
        headline = {
            "provinces_hit": int(hit.sum()),
            "provinces_total": int(P),
            "first_hit_hours": {r.id: int(r.hit_hour) for r in provinces[hit].itertuples()},
            "effective_supply_base_yuan": base,
            "shrinkage_yuan": total_cut,
            "shrinkage_share": total_cut / base if base > 0 else 0.0,
            "shrinkage_by_channel_yuan": {c: float(cut_ch[k].sum()) for k, c in enumerate(CHANNELS)},
            "shrinkage_hour1_yuan": float(series["shrink"][1]) if len(hours) > 1 else 0.0,
            "direct_default_loss_yuan": float(state.loss_default[:, j].sum()),
            "hop_loss_yuan": float(state.loss_hop[:, j].sum()),
            "markdown_loss_yuan": float(state.loss_mark[:, j].sum()),
            "institution_losses_yuan": float(loss[~shocked & np.isin(np.arange(n), L)].sum()),
            "implicit_support_paid_yuan": float(state.province_paid[:, j].sum()),
            "wmp_redemptions_yuan": float(state.redeemed[:, j].sum()),
            "firm_groups_halted": last["halted_groups"],
            "firms_halted": last["halted_firms"],
            "firms_losing_receivables_financing": last["firms_losing_receivables_financing"],
            "data_platforms_failed": last["data_failed"],
            "sme_credit_profiles_lost": last["sme_profiles_lost"],
            "abs_spread_change_bp": last["abs_spread_bp"],
            "sub_tranche_issuance_success": last["sub_issuance_success"],
            "reserve_fund_absorbed_yuan": float(state.reserve_used[j]),
        }
        meta = {
            "engine_version": __version__,
            "bundle": _bundle_meta(graph.meta),
            "scenario": {
                "name": scenario.name,
                "description": scenario.description,
                "path": scenario.path,
                "horizon_hours": scenario.horizon_hours,
                "step_hours": scenario.step_hours,
                "seed": scenario.seed,
                "shocks": list(shock.descriptions),
                "policies": dict(scenario.policies),
            },
            "parameters": params.as_dict(),
            "data_mode": data_mode,
            "national_substitution_effective": float(batch.substitution[j]),
        }
        if scenario.policies.get("reserve_fund"):
            from .policies import reserve_contributions

            meta["reserve_fund_contributions"] = reserve_contributions(pp, scenario.policies)
        snapshots = {t: v[:, j] for t, v in recorder.snapshots.items()}
        from .metrics import View

        return cls(meta=meta, headline=headline, timeline=tl, provinces=provinces, nodes=node_tab, by_type=by_type,
                   sectors=sectors, province_shrink=province_shrink, snapshots=snapshots,
                   source=(View(state, recorder, pp), j))

    # ------------------------------------------------------------------------------
    def worst_institutions(self, k: int = 10) -> pd.DataFrame:
        """The ``k`` lenders with the largest supply cut (ties by distress)."""
        t = self.nodes[self.nodes["financing_supply_yuan"] > 0]
        return t.sort_values(["supply_cut_yuan", "distress"], ascending=False).head(k)

    def to_json(self) -> dict:
        """The machine-readable result (schema: docs/result-schema.md)."""
        def clean(df: pd.DataFrame) -> list[dict]:
            out = df.astype(object).where(pd.notna(df), None)
            return [{k: _py(v) for k, v in row.items()} for row in out.to_dict(orient="records")]

        worst = hours_for_table(self.worst_institutions(10))[
            ["id", "type", "province", "name_zh", "name_en", "distress", "loss_yuan", "supply_cut_yuan", "first_hit_hour"]
        ]
        return {
            "schema": SCHEMA_NAME,
            "schema_version": SCHEMA_VERSION,
            **self.meta,
            "headline": self.headline,
            "provinces": clean(hours_for_table(self.provinces)),
            "by_type": clean(self.by_type),
            "sectors": clean(self.sectors),
            "worst_institutions": clean(worst),
            "timeline": {c: [_py(v) for v in self.timeline[c].to_numpy()] for c in self.timeline.columns},
        }


def _py(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _bundle_meta(meta) -> dict:
    if meta is None:
        return {"name": None, "as_of": None, "content_hash": None, "synthetic_parts": []}
    return {
        "name": meta.name,
        "as_of": meta.as_of,
        "content_hash": meta.content_hash,
        "unit_declared": meta.unit,
        "synthetic_parts": list(meta.synthetic_parts),
        "path": str(meta.path),
    }
