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
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = new_temp_folder(target.parent, target.name)
    try:
        yield tmp
        replace_folder(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
