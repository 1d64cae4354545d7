"""The outlook 2026-2030: the debt-compliance feedback loop, quarter by quarter (docs/model.md, "Outlook").

One module per concept: :mod:`~engine.outlook.parameters` (constants with provenance),
:mod:`~engine.outlook.state` (the quarterly state), the steps
:mod:`~engine.outlook.compliance`, :mod:`~engine.outlook.credit`,
:mod:`~engine.outlook.supply` and :mod:`~engine.outlook.fiscal` composed by
:mod:`~engine.outlook.loop`, :mod:`~engine.outlook.history` (the fit to 2019-2024),
:mod:`~engine.outlook.calibrate`, :mod:`~engine.outlook.sets` (scenario sets and
their Monte Carlo draws), :mod:`~engine.outlook.policies` (timed policies),
:mod:`~engine.outlook.graphs` (each quarter's state as the cascade's graph),
:mod:`~engine.outlook.runner` (the use case) and :mod:`~engine.outlook.render`
(JSON, CSV, chart, terminal summary).
"""

from .history import fit_history, load_history
from .parameters import OutlookParameters
from .runner import BRIEF_CONTAGION_CHANGE, OutlookResult, run_outlook

__all__ = ["BRIEF_CONTAGION_CHANGE", "OutlookParameters", "OutlookResult", "fit_history", "load_history", "run_outlook"]
