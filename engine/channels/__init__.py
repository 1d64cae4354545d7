"""The three contagion channels: funding (资金链), supply chain (供应链), data (数据链).

Each module holds pure functions over numpy arrays and scipy.sparse matrices; the
hourly clock that calls them lives in :mod:`engine.cascade`.  Equations:
docs/model.md.
"""
