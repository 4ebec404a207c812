"""Where a store lives: one setting, a folder or a PostgreSQL catalog with its data files elsewhere.

- A folder (`data/`, `/srv/audit`): the embedded store. Its catalog is `<folder>/catalog.sqlite`
  (SQLite, so the dashboard and an import can use it at once) and its data files are under
  `<folder>/files/`. The data path is given at every attach, so a copied or moved folder works.
- `postgres:<libpq settings> data_path=<where the files live>`, for several machines: the
  catalog in PostgreSQL, the Parquet files on object storage (s3://bucket/prefix/, gs://…) or a
  shared folder, e.g. `postgres:dbname=audit host=db.internal user=audit
  data_path=s3://council-audit/lake/`; a path with spaces is quoted as libpq quotes values,
  `data_path='/mnt/Audit files/'`. The password comes from libpq's own PGPASSWORD or
  ~/.pgpass, never from this setting; S3 credentials from the AWS_* environment variables.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from analytics.errors import AuditDataError

CATALOG_FILE = "catalog.sqlite"
DATA_FOLDER = "files"
POSTGRES_PREFIX = "postgres:"
# data_path=VALUE, or quoted as libpq quotes its values (data_path='/mnt/Audit files/').
_DATA_PATH = re.compile(r"""(?:^|\s)data_path=(?:'((?:[^'\\]|\\.)*)'|(\S+))""")
_ESCAPED = re.compile(r"\\(.)")
# A libpq password, bare or quoted, in a setting or in an error quoting the connection string.
_PASSWORD = re.compile(r"""(?<![^\s":])password\s*=\s*(?:'(?:[^'\\]|\\.)*'|[^\s"']+)""")


@dataclass(frozen=True)
class StoreLocation:
    """A parsed store setting: the catalog DuckLake attaches and where the data files are."""

    setting: str  # as given (a folder path, or the postgres: form)
    catalog: str  # the DuckLake catalog: "sqlite:/abs/catalog.sqlite" or "postgres:dbname=…"
    data_path: str  # the data files' folder or URL, ending in "/"
    folder: Path | None  # the embedded store's folder; None for a PostgreSQL catalog

    @property
    def embedded(self) -> bool:
        """Return whether the store is a folder on this machine (SQLite catalog)."""
        return self.folder is not None

    @property
    def remote_data(self) -> bool:
        """Return whether the data files are on object storage (s3://, gs://, …)."""
        return "://" in self.data_path

    def shown(self) -> str:
        """Return the location as it may be shown: a folder path, or the catalog without any
        password."""
        if self.folder is not None:
            return str(self.folder)
        return hide_password(self.setting)

    def __str__(self) -> str:
        return self.shown()


def without_password(text: str) -> str:
    """Return the text with any libpq password setting left out (libpq then takes the password
    from PGPASSWORD or ~/.pgpass)."""
    return " ".join(_PASSWORD.sub("", text).split())


def hide_password(text: str) -> str:
    """Return the text with any libpq password in it replaced by an ellipsis."""
    return _PASSWORD.sub("password=…", text).strip()


def parse_location(setting: str | os.PathLike[str] | StoreLocation) -> StoreLocation:
    """Return the store location a setting names (a folder, or `postgres:… data_path=…`); a
    location already parsed is returned as it is."""
    if isinstance(setting, StoreLocation):
        return setting
    text = str(setting).strip()
    if text.startswith(POSTGRES_PREFIX):
        found = _DATA_PATH.search(text)
        if found is None:
            raise AuditDataError(
                f"The store setting {hide_password(text)!r} names a PostgreSQL "
                "catalog but not where its data files live: add data_path=s3://bucket/prefix/ "
                "(or a folder every machine shares)."
            )
        conninfo = _DATA_PATH.sub("", text[len(POSTGRES_PREFIX) :]).strip()
        quoted, bare = found.groups()
        path = bare if quoted is None else _ESCAPED.sub(r"\1", quoted)
        if not path.strip("/ ") or path.startswith("'"):
            raise AuditDataError(
                f"The store setting {hide_password(text)!r} has no usable data_path: give the "
                "folder or URL of the store's data files, quoted if it has spaces "
                "(data_path='/mnt/Audit files/')."
            )
        data_path = path.rstrip("/") + "/"
        return StoreLocation(text, f"postgres:{conninfo}", data_path, None)
    if "://" in text:
        raise AuditDataError(
            f"A store is a folder or a PostgreSQL catalog (postgres:… data_path=…), not the URL "
            f"{text!r}: data files on object storage need a catalog beside them "
            "(docs/deployment.md)."
        )
    folder = Path(text).expanduser().absolute()
    return StoreLocation(
        text, f"sqlite:{folder / CATALOG_FILE}", f"{folder / DATA_FOLDER}/", folder
    )


def is_store(location: StoreLocation) -> bool:
    """Return whether an embedded store exists at the location (a PostgreSQL catalog is
    assumed to exist; attaching says otherwise)."""
    return location.folder is None or (location.folder / CATALOG_FILE).is_file()


def check_store_target(location: StoreLocation) -> None:
    """Raise AuditDataError unless a store may be made at the location: a store already, or an
    absent or empty folder. A file, or a folder of other things given by mistake, never
    becomes a store."""
    folder = location.folder
    if folder is None or is_store(location):
        return
    choose = "Choose an existing store, or an empty or new folder, as the data directory."
    if folder.exists() and not folder.is_dir():
        raise AuditDataError(f"{folder} is a file, not an audit store folder. {choose}")
    if folder.is_dir() and any(folder.iterdir()):
        raise AuditDataError(
            f"{folder} holds other files and is not an audit store (it has no {CATALOG_FILE}). "
            f"{choose}"
        )
