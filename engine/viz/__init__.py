"""Rendering of cascade results: the regulator map (one self-contained HTML file).

Rendering reads a graph and a :class:`~engine.result.CascadeResult`; it does no
modelling.  See ``docs/map.md``.
"""

from .map import MapSummary, albers_china, build_map_data, render_html, script_json, write_map

__all__ = ["MapSummary", "albers_china", "build_map_data", "render_html", "script_json", "write_map"]
