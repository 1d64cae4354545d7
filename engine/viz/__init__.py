"""Rendering of cascade results: the regulator map (one self-contained HTML file).

Rendering reads a graph and a :class:`~engine.result.CascadeResult`; it does no
modelling.  See ``docs/map.md``.  The names below are loaded on first use, so
that importing :mod:`engine.viz.cli` (for ``contagion --help``) stays light.
"""

from __future__ import annotations

__all__ = ["MapSummary", "albers_china", "build_map_data", "render_html", "script_json", "write_map"]


def __getattr__(name):
    if name in __all__:
        from . import map as _map

        return getattr(_map, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
