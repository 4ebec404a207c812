"""Writing an import into a staging copy of the store, keeping what it replaced, and its record.

An import only ever adds files (named after the import id) and moves files it replaces into
`.history/<import id>/` at the top of the store, outside every table folder, because DuckDB's
`**/*.parquet` glob reads hidden folders too. Undo (analytics.ingest.history) is the reverse
move, so the previous Parquet files come back byte for byte. The `imports` table records what
each import added and removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from analytics import audit_trail
from analytics.atomic import fsync_paths, replace_dir, replace_file
from analytics.contract import PARTITIONED_TABLES, SCHEMAS
from analytics.errors import AuditDataError
from analytics.ingest.validate import Checked
from analytics.store import (
    MANIFEST_NAME,
    empty_frame,
    read_manifest,
    table_dir,
    to_arrow,
    write_manifest,
    write_table_files,
)

HISTORY_DIR = ".history"
IMPORTS_FILE = "log.parquet"
IMPORT_ID = re.compile(r"^imp-\d{4,}$")
Progress = Callable[[float, str], None]  # (fraction done, what is happening now)
KEYS = {
    "themes": ["theme_id"],
    "rounds": ["theme_id", "round_id"],
    "questions": ["theme_id", "question_id"],
}


def step(progress: Progress | None, fraction: float, text: str) -> None:
    """Report progress to the caller (the Data page's bar), if it asked."""
    if progress is not None:
        progress(fraction, text)


@contextlib.contextmanager
def store_errors(data_dir: Path, outcome: str) -> Iterator[None]:
    """Turn an operating-system error (a read-only or full disk, a folder in the lock file's
    place) into a message naming the path and the reason; the store is left as it was."""
    try:
        yield
    except OSError as error:
        where = error.filename or data_dir
        reason = error.strerror or type(error).__name__
        raise AuditDataError(
            f"{outcome}: the audit store at {data_dir} could not be used "
            f"({where}: {reason}). Check that the folder exists, that this user may write to it "
            "and its parent folder, and that the disk has space."
        ) from error


def current_user() -> str:
    """Return the operating-system user running the import, or 'unknown'."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def swap_in(
    staging: Path, data_dir: Path, written: Sequence[Path], events: Sequence[audit_trail.Event]
) -> None:
    """Make a staged version the store: its audit-trail events staged with it, every file on
    disk, the swap, then the events recorded. Every writer goes through here, so no version is
    swapped in without its events and no event is recorded for a swap that did not happen."""
    staged = [path for event in events for path in audit_trail.stage_with_store(staging, event)]
    fsync_paths([*written, *staged])
    replace_dir(staging, data_dir)
    for event in events:
        audit_trail.record_after_swap(event)


def read_history(data_dir: Path) -> pd.DataFrame:
    """Return the store's imports table (one row per import, oldest first)."""
    files = sorted(table_dir(Path(data_dir), "imports").glob("*.parquet"))
    frames = [pq.read_table(f, schema=SCHEMAS["imports"]).to_pandas() for f in files]
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_frame("imports")
    history = pd.concat(frames, ignore_index=True)
    return history.sort_values("import_id", key=lambda s: s.map(import_number), ignore_index=True)


def import_number(import_id: object) -> int:
    """Return the sequence number of an import id (imp-0012 -> 12), 0 if it is not one."""
    text = str(import_id)
    return int(text.split("-")[1]) if IMPORT_ID.match(text) else 0


def next_import_id(history: pd.DataFrame) -> str:
    """Return the next import id (imp-0001, imp-0002, ...)."""
    return f"imp-{max(map(import_number, history['import_id']), default=0) + 1:04d}"


def write_history(staging: Path, history: pd.DataFrame) -> Path:
    """Replace the imports table in the staging store with `history`."""
    folder = table_dir(staging, "imports")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()  # a hard link: unlinking leaves the live store's copy alone
    path = folder / IMPORTS_FILE
    replace_file(path, lambda p: pq.write_table(to_arrow("imports", history), p))
    return path


def refresh_manifest(staging: Path, history: pd.DataFrame) -> Path:
    """Rewrite the manifest so its notice says plainly what is synthetic and what was imported.

    A synthetic sample store that imports added real rounds to is marked "synthetic": "mixed"
    (every page's banner shows the notice while "synthetic" is truthy), its notice naming the
    sample's rounds and the imported ones; once imports have replaced every sample round it is
    no longer synthetic. With no import active, the manifest is the original, byte for byte.
    """
    manifest = read_manifest(staging)
    base_notice = manifest.pop("base_notice", manifest.get("notice"))
    base_synthetic = manifest.pop("base_synthetic", manifest.get("synthetic"))
    for key in ("imported_rounds", "synthetic_rounds", "accepted_rounds"):
        manifest.pop(key, None)
    if "synthetic" in manifest:  # restored in place: the keys keep their order
        manifest["synthetic"] = base_synthetic
    if base_notice is not None:
        manifest["notice"] = base_notice
    active = history[history["status"] == "active"]
    touched = sorted({r for listed in active["theme_rounds"] if listed is not None for r in listed})
    if touched:
        manifest["base_notice"] = base_notice
        manifest["base_synthetic"] = base_synthetic
        sample, imported = rounds_by_origin(staging) if base_synthetic else ([], [])
        if imported:
            manifest["synthetic"] = "mixed" if sample else False
            manifest["notice"] = _mixed_notice(sample, imported)
            manifest["synthetic_rounds"] = sample
            manifest["imported_rounds"] = imported
        else:
            manifest["notice"] = f"{base_notice or ''} Also loaded by import: {_listed(touched)}."
            manifest["notice"] = manifest["notice"].strip()
            manifest["imported_rounds"] = touched
    accepted = accepted_rounds(staging, set(active["import_id"]))
    if accepted:
        # A URL store's version is a hash of this file: accepting a round must change it.
        manifest["accepted_rounds"] = accepted
    write_manifest(staging, manifest)
    return staging / MANIFEST_NAME


def accepted_rounds(data_dir: Path, active_imports: set[str]) -> list[str]:
    """Return the incomplete rounds accepted for an import still active, as "theme/round"."""
    folder = data_dir / "round_acceptances"
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    rows = [
        f"{row['theme_id']}/{row['round_id']}"
        for path in files
        for row in pq.read_table(path, columns=["theme_id", "round_id", "import_id"]).to_pylist()
        if row["import_id"] in active_imports
    ]
    return sorted(set(rows))


def rounds_by_origin(data_dir: Path) -> tuple[list[str], list[str]]:
    """Return the rounds holding cases as (synthetic sample, imported), each "theme/round".

    An import names its files after its id (imp-0003.parquet); any other file in a round's
    folder was written by the sample generator.
    """
    sample, imported = [], []
    for folder in sorted(table_dir(data_dir, "cases").glob("theme_id=*/round_id=*")):
        files = [f.stem for f in folder.glob("*.parquet")]
        if not files:
            continue
        key = f"{folder.parent.name.split('=', 1)[1]}/{folder.name.split('=', 1)[1]}"
        (imported if all(IMPORT_ID.match(f) for f in files) else sample).append(key)
    return sample, imported


def _listed(rounds: list[str], most: int = 8) -> str:
    shown = ", ".join(rounds[:most])
    return shown + (f" and {len(rounds) - most} more" if len(rounds) > most else "")


def _by_theme(rounds: list[str]) -> str:
    themes: dict[str, list[str]] = {}
    for key in rounds:
        theme, round_id = key.split("/", 1)
        themes.setdefault(theme, []).append(round_id)
    return "; ".join(f"{theme} {', '.join(ids)}" for theme, ids in themes.items())


def _mixed_notice(sample: list[str], imported: list[str]) -> str:
    if not sample:
        return (
            "Every audit round in this store was imported from audit files (real data): "
            f"{_by_theme(imported)}. The sample's synthetic rounds have all been replaced."
        )
    return (
        "This store mixes synthetic sample data with imported audit rounds. "
        f"Synthetic sample (no real child is described): {_by_theme(sample)}. "
        f"Imported from audit files (real data): {_by_theme(imported)}."
    )


def _relative(staging: Path, path: Path) -> str:
    return path.relative_to(staging).as_posix()


def _retire(staging: Path, import_id: str, relative: str) -> None:
    """Move one file of the staging store into the import's history folder."""
    source = staging / relative
    target = staging / HISTORY_DIR / import_id / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    os.rename(source, target)


def prune_empty_dirs(staging: Path, tables: Iterable[str]) -> None:
    """Remove partition folders left empty (an undone or replaced round)."""
    for table in tables:
        root = table_dir(staging, table)
        if not root.is_dir():
            continue
        for folder in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


def _contract_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    columns = SCHEMAS[table].names
    out = frame.reindex(columns=columns)
    return out.astype(object).where(out.notna(), None)


def _rewrite(
    staging: Path,
    table: str,
    import_id: str,
    added_rows: pd.DataFrame,
    revisions: pd.DataFrame,
    removed: list[str],
) -> list[Path]:
    """Add rows to a small table and revise others, touching only the files that hold them."""
    keys = KEYS[table]
    kept: list[pd.DataFrame] = []
    if len(revisions):
        wanted = set(map(tuple, revisions[keys].astype(str).to_numpy().tolist()))
        for path in sorted(table_dir(staging, table).rglob("*.parquet")):
            rows = pq.read_table(path, schema=SCHEMAS[table]).to_pandas()
            hit = [tuple(k) in wanted for k in rows[keys].astype(str).to_numpy().tolist()]
            if any(hit):
                relative = _relative(staging, path)
                _retire(staging, import_id, relative)
                removed.append(relative)
                kept.append(rows)
    frames = []
    if kept:
        old = pd.concat(kept, ignore_index=True).astype(object).set_index(keys)
        update = revisions.astype(object).set_index(keys)
        for column in update.columns:
            old.loc[update.index, column] = update[column]
        frames.append(old.reset_index())
    if len(added_rows):
        frames.append(added_rows)
    if not frames:
        return []
    frame = _contract_frame(table, pd.concat([_contract_frame(table, f) for f in frames]))
    if table == "themes":
        frame["sort_order"] = frame["sort_order"].astype("int32")
    return write_table_files(staging, table, frame, import_id)


def apply_import(
    staging: Path, checked: Checked, import_id: str
) -> tuple[list[str], list[str], str | None]:
    """Write the checked import into the staging store; return (added, removed, replaced)."""
    added: list[Path] = []
    removed: list[str] = []
    replaced_from: list[str] = []
    for theme_id, round_id in checked.replaced:
        for table in sorted(PARTITIONED_TABLES):
            folder = table_dir(staging, table) / f"theme_id={theme_id}" / f"round_id={round_id}"
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                relative = _relative(staging, path)
                _retire(staging, import_id, relative)
                removed.append(relative)
                if table == "cases" and IMPORT_ID.match(path.stem):
                    replaced_from.append(f"{theme_id}/{round_id} (from {path.stem})")
                elif table == "cases":
                    replaced_from.append(f"{theme_id}/{round_id}")
    prune_empty_dirs(staging, PARTITIONED_TABLES)
    if len(checked.cases):
        added += write_table_files(
            staging, "cases", _contract_frame("cases", checked.cases), import_id
        )
        added += write_table_files(
            staging, "responses", _contract_frame("responses", checked.responses), import_id
        )
    rounds = checked.rounds
    if len(rounds):
        fields = ["theme_id", "round_id", "label", "start_date", "end_date", "status"]
        new = rounds[rounds["is_new"]][fields]
        revised = rounds[~rounds["is_new"] & rounds["revised"]][fields]
        added += _rewrite(staging, "rounds", import_id, new, revised, removed)
    questions = checked.questions
    if len(questions):
        fields = ["theme_id", "question_id", "text", "category", "seed_finding"]
        new = questions[questions["change"] == "new question"][fields]
        revised = questions[questions["change"] == "revised"][fields]
        added += _rewrite(staging, "questions", import_id, new, revised, removed)
    if len(checked.themes):
        added += _rewrite(
            staging,
            "themes",
            import_id,
            pd.DataFrame(),
            checked.themes[["theme_id", "status"]],
            removed,
        )
    fsync_paths(added)
    return [_relative(staging, p) for p in added], removed, "; ".join(replaced_from) or None


def history_row(
    import_id: str,
    file_name: str,
    sha256: str,
    checked: Checked,
    user: str | None,
    added: list[str],
    removed: list[str],
    replaced: str | None,
) -> dict[str, object]:
    """Return the imports-table row describing one import."""
    rounds = checked.rounds
    touched = rounds[(rounds["cases"] > 0) | rounds["is_new"] | rounds["revised"]]
    return {
        "import_id": import_id,
        "file_name": file_name,
        "sha256": sha256,
        "cases": len(checked.cases),
        "responses": len(checked.responses),
        "rounds": int((rounds["is_new"] | rounds["revised"]).sum()) if len(rounds) else 0,
        "questions": len(checked.questions),
        "theme_rounds": [
            f"{t}/{r}" for t, r in zip(touched["theme_id"], touched["round_id"], strict=True)
        ],
        "imported_at": pd.Timestamp(dt.datetime.now(dt.UTC).replace(tzinfo=None)),
        "user": user or current_user(),
        "replaced": replaced,
        "status": "active",
        "undone_at": None,
        "files_added": added,
        "files_removed": removed,
    }


def append_history(history: pd.DataFrame, row: dict[str, object]) -> pd.DataFrame:
    """Return the history with one more import."""
    new = pd.DataFrame([row], columns=SCHEMAS["imports"].names)
    return pd.concat([history.astype(object), new.astype(object)], ignore_index=True)


# --- undo ------------------------------------------------------------------------------------


def is_intact(data_dir: Path, record: pd.Series) -> bool:
    """Return whether every file an import added is still in the store (nothing replaced it)."""
    return all((data_dir / relative).is_file() for relative in record["files_added"])
