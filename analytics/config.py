"""Where the store lives: --data-dir, else $AUDIT_STORE, else $AUDIT_DATA_DIR, else data/.

The setting is a folder (the embedded store) or `postgres:<libpq settings> data_path=<where the
data files live>` (several machines; analytics.lake.location parses it). `AUDIT_DATA_DIR` is the
older, folder-only name; `AUDIT_STORE` wins when both are set. Folders stay Path objects; any
other setting stays the string given (Path would fold the "//" of s3://).
"""

from __future__ import annotations

import os
from pathlib import Path

from analytics.lake.location import POSTGRES_PREFIX

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
STORE_ENV = "AUDIT_STORE"
DATA_DIR_ENV = "AUDIT_DATA_DIR"

StoreSetting = Path | str


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> StoreSetting:
    """Return the store chosen by argument, environment or default: a folder as a Path, a
    PostgreSQL catalog setting (or anything with a scheme, refused later) as its string."""
    chosen = explicit or os.environ.get(STORE_ENV) or os.environ.get(DATA_DIR_ENV)
    if not chosen:
        return DEFAULT_DATA_DIR
    text = str(chosen).strip()
    if text.startswith(POSTGRES_PREFIX) or "://" in text:
        return text
    return Path(text)
