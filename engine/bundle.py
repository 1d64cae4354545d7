"""Load, validate and write graph bundles.

A *bundle* is a folder holding ``bundle.toml`` (metadata) and two tables,
``nodes`` and ``edges``, as CSV, Parquet or Excel (``.xlsx``, needs the optional
dependency openpyxl).  The tables follow :mod:`engine.schema`; the format is
documented in ``docs/bundle-format.md``.

This module is the boundary of the engine: it checks everything once, collects
*every* problem as a :class:`~engine.errors.Defect` (file, spreadsheet row,
column, message naming what was expected) and either returns a clean
:class:`Bundle` or raises one :class:`~engine.errors.BundleError` listing them
all.  Past this point the core trusts its inputs.

On load, node ids become integer positions (row order of the nodes table) and
amounts become float64 yuan (multiplied once by the declared unit's factor,
:data:`engine.units.UNITS`).  Orientation: an edge ``source -> target`` with
weight ``w`` means *source is exposed to target by w*, i.e. ``W[i, j] = w``
(see :mod:`engine.schema`).

All checks are vectorised (NumPy boolean masks over whole columns, ids mapped
through their small set of distinct values); only failing rows become
:class:`Defect` objects, at most :data:`MAX_DEFECTS_PER_CHECK` per file, column
and check, followed by one "... and N more" defect.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import tomllib
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np
import pandas as pd

from .atomic import atomic_folder
from .errors import BundleError, BundleWarning, Defect, InputError
from .schema import (
    ALL_EDGE_KINDS,
    EDGE_COLUMNS,
    EDGE_KINDS,
    LAYERS,
    NATIONAL,
    NODE_COLUMNS,
    NODE_TYPES,
    COLUMN_RANGES,
    EDGE_ENDPOINTS,
    MAX_AMOUNT_YUAN,
)
from .units import UNITS

__all__ = [
    "Bundle",
    "BundleMeta",
    "MAX_DEFECTS_PER_CHECK",
    "TABLE_FORMATS",
    "default_bundle_path",
    "load_bundle",
    "validate_bundle",
    "write_bundle",
]

#: At most this many defects are listed per (file, column, check); the rest are
#: summarised in one "... and N more" defect.
MAX_DEFECTS_PER_CHECK = 50

#: Table file extensions, in the order the default table names are tried.
TABLE_FORMATS: tuple[str, ...] = (".csv", ".parquet", ".xlsx")

META_FILE = "bundle.toml"
#: CSV tables with at least this many rows are written by pyarrow (about 20x
#: faster than pandas; every string quoted).
_ARROW_CSV_ROWS = 1_000_000
_META_KEYS = ("name", "as_of", "unit", "description", "tables", "sources", "synthetic")
_REQUIRED_META_KEYS = ("name", "as_of", "unit", "synthetic")
_TABLES_KEYS = ("nodes", "edges", "encoding")
_SOURCE_KEYS = ("id", "title", "url", "note")
_SYNTHETIC_KEYS = ("parts", "note")
_AUTO_ENCODINGS = ("utf-8", "gb18030")  # utf-8 with or without BOM, then GB18030 (covers GBK)
_NAN_WORDS = frozenset({"nan", "+nan", "-nan"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: Edge columns read as codes over their distinct values (few distinct values
#: in 10M rows), never as one Python string per row.
_EDGE_CODE_COLUMNS = ("source", "target", "layer", "kind")


# ----------------------------------------------------------------------------
# Public data classes
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleMeta:
    """Metadata of a loaded bundle (from ``bundle.toml``).

    Attributes
    ----------
    name, as_of, unit, description : str
        As declared; ``as_of`` is an ISO date ``YYYY-MM-DD``.
    unit_factor : float
        Yuan per declared unit (``engine.units.UNITS[unit]``); amounts in
        :attr:`Bundle.nodes` / :attr:`Bundle.edges` are already multiplied by it.
    sources : tuple of dict
        The ``[[sources]]`` entries (keys ``id``, ``title``, ``url``, ``note``).
    synthetic_parts : tuple of str
        Which parts of the data are synthetic (``[synthetic] parts``).
    synthetic_note : str
        How the synthetic parts were generated.
    path : Path
        The bundle folder (resolved).
    content_hash : str
        Hex SHA-256 over the bytes of ``bundle.toml``, the nodes table and the
        edges table, in that order, each prefixed by its length as 8 bytes
        big-endian.  It changes iff one of these files changes.
    """

    name: str
    as_of: str
    unit: str
    unit_factor: float
    description: str
    sources: tuple[dict, ...]
    synthetic_parts: tuple[str, ...]
    synthetic_note: str
    path: Path
    content_hash: str


@dataclass(frozen=True, eq=False)  # frames do not compare to one bool; equality is identity
class Bundle:
    """A validated bundle: metadata plus the node and edge tables.

    Attributes
    ----------
    meta : BundleMeta
    nodes : pandas.DataFrame
        One row per node, ``RangeIndex`` = node position (row order of the
        nodes table).  Columns: every name of ``engine.schema.NODE_COLUMNS`` in
        schema order; ``str`` columns have dtype ``str`` (missing optional ones
        are ``""``), ``amount`` columns float64 yuan (missing optional ones
        0.0), ``ratio`` float64, ``count`` int64, ``float`` float64 (missing or
        blank: NaN).  Extra columns of the file are dropped.
    edges : pandas.DataFrame
        One row per edge, in file order.  Columns ``source`` and ``target``
        (int32 node positions), ``layer`` (Categorical over
        ``engine.schema.LAYERS``), ``kind`` (Categorical over
        ``engine.schema.ALL_EDGE_KINDS``), ``weight`` (float64 yuan, > 0).
        Row ``(i, j, w)`` means node ``i`` is exposed to node ``j`` by ``w``
        (``W[i, j] = w``).  Duplicate ``(source, target, layer, kind)`` rows are
        kept here; graph building sums them.
    notes : tuple of str
        Warnings about valid but noteworthy data (duplicate edges, with their
        count); :func:`load_bundle` and :func:`validate_bundle` also emit each
        as a :class:`~engine.errors.BundleWarning`.
    """

    meta: BundleMeta
    nodes: pd.DataFrame
    edges: pd.DataFrame
    notes: tuple[str, ...] = ()


# ----------------------------------------------------------------------------
# Public functions
# ----------------------------------------------------------------------------


def load_bundle(path: str | Path) -> Bundle:
    """Load and validate the bundle in folder ``path``.

    Parameters
    ----------
    path : str or Path
        The bundle folder (or its ``bundle.toml``).

    Returns
    -------
    Bundle
        Ids mapped to integer positions, amounts in float64 yuan.

    Raises
    ------
    BundleError
        If anything is wrong; ``.defects`` lists every problem found (see
        :func:`validate_bundle`).

    Examples
    --------
    >>> b = load_bundle(default_bundle_path())      # doctest: +SKIP
    >>> b.edges.columns.tolist()                     # doctest: +SKIP
    ['source', 'target', 'layer', 'kind', 'weight']
    """
    bundle, defects, notes = _load(path)
    _warn(notes)
    if defects or bundle is None:
        n = len(defects)
        raise BundleError(f"bundle {path} has {n} defect{'s' if n != 1 else ''}", defects)
    return bundle


def validate_bundle(path: str | Path) -> list[Defect]:
    """Return every defect of the bundle in folder ``path`` (``[]`` when clean).

    Never raises for problems of the data: a missing folder, unreadable files,
    bad ``bundle.toml`` keys, missing columns and bad cells are all returned as
    :class:`~engine.errors.Defect` objects.  ``row`` is the row number a
    spreadsheet shows (header = 1, first data record = 2) for CSV, Parquet and
    Excel alike, or the line for ``bundle.toml`` parse errors; ``None`` for
    whole-file or whole-column defects.
    """
    _, defects, notes = _load(path)
    _warn(notes)
    return defects


def _warn(notes: list[str]) -> None:
    for note in notes:
        warnings.warn(note, BundleWarning, stacklevel=3)


def default_bundle_path() -> Path:
    """Path of the embedded China dataset.

    The wheel ships it as package data ``engine/data/china-2026``; an editable
    install / source checkout uses ``<repo>/graphs/china-2026``.

    Raises
    ------
    InputError
        If neither exists.
    """
    from importlib.resources import files

    try:
        res = files(__package__ or "engine") / "data" / "china-2026"
        if res.is_dir():
            return Path(str(res))
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):  # pragma: no cover
        pass
    repo = Path(__file__).resolve().parent.parent / "graphs" / "china-2026"
    if repo.is_dir():
        return repo
    raise InputError(
        "no embedded dataset found: neither engine/data/china-2026 (installed wheel) "
        f"nor {repo} (source checkout) exists; pass a bundle folder explicitly"
    )


def write_bundle(
    path: str | Path,
    *,
    meta: dict,
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    fmt: str = "csv",
    encoding: str = "utf-8",
) -> Path:
    """Write a bundle folder: ``bundle.toml`` plus ``nodes.<fmt>`` / ``edges.<fmt>``.

    Parameters
    ----------
    path : str or Path
        Folder to create.  If it exists it must be a bundle folder (holding a
        ``bundle.toml``) or empty; it is then replaced.
    meta : dict
        The ``bundle.toml`` content (``name``, ``as_of``, ``unit``,
        ``synthetic`` required; ``description``, ``sources`` optional).  Any
        ``tables`` key is replaced by the names of the files written.
    nodes : DataFrame
        Node table, written as is: amounts must already be in ``meta["unit"]``.
    edges : DataFrame
        Edge table.  ``source`` / ``target`` may be node ids (strings) or
        integer node positions (as in :attr:`Bundle.edges`), which are written
        as ``nodes["id"]`` values.  Weights are written as is (in ``meta["unit"]``).
    fmt : {"csv", "parquet", "xlsx"}
        Table format.  Parquet stores ``source`` / ``target`` / ``layer`` /
        ``kind`` dictionary-encoded.
    encoding : str
        CSV text encoding (e.g. ``"gbk"``); recorded in ``[tables] encoding``
        when not UTF-8.  Only ``"utf-8"`` is accepted for other formats.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    BundleError
        If ``meta`` is invalid (``.defects`` names the keys).
    InputError
        Bad ``fmt`` / ``encoding``, node positions out of range, or ``path``
        exists and is not a bundle folder.

    Notes
    -----
    Atomic: everything is written to a temporary folder next to ``path``, which
    is then renamed into place, so readers never see a half-written bundle.
    The tables are not validated; call :func:`validate_bundle` afterwards.
    """
    path = Path(path)
    if fmt not in ("csv", "parquet", "xlsx"):
        raise InputError(f"unknown bundle table format {fmt!r}; expected one of: csv, parquet, xlsx")
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown text encoding {encoding!r}") from None
    utf8 = codec in ("utf-8", "utf-8-sig")
    if fmt != "csv" and not utf8:
        raise InputError(f"encoding {encoding!r} applies to CSV only; {fmt} tables are binary")

    meta = _toml_safe(dict(meta))  # tuples -> lists, numpy scalars -> Python
    tables: dict[str, str] = {"nodes": f"nodes.{fmt}", "edges": f"edges.{fmt}"}
    if not utf8:
        tables["encoding"] = encoding
    meta["tables"] = tables
    out: list[Defect] = []
    _check_meta(meta, out)
    if out:
        raise BundleError(f"cannot write bundle {path}: invalid metadata", out)

    if path.exists():
        if not path.is_dir():
            raise InputError(f"refusing to overwrite {path}: it is a file, not a bundle folder")
        if not (path / META_FILE).is_file() and any(path.iterdir()):
            raise InputError(
                f"refusing to overwrite {path}: the folder is not empty and holds no {META_FILE}"
            )
    edges_out = _edges_for_writing(nodes, edges)

    import tomli_w

    with atomic_folder(path) as tmp:  # readers never see a half-written bundle
        (tmp / META_FILE).write_text(tomli_w.dumps(meta), encoding="utf-8")
        _write_table(tmp / tables["nodes"], nodes, fmt, encoding, codes=())
        _write_table(tmp / tables["edges"], edges_out, fmt, encoding, codes=_EDGE_CODE_COLUMNS)
    return path


# ----------------------------------------------------------------------------
# Defect collection
# ----------------------------------------------------------------------------


def _row_defects(
    out: list[Defect],
    table: "_Table",
    column: str | None,
    mask: np.ndarray,
    message: Callable[[int], str],
    summary: str,
) -> None:
    """Append one defect per True entry of ``mask`` (capped), message built per row."""
    pos = np.flatnonzero(mask)
    for p in pos[:MAX_DEFECTS_PER_CHECK]:
        out.append(Defect(table.file, table.row(int(p)), column, message(int(p))))
    if len(pos) > MAX_DEFECTS_PER_CHECK:
        more = len(pos) - MAX_DEFECTS_PER_CHECK
        out.append(Defect(table.file, None, column, f"... and {more} more rows: {summary}"))


# ----------------------------------------------------------------------------
# Column representations (internal)
# ----------------------------------------------------------------------------


class _Codes(NamedTuple):
    """A string column as integer codes into its distinct values (-1 = null)."""

    codes: np.ndarray
    cats: pd.Index


class _Num(NamedTuple):
    """A numeric Parquet column: float64 values (nulls filled with 0) and null mask."""

    values: np.ndarray
    null: np.ndarray


class _Unsupported(NamedTuple):
    """A Parquet column of a type that cannot hold this column's values."""

    typename: str


@dataclass
class _Table:
    file: str  # name shown in defects (path relative to the bundle folder)
    path: Path
    columns: dict[str, Any]  # name -> pd.Series[str] | _Codes | _Num | _Unsupported
    found: list[str]  # every column name in the file, in file order
    n: int
    rows: np.ndarray | None = None  # spreadsheet row of each record; None: record i -> i + 2

    def row(self, pos: int) -> int:
        return int(self.rows[pos]) if self.rows is not None else pos + 2


def _as_codes(v: Any) -> _Codes:
    if isinstance(v, _Codes):
        return v
    codes, cats = pd.factorize(v.fillna(""), use_na_sentinel=True)
    return _Codes(codes, pd.Index(cats, dtype="str"))


def _as_text(v: Any) -> pd.Series:
    if isinstance(v, _Codes):
        cats = np.append(v.cats.to_numpy(dtype=object), "")
        return pd.Series(cats[v.codes], dtype="str")
    return v.fillna("").astype("str")


def _writable(a: np.ndarray) -> np.ndarray:
    """``a`` itself if writable (a fresh array from Arrow), else a copy."""
    return a if a.flags.writeable else a.copy()


def _has_space(s: pd.Series) -> np.ndarray:
    """Boolean mask: the string contains whitespace (ASCII, no-break or ideographic space)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(s.to_numpy(dtype=object), pa.string()) if s.dtype.storage != "pyarrow" else pa.array(s.array)
    hit = pc.match_substring_regex(arr, r"[\s\x{00A0}\x{3000}]")
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)


def _code_text(c: _Codes, pos: int) -> str:
    k = int(c.codes[pos])
    return str(c.cats[k]) if k >= 0 else ""


# ----------------------------------------------------------------------------
# Reading tables
# ----------------------------------------------------------------------------


def _read_table(
    path: Path,
    file: str,
    code_cols: tuple[str, ...],
    num_cols: tuple[str, ...],
    encoding: str | None,
    out: list[Defect],
) -> _Table | None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, file, code_cols, num_cols, encoding, out)
    if suffix == ".parquet":
        return _read_parquet(path, file, code_cols, num_cols, out)
    return _read_xlsx(path, file, code_cols, out)


def _header_defects(names: list[str], file: str, out: list[Defect]) -> list[bool]:
    """Flag duplicate column names; return a keep-mask (first occurrence kept)."""
    seen: set[str] = set()
    keep = []
    for name in names:
        if name and name in seen:
            out.append(Defect(file, 1, name, f"duplicate column {name!r}; expected each column name once"))
            keep.append(False)
        else:
            keep.append(bool(name) or name not in seen)
            seen.add(name)
    return keep


def _frame_to_table(df: pd.DataFrame, file: str, path: Path, code_cols, rows) -> _Table:
    cols: dict[str, Any] = {}
    for c in df.columns:
        s = df[c]
        if c in code_cols:
            if isinstance(s.dtype, pd.CategoricalDtype):
                cols[c] = _Codes(s.cat.codes.to_numpy(), pd.Index(s.cat.categories.astype("str")))
            else:
                cols[c] = _as_codes(s.astype("str"))
        else:
            cols[c] = s.astype("str")
    return _Table(file, path, cols, [str(c) for c in df.columns], len(df), rows)


class _CsvScan(NamedTuple):
    codec: str  # Python codec that reads it ("utf-8-sig" strips a BOM)
    header: list[str]  # raw header cells
    inner_blank_lines: bool  # a blank line is followed by more data


_SCAN_CHUNK = 1 << 24


def _scan_csv(path: Path, file: str, encoding: str | None, out: list[Defect]) -> _CsvScan | None:
    """Find the encoding (checking every byte), the header and blank lines.

    One streaming pass per candidate encoding: UTF-8 (with or without BOM), then
    GB18030, unless ``encoding`` is declared.  The first undecodable byte is
    reported with its line.
    """
    failures: list[tuple[int, str]] = []
    candidates = _AUTO_ENCODINGS
    if not encoding:
        with open(path, "rb") as fh:
            if fh.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
                candidates = ("utf-16",) + _AUTO_ENCODINGS  # Excel's "Unicode text" export
    for enc in (encoding,) if encoding else candidates:
        codec = "utf-8-sig" if codecs.lookup(enc).name == "utf-8" else enc
        dec = codecs.getincrementaldecoder(codec)("strict")
        head = ""
        offset = 0
        first_blank = last_content = -1
        blanks = (b"\n\n",)
        tail = b""
        failed = None
        with open(path, "rb") as fh:
            while True:
                chunk = fh.read(_SCAN_CHUNK)
                try:
                    text = dec.decode(chunk, final=not chunk)
                except UnicodeDecodeError as e:
                    at = offset + max(0, e.start - (len(e.object) - len(chunk)))
                    fh.seek(0)
                    line = fh.read(at).count(b"\n") + 1
                    failed = (line, f"not valid {enc}: byte 0x{e.object[e.start:e.start + 1].hex()} at line {line}")
                    break
                except UnicodeError as e:  # e.g. "UTF-16 stream does not start with BOM": no byte position
                    failed = (1, f"not valid {enc}: {e}")
                    break
                if not chunk:
                    break
                if not offset:
                    head = text[:65536]
                    if b"\r\n" in chunk[:65536]:
                        blanks = (b"\n\n", b"\n\r\n")
                if first_blank < 0:
                    both = tail + chunk
                    hits = [i for i in (both.find(b) for b in blanks) if i >= 0]
                    if hits:
                        first_blank = offset - len(tail) + min(hits)
                content = len(chunk.rstrip(b" \t\r\n"))
                if content:
                    last_content = offset + content - 1
                offset += len(chunk)
                tail = chunk[-2:]
        if failed:
            failures.append(failed)
            continue
        if not head.strip():
            out.append(Defect(file, None, None, "the file is empty; expected a header row and data rows"))
            return None
        inner = (0 <= first_blank < last_content) or head.startswith(("\n", "\r"))
        # the byte scan for blank lines assumes an ASCII-compatible encoding: read
        # UTF-16 / UTF-32 files by the exact-row path (they are small: Excel exports)
        inner = inner or codecs.lookup(enc).name.startswith(("utf-16", "utf-32"))
        header = next(csv.reader(io.StringIO(head)), [])
        return _CsvScan(codec, header, inner)
    if encoding:
        how, expected = ("declared in bundle.toml [tables] encoding",
                         f"expected {encoding} text: [tables] encoding applies to every CSV table of the bundle")
    else:
        how, expected = ("tried automatically", "expected UTF-8 or GBK/GB18030 text (or UTF-16 with a byte-order "
                                                "mark), or set [tables] encoding in bundle.toml")
    out.append(Defect(file, failures[0][0], None,
                      f"cannot decode the file ({how}): " + "; ".join(f[1] for f in failures) + "; " + expected))
    return None


def _read_csv(path, file, code_cols, num_cols, encoding, out) -> _Table | None:
    """Read a CSV table with pyarrow (multi-threaded), checking it first.

    Files with blank lines between records go through :func:`_read_csv_python`
    so that row numbers stay exact.
    """
    scan = _scan_csv(path, file, encoding, out)
    if scan is None:
        return None
    names = [h.strip() for h in scan.header]
    keep = _header_defects(names, file, out)
    if len(names) == 1 and any(d in names[0] for d in ";\t|"):
        out.append(Defect(file, 1, None, f"only one column {names[0]!r} found; expected comma-separated "
                                         "columns (is the file separated by ';' or tabs?)"))
    if scan.inner_blank_lines:
        return _read_csv_python(path, file, code_cols, scan, names, keep, out)

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    col_names = [n if k else f"\x00dup{i}" for i, (n, k) in enumerate(zip(names, keep))]
    wanted = [n for n, k in zip(names, keep) if k and (n in NODE_COLUMNS or n in EDGE_COLUMNS)]
    invalid: list = []

    def handler(row) -> str:
        invalid.append(row)
        return "skip"

    def read(numeric: bool, threads: bool):
        types = {n: pa.float64() if numeric and n in num_cols else pa.string() for n in wanted}
        return pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(encoding="utf8" if scan.codec == "utf-8-sig" else scan.codec,
                                          skip_rows=1, column_names=col_names, use_threads=threads),
            parse_options=pcsv.ParseOptions(newlines_in_values=True, invalid_row_handler=handler),
            convert_options=pcsv.ConvertOptions(include_columns=wanted, column_types=types, null_values=[""],
                                                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )

    try:
        try:
            table = read(numeric=True, threads=True)  # fast path: numbers parsed by arrow
        except pa.ArrowInvalid as err:
            if "conversion error" not in str(err):
                raise
            invalid.clear()
            table = read(numeric=False, threads=True)  # some cell is not a plain number
        if invalid:
            invalid.clear()
            read(numeric=False, threads=False)  # single-threaded: rows carry their numbers
    except (pa.ArrowInvalid, OSError) as err:
        out.append(Defect(file, None, None, f"cannot parse CSV: {err}"))
        return None
    if invalid:  # no blank lines (scan), so pyarrow's row numbers are spreadsheet rows
        _ragged_defects(file, path, len(names), [(r.number, r.actual_columns, r.text) for r in invalid], out)
        return None
    cols: dict[str, Any] = {}
    coded = [n for n in wanted if n in code_cols]
    with ThreadPoolExecutor(2) as pool:  # hashing releases the GIL: ids of source and target in parallel
        encoded = dict(zip(coded, pool.map(lambda n: table.column(n).dictionary_encode(), coded)))
    for name in wanted:
        col = table.column(name)
        if name in code_cols:
            b = _CodesBuilder()
            b.add(encoded.pop(name))
            cols[name] = b.result(pa, pc)
        elif pa.types.is_floating(col.type):
            cols[name] = _Num(_writable(pc.fill_null(col, 0.0).to_numpy()),
                              np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool))
        else:
            cols[name] = col.to_pandas().astype("str")
    del table
    return _drop_blank_rows(_Table(file, path, cols, names, _n_rows(cols)))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _n_rows(cols: dict[str, Any]) -> int:
    for v in cols.values():
        return len(v.codes) if isinstance(v, _Codes) else len(v.values) if isinstance(v, _Num) else len(v)
    return 0


def _drop_blank_rows(t: _Table) -> _Table:
    """Drop records whose every schema cell is empty (e.g. ',,,,' lines), keeping row numbers."""
    if t.n == 0 or not t.columns:
        return t
    blank = np.ones(t.n, dtype=bool)
    for v in t.columns.values():
        if isinstance(v, _Codes):
            empty = np.append(np.asarray(v.cats == "", dtype=bool), True)
            blank &= empty[v.codes]
        elif isinstance(v, _Num):
            blank &= v.null
        elif isinstance(v, pd.Series):
            blank &= np.asarray(v == "", dtype=bool)
        if not blank.any():
            return t
    keep = ~blank
    cols: dict[str, Any] = {}
    for k, v in t.columns.items():
        if isinstance(v, _Codes):
            cols[k] = _Codes(v.codes[keep], v.cats)
        elif isinstance(v, _Num):
            cols[k] = _Num(v.values[keep], v.null[keep])
        else:
            cols[k] = v[keep].reset_index(drop=True)
    rows = (t.rows if t.rows is not None else np.arange(t.n) + 2)[keep]
    return _Table(t.file, t.path, cols, t.found, int(keep.sum()), rows)


def _read_csv_python(path, file, code_cols, scan: _CsvScan, names, keep, out) -> _Table | None:
    """Exact-row fallback for CSVs with blank lines between records.

    pyarrow skips blank lines without counting them, which would shift the row
    numbers of every later record; Python's csv module yields them as empty
    records, so each record's spreadsheet row is known.  Slower, and only used
    for such files.
    """
    width = len(names)
    wanted = [i for i, (n, k) in enumerate(zip(names, keep)) if k and (n in NODE_COLUMNS or n in EDGE_COLUMNS)]
    values: list[list[str]] = [[] for _ in wanted]
    rows: list[int] = []
    ragged: list[tuple[int, int, str]] = []
    try:
        with open(path, encoding=scan.codec, newline="") as fh:
            reader = csv.reader(fh)
            next(reader, None)  # the header, row 1
            for r, rec in enumerate(reader, start=2):
                if not rec:
                    continue  # a blank line: a row of its own, holding nothing
                if len(rec) != width:
                    ragged.append((r, len(rec), ",".join(rec)))
                    continue
                rows.append(r)
                for out_col, i in zip(values, wanted):
                    out_col.append(rec[i])
    except (csv.Error, OSError) as err:
        out.append(Defect(file, None, None, f"cannot parse CSV: {err}"))
        return None
    if ragged:
        _ragged_defects(file, path, width, ragged, out)
        return None
    df = pd.DataFrame({names[i]: pd.Series(v, dtype="str") for i, v in zip(wanted, values)})
    return _drop_blank_rows(_frame_to_table(df, file, path, code_cols, np.asarray(rows, dtype=np.int64)))


def _ragged_defects(file: str, path: Path, width: int, ragged: list[tuple[int, int, str]],
                    out: list[Defect]) -> None:
    """One defect per record with a wrong number of fields (row, fields found, text)."""
    t = _Table(file, path, {}, [], len(ragged), np.array([r[0] for r in ragged], dtype=np.int64))
    _row_defects(out, t, None, np.ones(len(ragged), dtype=bool),
                 lambda p: (f"{_plural(ragged[p][1], 'field')}; expected {width} (one per header column): "
                            f"{ragged[p][2][:80]!r}"),
                 "rows with a wrong number of fields")


def _read_xlsx(path, file, code_cols, out) -> _Table | None:
    try:
        import openpyxl
    except ImportError:
        out.append(Defect(file, None, None,
                          "reading .xlsx tables needs the optional dependency openpyxl; "
                          "install it with: pip install 'contagion-engine[excel]' "
                          "(or save the table as CSV or Parquet)"))
        return None
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many types for corrupt files
        out.append(Defect(file, None, None, f"cannot read Excel file: {err}; expected an .xlsx workbook"))
        return None
    try:
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if header is None:
            out.append(Defect(file, None, None, "the first sheet is empty; expected a header row and data rows"))
            return None
        names = [_cell_text(h).strip() for h in header]
        width = len(names)
        data: list[list[str]] = []
        rows: list[int] = []
        for r, values in enumerate(it, start=2):
            cells = [_cell_text(v) for v in values[:width]]
            cells += [""] * (width - len(cells))
            if any(cells):
                data.append(cells)
                rows.append(r)
    finally:
        wb.close()
    keep = _header_defects(names, file, out)
    cols = {n: pd.Series([row[i] for row in data], dtype="str")
            for i, (n, k) in enumerate(zip(names, keep)) if k}
    df = pd.DataFrame(cols)
    return _frame_to_table(df, file, path, code_cols, np.asarray(rows, dtype=np.int64))


def _cell_text(v: Any) -> str:
    """An Excel cell as the text a CSV export would hold (floats round-trip)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).upper()
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    return str(v)


def _read_parquet(path, file, code_cols, num_cols, out) -> _Table | None:
    """Read the wanted columns of a Parquet table, one row group at a time.

    Id-like columns (``code_cols``) are read dictionary-encoded and kept as
    codes; reading row group by row group keeps one row group's dictionary in
    memory at a time.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    def is_str(t) -> bool:
        return pa.types.is_string(t) or pa.types.is_large_string(t)

    try:
        schema = pq.read_schema(path)
        found = list(schema.names)
        keep = _header_defects(found, file, out)
        wanted = [n for n, k in zip(found, keep) if k and (n in NODE_COLUMNS or n in EDGE_COLUMNS)]
        read_dict = [n for n in wanted if n in code_cols and is_str(schema.field(n).type)]
        pf = pq.ParquetFile(path, read_dictionary=read_dict)
        codes = {n: _CodesBuilder() for n in wanted if n in code_cols}
        chunks: dict[str, list] = {n: [] for n in wanted if n not in code_cols}
        nrows = 0
        for i in range(pf.num_row_groups):
            rg = pf.read_row_group(i, columns=wanted)
            nrows += rg.num_rows
            for name in wanted:
                col = rg.column(name)
                if name in codes:
                    if not pa.types.is_dictionary(col.type):
                        col = (col if is_str(col.type) else pc.cast(col, pa.string())).dictionary_encode()
                    codes[name].add(col)
                else:
                    chunks[name].extend(col.chunks)
            del rg
    except Exception as err:  # pyarrow raises ArrowInvalid, OSError, ...
        out.append(Defect(file, None, None, f"cannot read Parquet file: {err}; expected a Parquet table"))
        return None
    cols: dict[str, Any] = {n: b.result(pa, pc) for n, b in codes.items()}
    for name, parts in chunks.items():
        t = schema.field(name).type
        col = pa.chunked_array(parts, type=parts[0].type if parts else t)
        t = col.type
        if name in num_cols:
            if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_null(t):
                null = col.is_null().to_numpy(zero_copy_only=False)
                vals = pc.fill_null(pc.cast(col, pa.float64(), safe=False), 0.0).to_numpy()
                cols[name] = _Num(_writable(np.asarray(vals, dtype=np.float64)), np.asarray(null, dtype=bool))
            elif is_str(t) or pa.types.is_dictionary(t):
                cols[name] = col.cast(pa.string()).to_pandas().fillna("").astype("str")
            else:
                cols[name] = _Unsupported(str(t))
        else:
            if not is_str(t):
                col = pc.cast(col, pa.string())
            cols[name] = col.to_pandas().fillna("").astype("str")
    return _Table(file, path, cols, found, nrows)


class _CodesBuilder:
    """Collect dictionary-encoded chunks into :class:`_Codes` without re-hashing.

    Unifying dictionaries (``pyarrow.Table.unify_dictionaries``) hashes every
    dictionary again and dominated load time on large bundles, where each
    Parquet row group carries the full id dictionary.  Instead a chunk whose
    dictionary equals the previous one shares it; a new dictionary is appended
    and its codes offset (``cats`` may then repeat a value, which the checks
    allow: they only look values up).
    """

    def __init__(self) -> None:
        self.dicts: list = []
        self.parts: list[np.ndarray] = []
        self.offset = 0

    def add(self, col) -> None:
        import pyarrow.compute as pc

        for ch in col.chunks:
            d = ch.dictionary
            if not self.dicts or not (d is self.dicts[-1] or d.equals(self.dicts[-1])):
                if self.dicts:
                    self.offset += len(self.dicts[-1])
                self.dicts.append(d)
            ind = ch.indices
            if ind.null_count:
                ind = pc.fill_null(ind, -1)
            idx = ind.to_numpy(zero_copy_only=False)  # no copy for int32 indices without nulls
            if self.offset:
                idx = np.where(idx >= 0, idx.astype(np.int64) + self.offset, -1)
            self.parts.append(idx)

    def result(self, pa, pc) -> _Codes:
        if not self.parts:
            return _Codes(np.zeros(0, dtype=np.int32), pd.Index([], dtype="str"))
        codes = self.parts[0] if len(self.parts) == 1 else np.concatenate(self.parts)
        dictionary = self.dicts[0] if len(self.dicts) == 1 else pa.concat_arrays(self.dicts)
        if not (pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type)):
            dictionary = pc.cast(dictionary, pa.string())
        return _Codes(codes, pd.Index(dictionary.to_pandas().fillna(""), dtype="str"))


# ----------------------------------------------------------------------------
# bundle.toml
# ----------------------------------------------------------------------------


class _Meta(NamedTuple):
    name: str
    as_of: str
    unit: str
    factor: float
    description: str
    sources: tuple[dict, ...]
    parts: tuple[str, ...]
    note: str
    tables: dict
    encoding: str | None


def _read_meta(root: Path, out: list[Defect]) -> _Meta:
    f = root / META_FILE
    doc: dict = {}
    if _outside(root, f):
        out.append(Defect(META_FILE, None, None, _OUTSIDE))
    elif not f.is_file():
        out.append(Defect(META_FILE, None, None,
                          f"missing: the bundle folder {root} has no {META_FILE}; expected one with "
                          "name, as_of, unit and a [synthetic] table"))
    else:
        try:
            doc = tomllib.loads(f.read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError as err:
            out.append(Defect(META_FILE, None, None, f"cannot decode: {err.reason}; expected UTF-8 text"))
        except tomllib.TOMLDecodeError as err:
            m = re.search(r"at line (\d+)", str(err))
            out.append(Defect(META_FILE, int(m.group(1)) if m else None, None,
                              f"not valid TOML: {err}"))
            doc = {}
        else:
            _check_meta(doc, out)
    return _meta_values(doc)


def _check_meta(doc: dict, out: list[Defect]) -> None:
    """Append a defect per bad key of a parsed ``bundle.toml``."""

    def bad(key: str, msg: str) -> None:
        out.append(Defect(META_FILE, None, key, msg))

    def is_str(key: str, v: Any) -> bool:
        if isinstance(v, str):
            return True
        bad(key, f"{key} must be a string; found {type(v).__name__} {v!r}")
        return False

    for k in doc:
        if k not in _META_KEYS:
            bad(k, f"unknown key {k!r}; expected one of: {', '.join(_META_KEYS)}")
    for k in _REQUIRED_META_KEYS:
        if k not in doc:
            hint = " (a [synthetic] table with parts = [...])" if k == "synthetic" else ""
            bad(k, f"missing required key {k!r}{hint}")
    if "name" in doc and is_str("name", doc["name"]) and not doc["name"].strip():
        bad("name", "name is empty; expected a non-empty bundle name")
    if "as_of" in doc:
        v = doc["as_of"]
        if not (isinstance(v, date) and not isinstance(v, datetime)) and not _is_iso_date(v):
            bad("as_of", f"as_of {v!r} is not an ISO date; expected YYYY-MM-DD, e.g. \"2025-12-31\"")
    if "unit" in doc and is_str("unit", doc["unit"]) and doc["unit"] not in UNITS:
        bad("unit", f"unknown unit {doc['unit']!r}; expected one of: {', '.join(UNITS)}")
    if "description" in doc:
        is_str("description", doc["description"])
    if "tables" in doc:
        t = doc["tables"]
        if not isinstance(t, dict):
            bad("tables", f"tables must be a table [tables]; found {type(t).__name__}")
        else:
            for k, v in t.items():
                key = f"tables.{k}"
                if k not in _TABLES_KEYS:
                    bad(key, f"unknown key {key!r}; expected one of: {', '.join('tables.' + x for x in _TABLES_KEYS)}")
                elif is_str(key, v) and k == "encoding":
                    try:
                        codecs.lookup(v)
                    except LookupError:
                        bad(key, f"unknown text encoding {v!r}; expected e.g. utf-8, gbk, gb18030")
                elif k != "encoding" and isinstance(v, str):
                    p = Path(v)
                    if p.is_absolute() or ".." in p.parts:
                        bad(key, f"table path {v!r} leaves the bundle folder; expected a path relative to it")
                    elif p.suffix.lower() not in TABLE_FORMATS:
                        bad(key, f"unsupported table format {p.suffix or v!r}; expected a file ending in "
                                 + ", ".join(TABLE_FORMATS))
    if "sources" in doc:
        s = doc["sources"]
        if not isinstance(s, list):
            bad("sources", "sources must be an array of tables [[sources]]; found " + type(s).__name__)
        else:
            ids: dict[str, int] = {}
            for i, src in enumerate(s, start=1):
                key = f"sources[{i}]"
                if not isinstance(src, dict):
                    bad(key, f"{key} must be a table with id, title, url, note; found {src!r}")
                    continue
                for k, v in src.items():
                    if k not in _SOURCE_KEYS:
                        bad(f"{key}.{k}", f"unknown key {k!r} in {key}; expected one of: {', '.join(_SOURCE_KEYS)}")
                    else:
                        is_str(f"{key}.{k}", v)
                if "id" not in src:
                    bad(f"{key}.id", f"missing required key 'id' in {key}")
                elif isinstance(src["id"], str):
                    if src["id"] in ids:
                        bad(f"{key}.id", f"duplicate source id {src['id']!r} (first in sources[{ids[src['id']]}]); "
                                         "expected unique ids")
                    ids.setdefault(src["id"], i)
    if "synthetic" in doc:
        s = doc["synthetic"]
        if not isinstance(s, dict):
            bad("synthetic", f"synthetic must be a table [synthetic] with parts = [...]; found {type(s).__name__}")
        else:
            for k in s:
                if k not in _SYNTHETIC_KEYS:
                    bad(f"synthetic.{k}",
                        f"unknown key 'synthetic.{k}'; expected one of: synthetic.parts, synthetic.note")
            parts = s.get("parts")
            if "parts" not in s:
                bad("synthetic.parts", "missing required key 'synthetic.parts'; expected a list of strings "
                                       "(empty when nothing is synthetic)")
            elif not isinstance(parts, list) or not all(isinstance(x, str) for x in parts):
                bad("synthetic.parts", f"synthetic.parts must be a list of strings; found {parts!r}")
            if "note" in s:
                is_str("synthetic.note", s["note"])
            if isinstance(parts, list) and parts and not (isinstance(s.get("note"), str) and s["note"].strip()):
                bad("synthetic.note", "synthetic.note is missing or empty; expected a note on how the "
                                      "synthetic parts were generated")


def _is_iso_date(v: Any) -> bool:
    if not isinstance(v, str) or not _ISO_DATE.match(v):
        return False
    try:
        date.fromisoformat(v)
    except ValueError:
        return False
    return True


def _meta_values(doc: dict) -> _Meta:
    """Usable values from a (possibly invalid) parsed bundle.toml; defaults when bad."""

    def s(v: Any) -> str:
        return v if isinstance(v, str) else ""

    as_of = doc.get("as_of")
    as_of = as_of.isoformat() if isinstance(as_of, date) else s(as_of)
    unit = s(doc.get("unit"))
    tables = doc.get("tables") if isinstance(doc.get("tables"), dict) else {}
    enc = tables.get("encoding") if isinstance(tables.get("encoding"), str) else None
    if enc is not None:
        try:
            codecs.lookup(enc)
        except LookupError:
            enc = None
    sources = doc.get("sources") if isinstance(doc.get("sources"), list) else []
    syn = doc.get("synthetic") if isinstance(doc.get("synthetic"), dict) else {}
    parts = syn.get("parts") if isinstance(syn.get("parts"), list) else []
    return _Meta(
        name=s(doc.get("name")),
        as_of=as_of,
        unit=unit,
        factor=UNITS.get(unit, 1.0),
        description=s(doc.get("description")),
        sources=tuple(dict(x) for x in sources if isinstance(x, dict)),
        parts=tuple(str(x) for x in parts),
        note=s(syn.get("note")),
        tables={k: v for k, v in tables.items() if k in ("nodes", "edges") and isinstance(v, str)},
        encoding=enc,
    )


_OUTSIDE = ("a symbolic link that leaves the bundle folder; refusing to read it (as paths with '..' are refused); "
            "expected a file inside the folder (copy it there)")


def _outside(root: Path, p: Path) -> bool:
    """``p``, with every symbolic link on its way followed, is not inside ``root`` (resolved)."""
    try:
        return not p.resolve(strict=False).is_relative_to(root)
    except (OSError, RuntimeError):  # a loop of links
        return True


def _resolve_table(root: Path, meta: _Meta, which: str, out: list[Defect]) -> tuple[Path, str] | None:
    declared = meta.tables.get(which)
    if declared is not None:
        p = Path(declared)
        if p.is_absolute() or ".." in p.parts or p.suffix.lower() not in TABLE_FORMATS:
            return None  # already reported by _check_meta
        if _outside(root, root / p):
            out.append(Defect(p.as_posix(), None, None, _OUTSIDE))
            return None
        if not (root / p).is_file():
            out.append(Defect(META_FILE, None, f"tables.{which}",
                              f"table file {declared!r} does not exist in the bundle folder; "
                              f"expected the path of the {which} table relative to {root}"))
            return None
        return root / p, p.as_posix()
    for ext in TABLE_FORMATS:
        p = root / f"{which}{ext}"
        if _outside(root, p):
            out.append(Defect(p.name, None, None, _OUTSIDE))
            return None
        if p.is_file():
            return p, p.name
    names = ", ".join(f"{which}{e}" for e in TABLE_FORMATS)
    out.append(Defect(f"{which}{TABLE_FORMATS[0]}", None, None,
                      f"{which} table not found; expected one of {names} in the bundle folder "
                      f"(or [tables] {which} = \"...\" in {META_FILE})"))
    return None


# ----------------------------------------------------------------------------
# Column checks
# ----------------------------------------------------------------------------


def _missing_columns(t: _Table, spec: dict, out: list[Defect]) -> None:
    missing = [c for c, (_, req, _) in spec.items() if req and c not in t.columns]
    if missing:
        expected = ", ".join(c for c, (_, req, _) in spec.items() if req)
        out.append(Defect(
            t.file, None, None,
            f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}; "
            f"expected columns: {expected}; found: {', '.join(t.found) or '(none)'}"))


def _expected_number(dtype: str, unit: str, positive: bool) -> str:
    u = f" in {unit}" if unit else ""
    if dtype == "amount":
        return f"an amount > 0{u}" if positive else f"an amount >= 0{u} (blank = 0)"
    if dtype == "ratio":
        return "a number in [0, 1] (blank = 0)"
    if dtype == "count":
        return "a non-negative integer (blank = 0)"
    return "a finite number (blank = unknown)"


def _numbers(t: _Table, col: str, dtype: str, unit: str, out: list[Defect],
             positive: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Decode and check one numeric column; return float64 values (bad cells -> 0) and the bad mask.

    Blank cells / Parquet nulls become 0 (``float`` columns: NaN).  Defects:
    text that is not a number, NaN, infinities, and per ``dtype``: negative
    amounts, weights not > 0, ratios outside [0, 1], non-integer counts.
    """
    v = t.columns[col]
    expected = _expected_number(dtype, unit, positive)
    blank_value = np.nan if dtype == "float" else 0.0
    if isinstance(v, _Unsupported):
        out.append(Defect(t.file, None, col, f"column has Parquet type {v.typename}; expected {expected}"))
        return np.zeros(t.n), np.ones(t.n, dtype=bool)
    if isinstance(v, _Num):
        values, blank = v.values, v.null  # the reader's own array: modified in place
        text = None
        notnum = np.zeros(t.n, dtype=bool)
        nan = np.isnan(values) & ~blank
    else:
        text = v.str.strip()
        blank = (text == "").to_numpy()
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        failed = np.isnan(values) & ~blank
        nan = np.zeros(t.n, dtype=bool)
        if failed.any():
            nan[failed] = text[failed].str.lower().isin(_NAN_WORDS).to_numpy()
        notnum = failed & ~nan

    def shown(p: int) -> str:
        return _fmt_num(values[p])

    _row_defects(out, t, col, notnum, lambda p: f"{text.iloc[p]!r} is not a number; expected {expected}",
                 f"not a number; expected {expected}")
    _row_defects(out, t, col, nan, lambda p: f"NaN is not allowed; expected {expected}",
                 f"NaN; expected {expected}")
    inf = np.isinf(values)
    _row_defects(out, t, col, inf, lambda p: f"infinite value {shown(p)}; expected {expected}",
                 f"infinite values; expected {expected}")
    values[blank] = blank_value
    bad = notnum | nan | inf
    values[bad] = 0.0
    with np.errstate(invalid="ignore"):
        if dtype in ("amount", "ratio", "count"):
            neg = values < 0
            _row_defects(out, t, col, neg, lambda p: f"negative value {shown(p)}; expected {expected}",
                         f"negative values; expected {expected}")
        if dtype == "amount" and positive:
            zero = (values == 0) & ~bad
            _row_defects(out, t, col, zero,
                         lambda p: (f"blank {col} (counts as 0)" if blank[p] else f"{col} is 0")
                         + f"; expected {expected}",
                         f"{col} is 0 or blank; expected {expected}")
        if dtype == "ratio":
            over = values > 1
            _row_defects(out, t, col, over, lambda p: f"{shown(p)} is above 1; expected {expected}",
                         f"values above 1; expected {expected}")
        if dtype == "count":
            frac = (values != np.floor(values)) & ~bad
            _row_defects(out, t, col, frac, lambda p: f"{shown(p)} is not an integer; expected {expected}",
                         f"non-integer values; expected {expected}")
    return values, bad


def _fmt_num(x: float) -> str:
    """A number as a message shows it: integers without '.0', others round-trip.

    >>> _fmt_num(-5.0), _fmt_num(2.5), _fmt_num(float("inf"))
    ('-5', '2.5', 'inf')
    """
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


def _check_nodes(t: _Table, unit: str, factor: float, out: list[Defect]):
    """Check the nodes table; return (nodes frame or None, id -> position lookup or None)."""
    _missing_columns(t, NODE_COLUMNS, out)
    n = t.n
    if n == 0:
        out.append(Defect(t.file, None, None, "the table has no data rows; expected one row per node"))
    frame: dict[str, Any] = {}
    lookup = None
    ids = None
    if "id" in t.columns:
        ids = _as_text(t.columns["id"])
        empty = (ids.str.strip() == "").to_numpy()
        _row_defects(out, t, "id", empty, lambda p: "empty node id; expected a unique non-empty id",
                     "empty node ids")
        space = _has_space(ids) & ~empty
        _row_defects(out, t, "id", space,
                     lambda p: f"node id {ids.iloc[p]!r} contains whitespace; expected an id without spaces",
                     "node ids with whitespace")
        reserved = (ids == NATIONAL).to_numpy()
        _row_defects(out, t, "id", reserved,
                     lambda p: f"node id {NATIONAL!r} is reserved for nodes not tied to a province; "
                               "expected another id", "reserved id 'national'")
        codes, uniq = pd.factorize(ids)
        first = np.unique(codes, return_index=True)[1]  # first position of each distinct id
        dup = (first[codes] != np.arange(n)) & ~empty
        _row_defects(out, t, "id", dup,
                     lambda p: f"duplicate node id {ids.iloc[p]!r} (first at row {t.row(int(first[codes[p]]))}); "
                               "expected unique ids", "duplicate node ids")
        if n:
            lookup = (pd.Index(uniq, dtype="str"), first)
        frame["id"] = ids

    types = None
    if "type" in t.columns:
        tc = _as_codes(t.columns["type"])
        lut = np.append(pd.Index(NODE_TYPES).get_indexer(tc.cats), -1)
        bad = lut[tc.codes] < 0
        _row_defects(out, t, "type", bad,
                     lambda p: f"unknown node type {_code_text(tc, p)!r}; expected one of: {', '.join(NODE_TYPES)}",
                     f"unknown node types; expected one of: {', '.join(NODE_TYPES)}")
        types = _as_text(t.columns["type"])
        frame["type"] = types
        type_code = lut[tc.codes].astype(np.int8)
        if n and not (types == "province").any():
            out.append(Defect(t.file, None, "type", "no node of type 'province'; expected at least one province "
                                                    "(a stress run reports which provinces are hit)"))
    else:
        type_code = None
    is_prov = (types == "province").to_numpy() if types is not None else np.zeros(n, dtype=bool)

    if "province" in t.columns:
        prov = _as_text(t.columns["province"])
        frame["province"] = prov
        if ids is not None and types is not None:
            own = is_prov & (prov != ids).to_numpy()
            _row_defects(out, t, "province", own,
                         lambda p: f"a province node's province must be its own id {ids.iloc[p]!r}; "
                                   f"found {prov.iloc[p]!r}", "province nodes whose province is not their own id")
            pc_ = _as_codes(prov)
            prov_ids = pd.Index(ids[is_prov].unique(), dtype="str")
            ok_cat = (prov_ids.get_indexer(pc_.cats) >= 0) | (pc_.cats == NATIONAL)
            ok = np.append(ok_cat, False)[pc_.codes]
            bad = ~is_prov & ~ok

            def prov_msg(p: int) -> str:
                v = prov.iloc[p]
                if lookup is not None:
                    k = lookup[0].get_indexer([v])[0]
                    if k >= 0:
                        other = types.iloc[int(lookup[1][k])]
                        return (f"{v!r} is a node of type {other!r}, not a province; "
                                f"expected the id of a province node or {NATIONAL!r}")
                return f"unknown province {v!r}; expected the id of a node of type 'province' or {NATIONAL!r}"

            _row_defects(out, t, "province", bad, prov_msg,
                         f"unknown provinces; expected a province node id or {NATIONAL!r}")

    bad_cells: dict[str, np.ndarray] = {}
    for col, (dtype, _, _) in NODE_COLUMNS.items():
        if dtype == "str":
            if col not in frame:
                frame[col] = _as_text(t.columns[col]) if col in t.columns else pd.Series([""] * n, dtype="str")
            continue
        if col in t.columns:
            values, bad = _numbers(t, col, dtype, unit, out)
            bad_cells[col] = bad
        else:
            values = np.full(n, np.nan if dtype == "float" else 0.0)
        if dtype == "amount":
            values, big = _to_yuan(t, col, values, bad_cells.get(col), unit, factor, out)
            if col in bad_cells:
                bad_cells[col] = bad_cells[col] | big
        if col in COLUMN_RANGES and col in t.columns:
            _range_defects(t, col, values, out)
        frame[col] = values.astype(np.int64) if dtype == "count" else values

    if "fiscal_capacity" in t.columns and ids is not None:
        zero = is_prov & (frame["fiscal_capacity"] == 0) & ~bad_cells["fiscal_capacity"]  # < 0 reported already
        _row_defects(out, t, "fiscal_capacity", zero,
                     lambda p: f"province {ids.iloc[p]!r} has fiscal_capacity {_raw(t, 'fiscal_capacity', p)}; "
                               "expected > 0 (the debt ratio debt_balance / fiscal_capacity is undefined otherwise)",
                     "provinces with fiscal_capacity 0")

    nodes = pd.DataFrame({c: frame[c].astype("str") if NODE_COLUMNS[c][0] == "str" else frame[c]
                          for c in NODE_COLUMNS})
    return nodes, lookup, type_code


def _to_yuan(t: _Table, col: str, values: np.ndarray, bad: np.ndarray | None, unit: str, factor: float,
             out: list[Defect]) -> tuple[np.ndarray, np.ndarray]:
    """Amounts in yuan, and the cells above :data:`~engine.schema.MAX_AMOUNT_YUAN` (overflow included), each a defect."""
    with np.errstate(over="ignore"):
        yuan = values * factor if factor != 1.0 else values
    big = yuan > MAX_AMOUNT_YUAN
    if bad is not None:
        big &= ~bad
    if big.any():
        u = unit or "yuan"
        limit = f"{MAX_AMOUNT_YUAN / factor:g}"

        def msg(p: int) -> str:
            conv = "" if factor == 1.0 else (" (overflows float64 in yuan)" if np.isinf(yuan[p]) else
                                             f" = {yuan[p]:.3g} yuan")
            return (f"{_fmt_num(values[p])} {u}{conv} is above the largest amount allowed, {MAX_AMOUNT_YUAN:.0e} yuan; "
                    f"expected an amount below {limit} {u} (is the unit in bundle.toml right?)")

        _row_defects(out, t, col, big, msg, f"amounts above {MAX_AMOUNT_YUAN:.0e} yuan")
        yuan = np.where(big, 0.0, yuan)
    return yuan, big


def _range_defects(t: _Table, col: str, values: np.ndarray, out: list[Defect]) -> None:
    lo, hi, what = COLUMN_RANGES[col]
    with np.errstate(invalid="ignore"):
        outside = (values < lo) | (values > hi)
    _row_defects(out, t, col, outside,
                 lambda p: f"{_fmt_num(values[p])} is outside [{lo:g}, {hi:g}]; expected {what}",
                 f"values outside [{lo:g}, {hi:g}]; expected {what}")
    values[outside] = np.nan


def _raw(t: _Table, col: str, p: int) -> str:
    """The cell of a numeric column as a message shows it."""
    v = t.columns[col]
    if isinstance(v, _Num):
        return "0 (blank cell)" if v.null[p] else _fmt_num(v.values[p])
    if isinstance(v, pd.Series) and str(v.iloc[p]).strip() == "":
        return "0 (blank cell)"
    return "0"


def _check_edges(t: _Table, nodes_file: str | None, lookup, type_code, unit: str, factor: float,
                 out: list[Defect], notes: list[str]):
    """Check the edges table; return the edges frame (ids -> positions) or None if unusable.

    ``lookup`` is ``(distinct node ids, first position of each)`` from
    :func:`_check_nodes`, or None when the nodes table is unusable (edge ids are
    then not looked up); ``type_code`` the node type of each node position
    (index into ``NODE_TYPES``, -1 unknown) or None.  A note on duplicate edges
    is appended to ``notes``.
    """
    _missing_columns(t, EDGE_COLUMNS, out)
    n = t.n
    if n == 0:
        out.append(Defect(t.file, None, None, "the table has no data rows; expected one row per edge"))
    pos: dict[str, np.ndarray] = {}
    codes: dict[str, _Codes] = {}
    for end in ("source", "target"):
        if end not in t.columns:
            continue
        c = codes[end] = _as_codes(t.columns[end])
        cat_empty = np.append(np.asarray(c.cats.str.strip() == "", dtype=bool), True)
        empty = cat_empty[c.codes]
        _row_defects(out, t, end, empty, lambda p, e=end: f"empty {e} id; expected a node id from {nodes_file}",
                     f"empty {end} ids")
        if lookup is None:
            continue
        index, first = lookup
        k = index.get_indexer(c.cats)
        cat_pos = np.where(k >= 0, first[np.maximum(k, 0)], -1).astype(np.int32)
        p_ = np.append(cat_pos, np.int32(-1))[c.codes]
        unknown = (p_ < 0) & ~empty
        _row_defects(out, t, end, unknown,
                     lambda p, c=c: f"unknown node {_code_text(c, p)!r}; expected a node id from {nodes_file}",
                     f"unknown node ids; expected ids from {nodes_file}")
        pos[end] = p_
    if "source" in pos and "target" in pos:
        loop = (pos["source"] == pos["target"]) & (pos["source"] >= 0)
        _row_defects(out, t, "target", loop,
                     lambda p: f"self-loop: source and target are both {_code_text(codes['target'], p)!r}; "
                               "expected two different nodes", "self-loops")

    lay = kin = None
    if "layer" in t.columns:
        lc = _as_codes(t.columns["layer"])
        lay = np.append(pd.Index(LAYERS).get_indexer(lc.cats), -1).astype(np.int8)[lc.codes]
        _row_defects(out, t, "layer", lay < 0,
                     lambda p: f"unknown layer {_code_text(lc, p)!r}; expected one of: {', '.join(LAYERS)}",
                     f"unknown layers; expected one of: {', '.join(LAYERS)}")
    if "kind" in t.columns:
        kc = _as_codes(t.columns["kind"])
        kin = np.append(pd.Index(ALL_EDGE_KINDS).get_indexer(kc.cats), -1).astype(np.int8)[kc.codes]
        allowed = np.array([[k in EDGE_KINDS[layer] for k in ALL_EDGE_KINDS] for layer in LAYERS])
        if lay is not None:
            bad = (lay >= 0) & ((kin < 0) | ~allowed[np.maximum(lay, 0), np.maximum(kin, 0)])
            _row_defects(out, t, "kind", bad,
                         lambda p: ((f"unknown kind {_code_text(kc, p)!r} for layer " if kin[p] < 0 else
                                     f"kind {_code_text(kc, p)!r} is not allowed on layer ")
                                    + f"{LAYERS[lay[p]]!r}; expected one of: {', '.join(EDGE_KINDS[LAYERS[lay[p]]])}"),
                         "kinds not allowed for their layer; see engine.schema.EDGE_KINDS")
            unknown = (lay < 0) & (kin < 0)
        else:
            unknown = kin < 0
        _row_defects(out, t, "kind", unknown,
                     lambda p: f"unknown kind {_code_text(kc, p)!r}; expected one of: {', '.join(ALL_EDGE_KINDS)}",
                     "unknown kinds")
    if len(pos) == 2 and lay is not None and kin is not None and type_code is not None:
        _endpoint_defects(t, pos, lay, kin, type_code, codes, out)
    weight = None
    if "weight" in t.columns:
        weight, bad = _numbers(t, "weight", "amount", unit, out, positive=True)
        weight = _to_yuan(t, "weight", weight, bad, unit, factor, out)[0]
    if not (len(pos) == 2 and lay is not None and kin is not None and weight is not None):
        return None
    if not out:
        dup = _duplicate_rows(pos["source"], pos["target"], kin)
        if dup.any():
            k = int(dup.sum())
            first = t.row(int(np.flatnonzero(dup)[0]))
            notes.append(f"{t.file}: {_plural(k, 'duplicate edge')} (same source, target, layer and kind as an "
                         f"earlier row; the first at row {first}): their weights are summed into one exposure")
    layer = pd.Categorical.from_codes(np.maximum(lay, 0), categories=list(LAYERS))
    kind = pd.Categorical.from_codes(np.maximum(kin, 0), categories=list(ALL_EDGE_KINDS))
    return pd.DataFrame({"source": pos["source"], "target": pos["target"],
                         "layer": layer, "kind": kind, "weight": weight}, copy=False)


def _endpoint_defects(t: _Table, pos: dict, lay: np.ndarray, kin: np.ndarray, type_code: np.ndarray,
                      codes: dict, out: list[Defect]) -> None:
    """A defect per edge end whose node type :data:`~engine.schema.EDGE_ENDPOINTS` does not allow."""
    K, T = len(ALL_EDGE_KINDS), len(NODE_TYPES)
    allowed = {end: np.zeros((K, T), dtype=bool) for end in ("source", "target")}
    for (layer, kind), (src_types, tgt_types) in EDGE_ENDPOINTS.items():
        k = ALL_EDGE_KINDS.index(kind)
        allowed["source"][k, [NODE_TYPES.index(x) for x in src_types]] = True
        allowed["target"][k, [NODE_TYPES.index(x) for x in tgt_types]] = True
    # other rows already have a layer, kind or self-loop defect
    kind_ok = _kind_on_layer(lay, kin) & (pos["source"] != pos["target"])
    for end in ("source", "target"):
        p_ = pos[end]
        tcode = np.where(p_ >= 0, type_code[np.maximum(p_, 0)], -1)
        check = kind_ok & (p_ >= 0) & (tcode >= 0)
        bad = np.zeros(len(p_), dtype=bool)
        bad[check] = ~allowed[end][kin[check], tcode[check]]

        def msg(p: int, end=end, tcode=tcode) -> str:
            layer, kind = LAYERS[lay[p]], ALL_EDGE_KINDS[kin[p]]
            ok = EDGE_ENDPOINTS[(layer, kind)][0 if end == "source" else 1]
            return (f"{_code_text(codes[end], p)!r} is a node of type {NODE_TYPES[tcode[p]]!r}, which cannot be the "
                    f"{end} of a {layer} / {kind} edge; expected a {end} of type {', '.join(ok)}")

        _row_defects(out, t, end, bad, msg, f"{end} node types not allowed for the edge kind; "
                                            "see engine.schema.EDGE_ENDPOINTS")


def _kind_on_layer(lay: np.ndarray, kin: np.ndarray) -> np.ndarray:
    """Boolean mask: the edge's kind is one of its layer's kinds (both codes valid)."""
    table = np.array([[k in EDGE_KINDS[layer] for k in ALL_EDGE_KINDS] for layer in LAYERS])
    return (lay >= 0) & (kin >= 0) & table[np.maximum(lay, 0), np.maximum(kin, 0)]


def _duplicate_rows(src: np.ndarray, tgt: np.ndarray, kin: np.ndarray) -> np.ndarray:
    """Boolean mask: the row repeats the (source, target, kind) of an earlier row (a kind has one layer)."""
    n = int(max(src.max(initial=0), tgt.max(initial=0))) + 1
    K = len(ALL_EDGE_KINDS)
    if n * n * K < 2**62:
        key = (src.astype(np.int64) * n + tgt) * K + kin
        return pd.Series(key).duplicated().to_numpy()
    return pd.DataFrame({"s": src, "t": tgt, "k": kin}).duplicated().to_numpy()


# ----------------------------------------------------------------------------
# Orchestration
# ----------------------------------------------------------------------------


def _content_hash(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.stat().st_size.to_bytes(8, "big"))
        with open(f, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


def _load(path: str | Path) -> tuple[Bundle | None, list[Defect], list[str]]:
    """The one code path of :func:`load_bundle` and :func:`validate_bundle`: (bundle, defects, notes)."""
    root = Path(path)
    if root.is_file() and root.name == META_FILE:
        root = root.parent
    out: list[Defect] = []
    if not root.is_dir():
        what = "is a file, not a bundle folder" if root.exists() else "does not exist"
        return None, [Defect(str(path), None, None,
                             f"{what}; expected a folder with {META_FILE} and nodes / edges tables")], []
    root = root.resolve()
    meta = _read_meta(root, out)
    unit = meta.unit if meta.unit in UNITS else ""
    node_cols = tuple(c for c, (d, _, _) in NODE_COLUMNS.items() if d != "str")
    nodes = edges = lookup = type_code = None
    notes: list[str] = []
    files: list[Path] = []
    nodes_file = None
    found = _resolve_table(root, meta, "nodes", out)
    if found:
        nodes_file = found[1]
        t = _read_table(found[0], found[1], (), node_cols, meta.encoding, out)
        files.append(found[0])
        if t is not None:
            nodes, lookup, type_code = _check_nodes(t, unit, meta.factor, out)
            del t
    found = _resolve_table(root, meta, "edges", out)
    if found:
        t = _read_table(found[0], found[1], _EDGE_CODE_COLUMNS, ("weight",), meta.encoding, out)
        files.append(found[0])
        if t is not None:
            edges = _check_edges(t, nodes_file, lookup, type_code, unit, meta.factor, out, notes)
            del t
    if out or nodes is None or edges is None:
        return None, out, notes
    bmeta = BundleMeta(
        name=meta.name, as_of=meta.as_of, unit=meta.unit, unit_factor=meta.factor,
        description=meta.description, sources=meta.sources, synthetic_parts=meta.parts,
        synthetic_note=meta.note, path=root, content_hash=_content_hash([root / META_FILE] + files),
    )
    return Bundle(bmeta, nodes, edges, tuple(notes)), out, notes


# ----------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------


def _toml_safe(v: Any) -> Any:
    """Plain Python values for tomli_w (numpy scalars -> Python, tuples -> lists)."""
    if isinstance(v, dict):
        return {str(k): _toml_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_toml_safe(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _edges_for_writing(nodes: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    e = edges.copy()
    ids = None
    for end in ("source", "target"):
        if end in e.columns and pd.api.types.is_integer_dtype(e[end].dtype):
            if ids is None:
                ids = nodes["id"].astype("str").to_numpy(dtype=object)
            p = e[end].to_numpy()
            if len(p) and (p.min() < 0 or p.max() >= len(ids)):
                raise InputError(f"edges.{end} holds node positions outside 0..{len(ids) - 1}")
            e[end] = pd.Categorical.from_codes(p, categories=pd.Index(ids)) if pd.Index(ids).is_unique \
                else pd.Series(ids[p], dtype="str")
    return e


def _write_table(f: Path, df: pd.DataFrame, fmt: str, encoding: str, codes: tuple[str, ...]) -> None:
    if fmt == "csv":
        if len(df) >= _ARROW_CSV_ROWS and codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
            import pyarrow as pa
            import pyarrow.csv as pcsv

            t = pa.Table.from_pandas(df.astype({c: "str" for c in df.columns
                                                if isinstance(df[c].dtype, pd.CategoricalDtype)}),
                                     preserve_index=False)
            pcsv.write_csv(t, f)  # strings quoted, floats in shortest round-trip form
        else:
            df.to_csv(f, index=False, encoding=encoding, lineterminator="\n")
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrays, names = [], []
        for c in df.columns:
            s = df[c]
            if c in codes:
                if isinstance(s.dtype, pd.CategoricalDtype):
                    a = pa.DictionaryArray.from_arrays(
                        pa.array(s.cat.codes.to_numpy().astype(np.int32), mask=s.cat.codes.to_numpy() < 0),
                        pa.array(s.cat.categories.astype("str").to_numpy(dtype=object), pa.string()))
                else:
                    a = pa.array(s.astype("str").to_numpy(dtype=object), pa.string()).dictionary_encode()
            else:
                a = pa.Array.from_pandas(s)
            arrays.append(a)
            names.append(str(c))
        # one row group (up to 64Mi rows): readers decode each id dictionary once
        pq.write_table(pa.Table.from_arrays(arrays, names=names), f, row_group_size=max(1, min(len(df), 1 << 26)))
    else:
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise InputError("writing .xlsx tables needs the optional dependency openpyxl; "
                             "install it with: pip install 'contagion-engine[excel]'") from None
        out = df.copy()
        for c in out.columns:
            if isinstance(out[c].dtype, pd.CategoricalDtype):
                out[c] = out[c].astype("str")
        out.to_excel(f, index=False, engine="openpyxl")
