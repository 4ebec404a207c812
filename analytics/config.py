"""Where the store lives: --data-dir, else $AUDIT_DATA_DIR, else data/ beside the project.

A store may also be a URL (s3://bucket/audit, gs://…, https://…, file:///…): read-only, read by
DuckDB (docs/deployment.md). Paths stay Path objects; URLs stay strings (Path would fold "//").
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
DATA_DIR_ENV = "AUDIT_DATA_DIR"

StoreLocation = Path | str


def is_url(location: str | os.PathLike[str]) -> bool:
    """Return whether a store location is a URL (scheme://...) rather than a local folder."""
    return isinstance(location, str) and "://" in location


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> StoreLocation:
    """Return the store chosen by argument, environment or default: a Path, or a URL string."""
    chosen = explicit or os.environ.get(DATA_DIR_ENV)
    if not chosen:
        return DEFAULT_DATA_DIR
    if is_url(str(chosen)):
        return str(chosen).rstrip("/")
    return Path(chosen)
