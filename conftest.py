"""Root pytest configuration (loaded before any test or doctest module).

``CONTAGION_WITHOUT_FAST=1`` hides the optional kernels (numba, python-graphblas) from
the whole test process, as if the ``fast`` extra were not installed: ``make
test-without-fast`` runs the suite that way.  The numba kernels' module is then not
collected for doctests (it cannot be imported without numba).
"""

import importlib.util
import os
import sys

if os.environ.get("CONTAGION_WITHOUT_FAST") == "1":
    for name in ("numba", "graphblas"):
        sys.modules[name] = None  # `import numba` raises ImportError from here on

collect_ignore = []
if sys.modules.get("numba", 0) is None or importlib.util.find_spec("numba") is None:
    collect_ignore.append("engine/_numba_kernels.py")
