"""The store's own sub-commands: `generate` (the synthetic sample store), `migrate-store` (an
old-layout store to DuckLake), `snapshots` (what each snapshot changed, when, by whom), `sql`
(a read-only SELECT over the contract's tables at one snapshot) and `tidy-store` (data files no
snapshot lists, left by a writer that was killed)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
from collections import defaultdict

import pandas as pd

from analytics import queries
from analytics.cli.options import AddCommand, add_as_of_option, print_frame
from analytics.config import resolve_data_dir
from analytics.lake.catalog import TURN_TABLE, Lake
from analytics.readonly_sql import run_select
from analytics.store import Store

# Where the old layout kept a deployment's shared audit trail (migrate-store reads it).
OLD_TRAIL_DIR_ENV = "AUDIT_TRAIL_DIR"

SNAPSHOT_COLUMNS = ["snapshot_id", "time_utc", "changes", "author", "message"]
KEEPING = (
    "Snapshots are kept for ever: this store never expires them (no ducklake_expire_snapshots "
    "is run), so --as-of reaches back to the store's creation. An operator who expires "
    "snapshots (DuckLake's ducklake_expire_snapshots, then ducklake_cleanup_old_files) "
    "shortens that reach and makes imports before that point impossible to undo."
)
# DuckLake's names for kinds of change -> words; anything else is shown with its own name.
CHANGE_WORDS: dict[str, str] = {
    "created_schema": "created schema",
    "created_table": "created",
    "inserted_into_table": "inserted into",
    "deleted_from_table": "deleted from",
    "altered_table": "altered",
    "dropped_table": "dropped",
    "compacted_table": "compacted",
}
_QUOTED = re.compile(r'"((?:[^"]|"")*)"')


def add_parsers(add: AddCommand) -> None:
    """Add the store's sub-commands."""
    gen = add("generate", "write the synthetic sample store")
    gen.add_argument("--scale", type=int, default=1, help="multiply every cohort by K")
    gen.add_argument("--seed", type=int, default=None, help="random seed (default: fixed)")

    migrate = add(
        "migrate-store", "convert a store in the old layout (Parquet folders) to DuckLake",
        data_dir=False,
    )  # fmt: skip
    migrate.add_argument("old_dir", metavar="OLD_DIR", help="the old store's folder (store.json)")
    migrate.add_argument(
        "--to", dest="new_dir", required=True, metavar="NEW_DIR",
        help="the new store: a new or empty folder, or postgres:… data_path=…",
    )  # fmt: skip
    migrate.add_argument(
        "--trail-dir", default=os.environ.get(OLD_TRAIL_DIR_ENV) or None, metavar="DIR",
        help=f"where the old deployment kept its audit trail, if {OLD_TRAIL_DIR_ENV} named a "
        f"folder (default: ${OLD_TRAIL_DIR_ENV}, if set)",
    )  # fmt: skip

    snapshots = add("snapshots", "list the store's snapshots: id, time, what changed, by whom")
    snapshots.description = f"List every snapshot of the store, oldest first. {KEEPING}"
    snapshots.add_argument("--format", choices=("csv", "json", "table"), default="table")

    sql = add("sql", "run one read-only SELECT over the store's tables")
    sql.description = (
        "Run one SELECT over the contract's tables (cases, responses, rounds, …) as they are at "
        "one snapshot. Nothing can be written and no file outside the store can be read."
    )
    sql.add_argument("query", metavar="SELECT", help='one SELECT statement, e.g. "SELECT …"')
    add_as_of_option(sql)
    sql.add_argument("--format", choices=("csv", "json", "table"), default="table")

    tidy = add("tidy-store", "remove data files no snapshot lists (left by a killed import)")
    tidy.description = (
        "List, and with --remove delete, the data files under the store's data path that no "
        "snapshot lists: an import or undo killed or failed before its commit leaves them. "
        "Nothing reads them, so removing them changes no snapshot. Files changed within "
        "--older-than hours may belong to a write in progress and are left alone."
    )
    tidy.add_argument(
        "--older-than", type=_hours, default=24.0, metavar="HOURS",
        help="only files not changed for this many hours (default 24)",
    )  # fmt: skip
    tidy.add_argument("--remove", action="store_true", help="delete them (default: list only)")


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {text!r}") from None
    if not 0 <= hours < 24 * 365 * 100:  # NaN too
        raise argparse.ArgumentTypeError(f"hours must be between 0 and a century: {text!r}")
    return hours


def _table_name(item: str, names: dict[str, str]) -> str:
    """Return the table a change names: DuckLake gives an id, or a quoted "schema"."table"."""
    if item.isdigit():
        return names.get(item, f"table {item}")
    quoted = [part.replace('""', '"') for part in _QUOTED.findall(item)]
    return quoted[-1] if quoted else item


def changes_text(changes: str, names: dict[str, str]) -> str:
    """Return DuckLake's list of changes in words, table names instead of ids ("inserted into
    cases, responses; deleted from imports"); the writers' turn, a bookkeeping row, is left
    out."""
    grouped: dict[str, set[str]] = defaultdict(set)
    for item in filter(None, (part.strip() for part in changes.split(","))):
        kind, _, what = item.partition(":")
        name = _table_name(what.strip(), names)
        if name == TURN_TABLE:
            continue
        words = CHANGE_WORDS.get(kind.strip(), kind.strip().replace("_", " "))
        grouped[words].add(name)
    order = list(CHANGE_WORDS.values())  # a fixed order of kinds, tables by name
    kinds = sorted(grouped, key=lambda words: (order.index(words) if words in order else 99, words))
    return "; ".join(f"{words} {', '.join(sorted(grouped[words]))}" for words in kinds)


def snapshot_rows(lake: Lake) -> pd.DataFrame:
    """Return every snapshot, oldest first: id, time (UTC), what changed, author, message."""
    cursor = lake.con.cursor()
    try:
        names = {
            str(table_id): name
            for table_id, name in cursor.execute(
                f"SELECT table_id, table_name FROM {lake.meta}.ducklake_table"
            ).fetchall()
        }
    finally:
        cursor.close()
    rows = [
        (s.snapshot_id, s.time.isoformat(sep=" "), changes_text(s.changes, names), s.author,
         s.message)
        for s in lake.snapshots()
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=SNAPSHOT_COLUMNS)


def run_generate(args: argparse.Namespace) -> int:
    """Write the synthetic sample store."""
    from analytics.generate import DEFAULT_SEED, generate_store

    data_dir = resolve_data_dir(args.data_dir)
    seed = DEFAULT_SEED if args.seed is None else args.seed
    generate_store(data_dir, scale=args.scale, seed=seed)
    contents = queries.store_contents(Store(data_dir))
    print(
        f"Wrote a synthetic store to {data_dir}: {int(contents['cases'].sum())} cases, "
        f"{int(contents['responses'].sum())} responses (scale {args.scale}, seed {seed})."
    )
    return 0


def run_migrate_store(args: argparse.Namespace) -> int:
    """Convert an old-layout store into a new DuckLake store."""
    from analytics.access import local_operator
    from analytics.lake.migrate import migrate_store

    migrated = migrate_store(
        args.old_dir, args.new_dir, author=local_operator().user, trail_dir=args.trail_dir
    )
    print(migrated.message)
    return 0


def run_snapshots(args: argparse.Namespace) -> int:
    """Print the store's snapshots."""
    lake = Lake(resolve_data_dir(args.data_dir))
    try:
        frame = snapshot_rows(lake)
    finally:
        lake.close()
    print_frame(frame, args.format, text_left=True)
    return 0


def run_sql(args: argparse.Namespace) -> int:
    """Print the result of one read-only SELECT at the chosen snapshot."""
    with Store(resolve_data_dir(args.data_dir), as_of=args.as_of) as store:
        frame = run_select(store, args.query)
    print_frame(frame, args.format)
    return 0


def run_tidy_store(args: argparse.Namespace) -> int:
    """List (or remove) the data files no snapshot lists; say how many."""
    lake = Lake(resolve_data_dir(args.data_dir))
    try:
        files = lake.orphaned_files(dt.timedelta(hours=args.older_than), remove=args.remove)
    finally:
        lake.close()
    for path in files:
        print(path)
    age = f"not changed for {args.older_than:g} hours"
    counted = f"{len(files)} data file{'' if len(files) == 1 else 's'}"
    if not files:
        print(f"No data file outside the snapshots ({age}): nothing to tidy.")
    elif args.remove:
        print(f"Removed {counted} that no snapshot lists ({age}).")
    else:
        print(
            f"{counted} that no snapshot lists ({age}). Nothing was removed: run again with "
            "--remove to delete them."
        )
    return 0


COMMANDS = {
    "generate": run_generate,
    "migrate-store": run_migrate_store,
    "snapshots": run_snapshots,
    "sql": run_sql,
    "tidy-store": run_tidy_store,
}
