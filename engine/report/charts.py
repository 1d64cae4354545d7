"""Report charts: matplotlib (Agg) PNGs embedded in the HTML as base64 data URIs.

Each chart function takes plain numbers and returns a :class:`Chart` whose
``values`` are read back **from the drawn artists** (line data, bar widths), not
copied from the input, so the numbers published beside a chart are the numbers it
shows.  The weekly report writes them into the ``<img>``'s ``data-values``
attribute and into ``summary.json``; a test checks that both agree with the run.

Amounts are plotted in yuan; only the tick labels are scaled, in the unit that
:func:`engine.formatting.amount_scale` chooses for the values drawn (bn / trn yuan
in English, 亿元 / 万亿元 in Chinese), and the axis label names it.  Text inside the
images needs a font with CJK glyphs for Chinese (Debian: fonts-noto-cjk, which
``.ci/run`` installs); without one it falls back to English, units included (the
surrounding HTML is always in the chosen language).
"""

from __future__ import annotations

import base64
import functools
import io
from dataclasses import dataclass
from functools import lru_cache

CHANNEL_COLOURS = {"funding": "#1f4e79", "supply_chain": "#c55a11", "data": "#548235"}
PREVIOUS_COLOUR = "#9aa5b1"
#: Pixels per inch of the PNGs; the page shows them at 120 px per inch (sharp on high-density screens).
DPI = 150

_TEXT = {
    "en": {"hour": "hours after the shock", "provinces_hit": "provinces hit", "funding": "funding",
           "supply_chain": "supply chain", "data": "data", "this_week": "this week"},
    "zh": {"hour": "冲击后小时数", "provinces_hit": "受波及省份数", "funding": "资金链",
           "supply_chain": "供应链", "data": "数据链", "this_week": "本周"},
}


@dataclass(frozen=True, eq=False)
class Chart:
    """A rendered chart: PNG bytes plus the values actually drawn."""

    id: str
    kind: str
    png: bytes
    values: dict
    alt: str

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Name of an installed font with CJK glyphs, or None."""
    from matplotlib import font_manager

    for f in font_manager.fontManager.ttflist:
        name = f.name.lower()
        if any(k in name for k in ("cjk", "wenquanyi", "wqy", "simhei", "source han", "pingfang", "heiti", "droid sans fallback")):
            return f.name
    return None


def _text(lang: str) -> dict:
    return _TEXT["zh"] if lang == "zh" and cjk_font() else _TEXT["en"]


def _scale(values, lang: str):
    """The amount axis's :class:`~engine.formatting.AmountScale`, chosen from the values drawn."""
    from ..formatting import amount_scale

    return amount_scale(values, "zh" if lang == "zh" and cjk_font() else "en")


def _figure(width: float, height: float, *, left: float = 0.65, bottom: float = 0.5, right: float = 0.15,
            top: float = 0.12):
    """A figure with one axes and fixed margins in inches (cheaper than a layout engine)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height)
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _style(lang: str):
    """rcParams for one chart: small type, and a CJK font for Chinese when installed."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    rc = {"font.size": 10, "axes.labelsize": 10, "xtick.labelsize": 9, "ytick.labelsize": 9, "legend.fontsize": 9}
    font = cjk_font() if lang == "zh" else None
    if font:
        rc["font.family"] = [font, "DejaVu Sans"]
    return matplotlib.rc_context(rc)


def _styled(fn):
    """Draw and save the chart under :func:`_style` (fonts are resolved at draw time)."""

    @functools.wraps(fn)
    def wrapper(*args, lang: str = "en", **kw):
        with _style(lang):
            return fn(*args, lang=lang, **kw)

    return wrapper


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _amount_axis(axis, scale) -> None:
    """Tick labels in the scale's unit (the values stay in yuan); the axis label names the unit."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v / scale.factor:,g}"))
    axis.set_label_text(scale.unit)


@_styled
def provinces_hit_chart(chart_id: str, hours, counts, *, previous=None, previous_label: str = "",
                        lang: str = "en", alt: str = "") -> Chart:
    """Step chart of the number of provinces hit by each hour.

    Parameters
    ----------
    hours, counts : sequence of int
        Hour ``t`` and the number of provinces first hit at or before ``t``.
    previous : (hours, counts), optional
        Last week's curve, drawn dashed.
    """
    t = _text(lang)
    fig, ax = _figure(5.0, 2.8)
    values = {}
    if previous is not None:
        (pl,) = ax.step(list(previous[0]), list(previous[1]), where="post", color=PREVIOUS_COLOUR,
                        linestyle="--", linewidth=1.4, label=previous_label)
        values["previous"] = {"hour": _ints(pl.get_xdata()), "provinces_hit": _ints(pl.get_ydata())}
    (line,) = ax.step(list(hours), list(counts), where="post", color="#b4262a", linewidth=2, label=t["this_week"])
    values = {"hour": _ints(line.get_xdata()), "provinces_hit": _ints(line.get_ydata()), **values}
    ax.set_xlabel(t["hour"])
    ax.set_ylabel(t["provinces_hit"])
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    ax.yaxis.get_major_locator().set_params(integer=True)
    if previous is not None:
        ax.legend(frameon=False, loc="lower right")
    return Chart(chart_id, "provinces_hit_timeline", _png(fig), values, alt)


@_styled
def channel_chart(chart_id: str, channels, amounts, *, previous=None, previous_label: str = "",
                  lang: str = "en", alt: str = "") -> Chart:
    """Horizontal bars of supply shrinkage by channel (yuan), with last week's bars when given."""
    t = _text(lang)
    channels = list(channels)
    fig, ax = _figure(5.0, 2.8, left=1.05, right=0.3)
    n = len(channels)
    ys = list(range(n))[::-1]
    h = 0.38 if previous is not None else 0.6
    cur = ax.barh([y + (h / 2 if previous is not None else 0) for y in ys], [float(a) for a in amounts], height=h,
                  color=[CHANNEL_COLOURS.get(c, "#555") for c in channels], label=t["this_week"])
    values = {"channels": channels, "shrinkage_yuan": [float(p.get_width()) for p in cur.patches]}
    if previous is not None:
        prev = ax.barh([y - h / 2 for y in ys], [float(a) for a in previous], height=h, color=PREVIOUS_COLOUR,
                       label=previous_label)
        values["previous_shrinkage_yuan"] = [float(p.get_width()) for p in prev.patches]
        ax.legend(frameon=False, loc="lower right")
    s = _scale(values["shrinkage_yuan"] + values.get("previous_shrinkage_yuan", []), lang)
    for p in cur.patches:
        ax.annotate(s.number(p.get_width()), (p.get_width(), p.get_y() + p.get_height() / 2),
                    xytext=(3, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_yticks(ys, [t.get(c, c) for c in channels])
    _amount_axis(ax.xaxis, s)
    ax.margins(x=0.15)
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    return Chart(chart_id, "shrinkage_by_channel", _png(fig), values, alt)


@_styled
def province_chart(chart_id: str, province_ids, by_channel: dict, *, lang: str = "en", alt: str = "") -> Chart:
    """Stacked horizontal bars of supply shrinkage by province and channel (yuan), largest first.

    ``by_channel`` maps a channel to one amount per province (same order as
    ``province_ids``); the caller chooses which provinces to show.
    """
    t = _text(lang)
    ids = list(province_ids)
    fig, ax = _figure(5.0, 0.7 + 0.26 * max(len(ids), 1), left=0.5, bottom=0.5, top=0.08)
    ys = list(range(len(ids)))[::-1]
    left = [0.0] * len(ids)
    values = {"provinces": ids}
    for ch, amounts in by_channel.items():
        bars = ax.barh(ys, [float(a) for a in amounts], left=left, height=0.7, color=CHANNEL_COLOURS.get(ch, "#555"),
                       label=t.get(ch, ch))
        widths = [float(p.get_width()) for p in bars.patches]
        values[f"{ch}_yuan"] = widths
        left = [a + b for a, b in zip(left, widths)]
    values["total_yuan"] = left
    ax.set_yticks(ys, ids)
    _amount_axis(ax.xaxis, _scale(left, lang))
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.legend(frameon=False, loc="lower right")
    return Chart(chart_id, "shrinkage_by_province", _png(fig), values, alt)


def _ints(a) -> list[int]:
    return [int(v) for v in a]
