"""Replace a whole store directory atomically, and serialise the processes that write stores.

A writer builds the next version of the store in a hidden sibling directory (unchanged files are
hard links, so this is cheap at any size), then exchanges the two directories in one system call
(Linux renameat2 with RENAME_EXCHANGE). Where the exchange is unsupported, two renames leave a
moment with no directory at all, never a mixed one. Readers pin the version they query through an
open descriptor (analytics.store), so the old version is deleted only after a grace period.
Writers take an exclusive lock on a file beside the directory (the directory itself is swapped,
so it cannot hold the lock).

Every function here works on the store's real path (Path.resolve()): a data directory reached
through a symbolic link keeps its link (the directory it points to is swapped), and imports through
the link and through the target take the same lock.

Retired versions are deleted once RETIRED_GRACE_SECONDS have passed, by the next writer (under the
lock) and by readers of the import history and previews (purge_retired is safe without the lock:
it only ever deletes versions older than the grace period, which no writer touches again).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from analytics.config import is_url
from analytics.errors import AuditDataError

AT_FDCWD = -100
RENAME_EXCHANGE = 1 << 1
# errno values meaning "this kernel or file system cannot exchange": fall back to two renames.
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}
LOCK_TIMEOUT_SECONDS = 300.0
# A replaced version stays (as .<name>.old-<ns>-<id>) this long for queries still reading it.
RETIRED_GRACE_SECONDS = 60.0
# The file every store holds (analytics.store.MANIFEST_NAME): how a folder is known to be a store.
STORE_MARKER = "store.json"


def _load_renameat2() -> Callable[..., int] | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # not Linux, or a C library older than glibc 2.28
        return None
    int_, path = ctypes.c_int, ctypes.c_char_p
    function.argtypes = [int_, path, int_, path, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _load_renameat2()


def exchange(first: Path, second: Path) -> bool:
    """Swap two existing paths in one atomic step; return False if the system cannot."""
    if _RENAMEAT2 is None:
        return False
    result = _RENAMEAT2(
        AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def sibling(target: Path, kind: str) -> Path:
    """Return a new hidden path beside `target` (e.g. .data.staging-1a2b3c4d) for a writer."""
    target = Path(target).resolve()
    return target.parent / f".{target.name}.{kind}-{uuid.uuid4().hex[:8]}"


def fsync_path(path: Path) -> None:
    """Flush one file or directory to disk, so a crash after the swap finds it whole."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_paths(paths: Iterable[Path]) -> None:
    """Flush the given files and the directories that hold them."""
    folders: set[Path] = set()
    for path in paths:
        fsync_path(path)
        folders.add(path.parent)
    for folder in sorted(folders):
        fsync_path(folder)


def replace_dir(staging: Path, target: Path) -> None:
    """Put the finished `staging` directory in `target`'s place atomically; retire the old one.

    The old version is deleted by a later write once RETIRED_GRACE_SECONDS have passed: a reader
    that pinned it (analytics.store.Store) may still be in the middle of a query on it.
    """
    staging, target = Path(staging), Path(target).resolve()
    check_store_target(target)
    fsync_path(staging)
    if not target.exists():
        staging.rename(target)
        fsync_path(target.parent)
        return
    retired = target.parent / f".{target.name}.old-{time.time_ns()}-{uuid.uuid4().hex[:8]}"
    if exchange(staging, target):
        staging.rename(retired)  # after the exchange, the staging name holds the old version
    else:
        target.rename(retired)
        staging.rename(target)
    fsync_path(target.parent)
    purge_retired(target)


def local_store_dir(data_dir: str | os.PathLike[str]) -> Path:
    """Return the writable local folder of a store (symlinks resolved); a store at a URL is
    read-only here: AuditDataError, saying where imports go instead."""
    if is_url(data_dir):
        raise AuditDataError(
            f"The store at {data_dir} is read from a URL, so it is read-only here: imports go "
            "through the one writer's local store, which is then published (docs/deployment.md)."
        )
    return Path(data_dir).resolve()


def check_store_target(target: Path) -> None:
    """Raise AuditDataError unless `target` may hold a store: absent, empty, or a store already.

    A writer swaps the whole directory away, so a file or a folder of other things given as the
    data directory by mistake must never be replaced (and later deleted with the retired versions).
    """
    target = Path(target).resolve()
    choose = "Choose an existing store, or an empty or new folder, as the data directory."
    if target.exists() and not target.is_dir():
        raise AuditDataError(f"{target} is a file, not an audit store folder. {choose}")
    # An audit trail alone (events recorded before any data) does not make a folder foreign.
    foreign = [p for p in target.iterdir() if p.name != "audit_trail"] if target.is_dir() else []
    if target.is_dir() and not (target / STORE_MARKER).is_file() and foreign:
        raise AuditDataError(
            f"{target} holds other files and is not an audit store (it has no {STORE_MARKER}). "
            f"{choose}"
        )


def purge_retired(target: Path, grace: float | None = None) -> None:
    """Delete retired versions of the store at `target` older than the grace period."""
    grace = RETIRED_GRACE_SECONDS if grace is None else grace
    target = Path(target).resolve()
    prefix = f".{target.name}.old-"
    now = time.time_ns()
    try:
        retired = list(target.parent.glob(f"{prefix}*"))
    except OSError:  # an unreadable parent: nothing this process could delete anyway
        return
    for path in retired:
        stamp = path.name[len(prefix) :].split("-")[0]
        retired_at = int(stamp) if stamp.isdigit() else 0
        if now - retired_at >= grace * 1e9:
            _remove(path)


def _remove(path: Path) -> None:
    # A retired version is normally a directory, but a link or a file swapped out by an older
    # release must go too (rmtree refuses both).
    if path.is_symlink() or not path.is_dir():
        with contextlib.suppress(OSError):
            path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def _link_or_copy(source: str, destination: str) -> str:
    # A hard link shares the file's bytes: cheap at any size. Writers must therefore never modify a
    # file in place (see replace_file); a file system without hard links gets a copy instead.
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)
    return destination


def clone_dir(source: Path, destination: Path) -> None:
    """Create `destination` as a copy of `source` whose files are hard links to the originals."""
    shutil.copytree(source, destination, symlinks=True, copy_function=_link_or_copy)


def replace_file(path: Path, write: Callable[[Path], object]) -> None:
    """Write a file in a cloned tree without touching the original its old name links to."""
    # Writing through a hard link would change the live store's copy too: unlink first.
    path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    write(path)


def write_file(path: Path, data: bytes) -> None:
    """Write a whole file or none: into a hidden sibling in the same folder, flushed, then
    renamed over `path`. On failure (a full disk) the sibling is removed, `path` is untouched
    and the error names `path`."""
    partial = sibling(path, "partial")
    try:
        with open(partial, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, Path(path).resolve())
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror, str(path)) from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def lock_path(target: Path) -> Path:
    """Return the lock file that serialises writers of the store at `target`."""
    target = Path(target).resolve()
    return target.parent / f".{target.name}.lock"


def _remove_leftovers(target: Path) -> None:
    # Under the lock no other writer is at work, so a staging sibling is what a crashed writer
    # left behind; retired versions go once no reader can still be in them.
    for leftover in target.parent.glob(f".{target.name}.staging-*"):
        _remove(leftover)
    purge_retired(target)


@contextmanager
def writer_lock(target: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold the exclusive writer's lock of the store at `target` (waiting up to `timeout` s)."""
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path(target), "a+b")  # noqa: SIM115 (held for the whole block)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise AuditDataError(
                        f"Another import is still writing to {target}. Try again in a minute."
                    ) from None
                time.sleep(0.05)
        _remove_leftovers(target)
        yield
    finally:
        handle.close()  # closing releases the lock
