"""The scheduled weekly report (``contagion report``): runs, run history, charts, HTML.

Re-exports only; the names load lazily so that ``contagion --help`` stays instant.

* :func:`build_weekly_report` (``engine.report.weekly``) - the use case;
* :func:`load_config` (``engine.report.config``) - the TOML configuration;
* :data:`report_command` (``engine.report.cli``) - the click command.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "build_weekly_report": "weekly",
    "WeeklyReport": "weekly",
    "parse_week": "weekly",
    "previous_week": "weekly",
    "current_week": "weekly",
    "load_config": "config",
    "ReportConfig": "config",
    "report_command": "cli",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
