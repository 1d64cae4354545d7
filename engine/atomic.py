"""Write a folder atomically: build it under a temporary name beside the target, then
swap it into place, so readers (and a crashed run) never see a half-written folder.

Used by result output (``stress --out``), bundle writing and the weekly report.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError


def new_temp_folder(root: Path, stem: str) -> Path:
    """A new empty folder ``.<stem>.tmp-<pid>-<random>`` in ``root`` (mode from the umask, like the result)."""
    while True:
        tmp = root / f".{stem}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            tmp.mkdir()
            return tmp
        except FileExistsError:
            continue


def replace_folder(tmp: Path, target: Path) -> None:
    """Make ``tmp`` the folder ``target``; the old ``target`` (if any) is removed afterwards."""
    for _attempt in range(20):
        if not target.exists():
            try:
                os.rename(tmp, target)  # atomic; fails if another process created target meanwhile
                return
            except OSError as err:
                if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
                continue
        if _exchange(tmp, target):  # tmp now holds the previous folder
            shutil.rmtree(tmp, ignore_errors=True)
            return
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
        try:  # no atomic exchange on this system: two renames (a window of microseconds)
            os.rename(target, old)
        except FileNotFoundError:
            continue
        try:
            os.rename(tmp, target)
        except OSError:
            os.rename(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    raise InputError(f"{target}: could not replace the folder (another process keeps replacing it)")


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = fn(ctypes.c_int(at_fdcwd), os.fsencode(str(a)), ctypes.c_int(at_fdcwd), os.fsencode(str(b)),
            ctypes.c_uint(rename_exchange))
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False
    if err == errno.ENOENT:
        return False
    raise OSError(err, os.strerror(err), str(b))


def check_writable(target: str | Path, what: str = "output") -> None:
    """Raise :class:`InputError` unless ``target`` (a file or folder to create or replace) can be written.

    Tried for real, not with ``os.access`` (which says yes on read-only file systems
    and to root): a temporary folder is made and removed in the nearest existing
    parent of ``target``.  Nothing is left behind, so a command can check its output
    location before long work and still write no partial output when it fails.

    >>> import tempfile
    >>> check_writable(Path(tempfile.mkdtemp()) / "new" / "out")
    """
    target = Path(target)
    parent = target.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"{target}: cannot write the {what}: {parent} is a file, not a folder")
    try:
        probe = new_temp_folder(parent, "write-check")
    except OSError as err:
        raise InputError(f"{target}: cannot write the {what}: {_reason(err)} ({parent})") from None
    probe.rmdir()


def _reason(err: OSError) -> str:
    if err.errno in (errno.EROFS,):
        return "read-only file system"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return (err.strerror or str(err)).lower()


@contextmanager
def atomic_folder(target: str | Path):
    """Yield an empty temporary folder; on success it replaces ``target``, on error it is removed.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> with atomic_folder(root / "out") as tmp:
    ...     _ = (tmp / "a.txt").write_text("done")
    >>> (root / "out" / "a.txt").read_text()
    'done'
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = new_temp_folder(target.parent, target.name)
    except OSError as err:
        raise InputError(f"{target}: cannot write the folder: {_reason(err)}; nothing was written") from None
    try:
        yield tmp
        replace_folder(tmp, target)
    except OSError as err:  # disk full, quota, a file system gone read-only: no partial output
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(f"{target}: cannot write the folder: {_reason(err)}; nothing was written") from err
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
