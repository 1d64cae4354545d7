"""contagion-engine: risk-contagion analysis on multilayer financial graphs."""

__version__ = "0.1.0"
