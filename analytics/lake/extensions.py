"""DuckDB's extensions from their pip wheels, loaded offline: nothing is ever downloaded.

Each wheel (duckdb-extension-<name>, pinned to DuckDB's own version) holds
`duckdb_extension_<name>/extensions/v<version>/<name>.duckdb_extension`. DuckDB looks for
`<extension_directory>/v<version>/<platform>/<entry point>.duckdb_extension`, and two entry points
differ from the wheel's name (sqlite_scanner, postgres_scanner), so each file is linked once into
a private extension folder under that name.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import duckdb

from analytics.errors import AuditDataError

# wheel name -> the name DuckDB loads it by
EXTENSIONS: dict[str, str] = {
    "ducklake": "ducklake",
    "sqlite": "sqlite_scanner",
    "postgres": "postgres_scanner",
    "httpfs": "httpfs",
}
# Every connection refuses to fetch or guess an extension: a missing one fails at once.
# DuckDB's connect() takes these value types in its config.
ConfigValue = str | bool | int | float | list[str]
CONNECTION_CONFIG: dict[str, ConfigValue] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
_prepared: dict[str, Path] = {}
_lock = threading.Lock()
_dir_lock = threading.Lock()


def duckdb_version() -> str:
    """Return DuckDB's version as extension folders name it (v1.5.5)."""
    return "v" + duckdb.__version__


def one_row(result: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """Return the first row of a statement that always returns one (an aggregate, a PRAGMA)."""
    row = result.fetchone()
    if row is None:  # a statement of ours that always answers did not: DuckDB broke its word
        raise RuntimeError("DuckDB returned no row where one was due")
    return row


def _platform() -> str:
    con = duckdb.connect(":memory:", config=dict(CONNECTION_CONFIG))
    try:
        return str(one_row(con.execute("PRAGMA platform"))[0])
    finally:
        con.close()


def wheel_file(name: str) -> Path:
    """Return the extension file shipped in the `duckdb-extension-<name>` wheel, or raise
    AuditDataError naming the package to install."""
    package = f"duckdb_extension_{name}"
    spec = importlib.util.find_spec(package)
    version = duckdb_version()
    pin = f"duckdb-extension-{name}=={version[1:]}"
    if spec is None or spec.origin is None:
        raise AuditDataError(
            f"DuckDB's {name} extension is not installed: install the pinned `{pin}` "
            "(requirements.txt; scripts/setup.sh does). Nothing is downloaded at run time."
        )
    path = Path(spec.origin).parent / "extensions" / version / f"{name}.duckdb_extension"
    if not path.is_file():
        raise AuditDataError(
            f"DuckDB's {name} extension has no file for DuckDB {version[1:]} ({path}): install "
            f"`{pin}`, the version matching `duckdb=={version[1:]}`."
        )
    return path


def extension_directory() -> Path:
    """Return a private extension folder holding links to every pinned extension's file."""
    with _dir_lock:
        key = duckdb_version()
        if key in _prepared:
            return _prepared[key]
        base = Path(
            os.environ.get("AUDIT_EXTENSION_DIR")
            or Path(tempfile.gettempdir()) / f"audit-insight-duckdb-{os.getuid()}"
        )
        folder = base / key / _platform()
        folder.mkdir(parents=True, exist_ok=True)
        for name, entry in EXTENSIONS.items():
            target = wheel_file(name)
            link = folder / f"{entry}.duckdb_extension"
            if link.is_symlink() and Path(os.readlink(link)) == target:
                continue
            partial = folder / f".{entry}.{os.getpid()}.link"
            partial.unlink(missing_ok=True)
            partial.symlink_to(target)
            os.replace(partial, link)  # another process may be doing the same: last one wins
        _prepared[key] = base
        return base


_instance: duckdb.DuckDBPyConnection | None = None
_loaded: set[str] = set()


def connect(*names: str) -> duckdb.DuckDBPyConnection:
    """Return a connection to the process's one in-memory DuckDB, with the named extensions
    loaded from their wheels. Loading an extension costs about half a second, so every store a
    process opens shares the one database (each attached under its own name)."""
    global _instance
    with _lock:
        if _instance is None:
            config = {**CONNECTION_CONFIG, "extension_directory": str(extension_directory())}
            _instance = duckdb.connect(":memory:", config=config)
        for name in names:
            if name in _loaded:
                continue
            try:
                _instance.execute(f"LOAD {EXTENSIONS[name]}")
            except duckdb.Error as error:
                reason = str(error).splitlines()[0]
                raise AuditDataError(
                    f"DuckDB's {name} extension could not be loaded ({reason}). "
                    f"Reinstall the pinned `duckdb-extension-{name}` (scripts/setup.sh)."
                ) from error
            _loaded.add(name)
        return _instance.cursor()
