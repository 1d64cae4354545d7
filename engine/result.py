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

SCHEMA_NAME = "contagion-engine/result"
SCHEMA_VERSION = "1.0"
CHANNELS = ("funding", "supply_chain", "data")


def _hour(v, never):
    return None if v == never else int(v)


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

    # ------------------------------------------------------------------------------
    @classmethod
    def build(cls, *, graph, scenario, params, prepared, shock, hours, timeline, province_shrink, hit_hour_province,
              never, h, loss_direct, mtm_loss, cut, cut_by_channel, halted, halt_hour, hit_hour_node, capacity,
              redeemed, markdown, frozen, blocked_financing, data_failed, data_fail_probability, snapshots, matvecs,
              reserve_absorbed, data_mode, substitution):
        pp = prepared
        nodes = graph.nodes
        loss = h * pp.buffer
        keep = lambda col: nodes[col].reset_index(drop=True)  # noqa: E731 - reuse string columns as they are
        node_tab = pd.DataFrame({
            "id": keep("id"),
            "type": keep("type"),
            "province": keep("province"),
            "name_zh": keep("name_zh"),
            "name_en": keep("name_en"),
            "sector": keep("sector").fillna("") if "sector" in nodes else pp.sector,
            "shocked": np.isin(np.arange(pp.n), shock.positions),
            "distress": h,
            "buffer_yuan": pp.buffer,
            "loss_yuan": loss,
            "direct_default_loss_yuan": loss_direct,
            "markdown_loss_yuan": mtm_loss,
            "financing_supply_yuan": pp.supply,
            "supply_cut_yuan": cut,
            "supply_cut_funding_yuan": cut_by_channel[0],
            "supply_cut_supply_chain_yuan": cut_by_channel[1],
            "supply_cut_data_yuan": cut_by_channel[2],
            "first_hit_hour": np.where(hit_hour_node == never, -1, hit_hour_node),
            "halted": halted,
            "halt_hour": np.where(halt_hour == never, -1, halt_hour),
            "capacity_loss": capacity,
            "redeemed_yuan": redeemed,
            "markdown": markdown,
            "frozen_receivables_yuan": frozen,
            "blocked_financing_yuan": blocked_financing,
            "data_failed": data_failed,
            "data_fail_probability": data_fail_probability,
        })
        P = len(pp.province_ids)
        prov_rows = nodes["type"].to_numpy() == "province"
        prov_nodes = nodes[prov_rows]
        final_shrink = province_shrink[-1] if len(province_shrink) else np.zeros(P)
        by_ch = np.vstack([pp.alloc.T @ cut_by_channel[c] for c in range(3)]) if P else np.zeros((3, 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(pp.base_by_province > 0, final_shrink / pp.base_by_province, 0.0)
        provinces = pd.DataFrame({
            "id": pp.province_ids,
            "name_zh": prov_nodes["name_zh"].to_numpy(),
            "name_en": prov_nodes["name_en"].to_numpy(),
            "debt_ratio": pp.node_ratio[prov_rows],
            "hit_hour": [_hour(v, never) for v in hit_hour_province],
            "supply_base_yuan": pp.base_by_province,
            "shrinkage_yuan": final_shrink,
            "shrinkage_share": share,
            "shrinkage_funding_yuan": by_ch[0],
            "shrinkage_supply_chain_yuan": by_ch[1],
            "shrinkage_data_yuan": by_ch[2],
        })
        provinces = provinces.sort_values(["hit_hour", "shrinkage_yuan"], ascending=[True, False], na_position="last", kind="stable").reset_index(drop=True)
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
            "halted": g["halted"].sum(),
        }).reset_index()
        makers = node_tab[(node_tab["type"] == "core_firm") & (node_tab["sector"] != "")]
        w = pp.output[makers.index.to_numpy()]
        sectors = (
            pd.DataFrame({"sector": makers["sector"], "w": w, "wl": w * makers["capacity_loss"], "halted": makers["halted"]})
            .groupby("sector").agg(makers=("w", "size"), output_yuan=("w", "sum"), wl=("wl", "sum"), halted=("halted", "sum"))
            .reset_index()
        )
        sectors["capacity_utilisation_change_pp"] = 0.0 - 100.0 * np.where(sectors["output_yuan"] > 0, sectors["wl"] / sectors["output_yuan"], 0.0)
        sectors = sectors.drop(columns="wl")
        tl = pd.DataFrame({"hour": hours, **timeline})
        base = float(pp.supply.sum())
        hit = provinces["hit_hour"].notna()
        headline = {
            "provinces_hit": int(hit.sum()),
            "provinces_total": int(P),
            "first_hit_hours": {r.id: int(r.hit_hour) for r in provinces[hit].itertuples()},
            "effective_supply_base_yuan": base,
            "shrinkage_yuan": float(cut.sum()),
            "shrinkage_share": float(cut.sum() / base) if base > 0 else 0.0,
            "shrinkage_by_channel_yuan": {c: float(cut_by_channel[k].sum()) for k, c in enumerate(CHANNELS)},
            "direct_default_loss_yuan": float(loss_direct.sum()),
            "markdown_loss_yuan": float(mtm_loss.sum()),
            "institution_losses_yuan": float(loss[~node_tab["shocked"].to_numpy() & pp.is_lender].sum()),
            "wmp_redemptions_yuan": float(redeemed.sum()),
            "firm_groups_halted": int(halted.sum()),
            "firms_halted": float(pp.firm_count[halted].sum()),
            "data_platforms_failed": float(data_failed.sum()),
            "sme_credit_profiles_lost": float(timeline["sme_profiles_lost"][-1]) if len(hours) else 0.0,
            "reserve_fund_absorbed_yuan": float(reserve_absorbed),
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
            "national_substitution_effective": substitution,
            "sparse_matvecs": int(matvecs),
        }
        return cls(meta=meta, headline=headline, timeline=tl, provinces=provinces, nodes=node_tab, by_type=by_type,
                   sectors=sectors, province_shrink=province_shrink, snapshots=snapshots)

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

        worst = self.worst_institutions(10)[
            ["id", "type", "province", "name_zh", "name_en", "distress", "loss_yuan", "supply_cut_yuan", "first_hit_hour"]
        ]
        return {
            "schema": SCHEMA_NAME,
            "schema_version": SCHEMA_VERSION,
            **self.meta,
            "headline": self.headline,
            "provinces": clean(self.provinces),
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
