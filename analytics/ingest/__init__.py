"""Import real audit rounds: check a workbook or CSV files, load them all-or-nothing, keep history.

    preview(data_dir, files)        what an import would load, or every problem (writes nothing),
                                    and how completely it answers each round's standards
    import_files(data_dir, files)   load it atomically, or raise ImportRefused with every problem
                                    (either with tracker=TrackerImport(mapping, round_id): a QA
                                    team's own tracker, translated by its mapping, which is saved
                                    in the store with the import: analytics.ingest.trackers)
    undo_import(data_dir, id)       revert one import exactly
    accept_rounds(data_dir, rounds) accept incomplete rounds, held back until then (completeness)
    import_history(data_dir)        the imports, newest first, with what can be undone
    template_workbook(data_dir)     the XLSX template, drop-down lists from the store's catalogue
    benchmark_import(data_dir)      seconds to import a 10,000-case round into a copy of the store

Writers hold the store's lock and build the next version beside it (analytics.atomic), so a
reader sees the store before an import or after it, never half of one. The data directory is
used by its real path (a symbolic link stays a link), and must be a store, or an empty or absent
folder (which becomes a new store holding the seed catalogue); a file or a folder of other
things is refused, never replaced.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from analytics import audit_trail, queries
from analytics.access import Actor, Permission
from analytics.atomic import (
    check_store_target,
    clone_dir,
    fsync_paths,
    local_store_dir,
    purge_retired,
    sibling,
    writer_lock,
)
from analytics.catalogue import CATALOGUE_TABLES, catalogue_table
from analytics.domain import QUADRANTS, ROUND_STATUSES_WITH_DATA
from analytics.errors import ImportRefused
from analytics.ingest import completeness
from analytics.ingest.completeness import AcceptResult, accept_rounds
from analytics.ingest.history import UndoResult, import_history, undo_import
from analytics.ingest.plan import ROUND_PREVIEW_COLUMNS
from analytics.ingest.problems import Problems, empty_problems
from analytics.ingest.reading import (
    DEFAULT_MAX_MB,
    ReadResult,
    Source,
    is_template,
    read_sources,
)
from analytics.ingest.reading import sources_from_paths as _sources_from_paths
from analytics.ingest.sample_round import benchmark_import
from analytics.ingest.spec import allowed_values, contract_summary, sheet_summary, store_tables
from analytics.ingest.state import StoreState, store_state
from analytics.ingest.template import template_workbook, write_template
from analytics.ingest.trackers import saved as saved_mappings
from analytics.ingest.trackers.apply import (
    TrackerImport,
    TrackerResult,
    apply_mapping,
    import_identity,
)
from analytics.ingest.trackers.layout import TrackerRead, read_trackers
from analytics.ingest.trackers.model import TrackerMapping
from analytics.ingest.trackers.vocabulary import WORD_COLUMNS
from analytics.ingest.validate import Checked, check
from analytics.ingest.writing import (
    Progress,
    append_history,
    apply_import,
    history_row,
    is_intact,
    next_import_id,
    read_history,
    refresh_manifest,
    step,
    store_errors,
    swap_in,
    write_history,
)
from analytics.store import MANIFEST_NAME, Store, write_store_files
from analytics.store import write_table_files as write_store_table

__all__ = [
    "DEFAULT_MAX_MB",
    "AcceptResult",
    "ImportRefused",
    "ImportResult",
    "Preview",
    "Source",
    "TrackerImport",
    "UndoResult",
    "accept_rounds",
    "allowed_values",
    "benchmark_import",
    "contract_summary",
    "import_files",
    "import_history",
    "is_template",
    "preview",
    "problems_csv",
    "sheet_summary",
    "store_tables",
    "template_workbook",
    "undo_import",
    "write_template",
]

FileLike = Source | str | os.PathLike[str]


@dataclass
class Preview:
    """What an import would load (rows, rounds, quadrants), or why it cannot: its problems."""

    file_name: str
    sha256: str
    problems: pd.DataFrame
    counts: pd.DataFrame  # what, rows
    rounds: pd.DataFrame  # one row per round touched: label, dates, status, cases, change
    quadrants: pd.DataFrame  # theme_id, round_id, cases per quadrant and in total
    questions: pd.DataFrame  # questions added or revised
    themes: pd.DataFrame  # planned themes that become audited
    ignored_columns: list[str] = field(default_factory=list)
    already_imported: str | None = None  # id of an active import of the identical file
    # A tracker's import: its sheets not imported (with why), every word seen in its mapped
    # columns (kind, word, count, means, from), the first cases and responses rows as they will
    # be stored (with the tracker's sheet and row), and which mapping was used and why.
    ignored_sheets: list[str] = field(default_factory=list)
    words: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(WORD_COLUMNS)))
    sample: dict[str, pd.DataFrame] = field(default_factory=dict)
    mapping_note: str | None = None
    checked: Checked | None = field(default=None, repr=False)
    # Standards answered per round (cases, standards per case, answered share, complete) and the
    # cases with the fewest answered (analytics.ingest.completeness).
    completeness: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=completeness.ROUND_COLUMNS)
    )
    fewest_answered: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=completeness.CASE_COLUMNS)
    )

    @property
    def ok(self) -> bool:
        """Return whether the file can be imported as it is."""
        return self.problems.empty

    @property
    def incomplete(self) -> pd.DataFrame:
        """Return the rounds under the completeness threshold (held back unless accepted)."""
        return self.completeness[~self.completeness["complete"].astype(bool)]


@dataclass(frozen=True)
class ImportResult:
    """The outcome of an import: its id, whether anything changed, and what it loaded."""

    import_id: str
    changed: bool
    preview: Preview
    message: str


def _sources(files: Sequence[FileLike], max_mb: float) -> list[Source]:
    paths = [f for f in files if not isinstance(f, Source)]
    from_paths = iter(_sources_from_paths(paths, max_mb))
    return [f if isinstance(f, Source) else next(from_paths) for f in files]


def catalogue_chunks() -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield the seed catalogue as a store with no audit results (rounds still to be loaded)."""
    for name in CATALOGUE_TABLES:
        frame = catalogue_table(name)
        if name == "rounds":  # the seed's finished rounds hold no cases in a real store
            frame = frame[~frame["status"].isin(ROUND_STATUSES_WITH_DATA)]
        yield name, frame


def _new_store_manifest() -> dict[str, object]:
    return {
        "synthetic": False,
        "notice": "Audit store created by import: the seed catalogue and the imported rounds.",
        "created_by": "python -m analytics ingest",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def is_store(data_dir: Path) -> bool:
    """Return whether the folder holds an audit store (its manifest)."""
    return (Path(data_dir) / MANIFEST_NAME).is_file()


@contextlib.contextmanager
def _readable_base(data_dir: Path) -> Iterator[Path]:
    """Yield the store to check against: the store, or a catalogue-only one if there is none."""
    if is_store(data_dir):
        yield data_dir
        return
    with tempfile.TemporaryDirectory(prefix="audit-preview-") as folder:
        base = Path(folder) / "store"
        write_store_files(base, catalogue_chunks(), _new_store_manifest())
        yield base


def _identical(base: Path, history: pd.DataFrame, sha256: str) -> str | None:
    same = history[(history["sha256"] == sha256) & (history["status"] == "active")]
    for _, record in same.iterrows():
        if is_intact(base, record):
            return str(record["import_id"])
    return None


@dataclass
class _Pending:
    """An import read, not yet checked: the template's sheets, or a tracker to translate (which
    needs the store: the round's dates, the theme's questions)."""

    read: ReadResult  # a tracker's: its name and identity only, until translated
    translate: Callable[[StoreState], ReadResult] | None = None
    tracker: TrackerImport | None = None
    note: str | None = None  # which mapping was used, and why


def _tracker_for(
    data_dir: Path, read: TrackerRead, round_id: str | None
) -> tuple[TrackerImport | None, str]:
    """Return the saved mapping that fits a tracker exactly (and what was recognised), or None.

    With no round_id, the round comes from the audit dates (apply_mapping)."""
    if not is_store(data_dir):
        return None, ""
    recognition = saved_mappings.recognise(read, saved_mappings.saved_mappings(data_dir))
    if recognition.mapping is None or not recognition.exact:
        return None, recognition.message if recognition.mapping is not None else ""
    tracker = TrackerImport(recognition.mapping, round_id, dict(recognition.layouts))
    return tracker, recognition.message + " It is used as saved."


def _pending(
    data_dir: Path, sources: list[Source], tracker: TrackerImport | None, max_mb: float
) -> _Pending:
    """Read the files: as the template, or as a tracker with its mapping (given or saved)."""
    if tracker is None and is_template(sources):
        return _Pending(read_sources(sources, max_mb))
    tracker_read = read_trackers(sources, max_mb)
    names = ", ".join(s.name for s in sources)
    note = None
    if tracker is None or tracker.mapping is None:
        round_id = tracker.round_id if tracker is not None else None
        tracker, note = _tracker_for(data_dir, tracker_read, round_id)
        if tracker is None:
            problems = Problems()
            problems.add_one(
                names,
                None,
                None,
                None,
                "this is not the template (no cases or responses sheet or file): it looks like a "
                "tracker of your own" + (f". {note}" if note else ""),
                "Map it first: python -m analytics map FILE… --theme T --round R --out MAPPING, "
                "or upload it on the Data page, which proposes the mapping.",
            )
            refused = ReadResult(names, "", {}, problems, supplied={"cases", "responses"})
            return _Pending(refused, note=note)
    chosen = tracker

    def translate(state: StoreState) -> ReadResult:
        return apply_mapping(tracker_read, chosen.mapping, chosen.round_id, state, chosen.layouts)

    identity = ReadResult(
        names, import_identity(tracker_read.sha256, tracker.mapping, tracker.round_id), {},
        Problems(),
    )  # fmt: skip
    return _Pending(identity, translate, tracker, note)


def _evaluate(base: Path, pending: _Pending, replace: bool, progress: Progress | None) -> Preview:
    """Check a read import against the store at `base`; return its preview."""
    read = pending.read
    store = Store(base)
    try:
        state = None
        if pending.tracker is not None and pending.tracker.round_id is None:
            # The round comes from the audit dates: translate first, so that the identity names
            # the round found (importing again, with or without --round, changes nothing).
            state = store_state(store)
            read = pending.translate(state)
        already = _identical(base, read_history(base), read.sha256) if read.sha256 else None
        if already is not None:
            result = _preview_of(read, Checked(problems=empty_problems()), already)
            result.mapping_note = pending.note
            return result
        step(progress, 0.35, "Checking every value against the contract and the store")
        if state is None:
            state = store_state(store)
            if pending.translate is not None:
                read = pending.translate(state)
        checked = check(read, state, replace)
    finally:
        store.close()
    result = _preview_of(read, checked, None)
    result.mapping_note = pending.note
    if isinstance(read, TrackerResult):
        result.ignored_columns = read.ignored_columns
        result.ignored_sheets = read.ignored_sheets
        result.words = read.words
        result.sample = read.sample()
    if result.ok:
        standards = completeness.standards_per_theme(state.questions, checked.questions)
        result.completeness, result.fewest_answered = completeness.measure(
            checked.cases, checked.responses, standards
        )
    return result


def _preview_of(read: ReadResult, checked: Checked, already: str | None) -> Preview:
    rounds = checked.rounds
    if rounds.empty:
        rounds = pd.DataFrame(columns=list(ROUND_PREVIEW_COLUMNS))
    loaded = rounds[rounds["cases"] > 0]
    quadrants = loaded[["theme_id", "round_id", *QUADRANTS]].assign(total=loaded["cases"])
    questions, themes = checked.questions, checked.themes
    change = questions["change"] if "change" in questions else pd.Series(dtype=object)
    counts = pd.DataFrame(
        [
            ("cases", len(checked.cases)),
            ("responses", len(checked.responses)),
            ("rounds created", int(rounds["is_new"].sum())),
            (
                "rounds updated",
                int((~rounds["is_new"].astype(bool) & rounds["revised"].astype(bool)).sum()),
            ),
            ("rounds replaced", int((rounds["replaces"] > 0).sum())),
            ("questions added", int((change == "new question").sum())),
            ("questions revised", int((change == "revised").sum())),
            ("themes now audited", len(themes)),
        ],
        columns=["what", "rows"],
    )
    shown = ["theme_id", "round_id", "label", "start_date", "end_date", "status", "cases", "change"]
    return Preview(
        file_name=read.file_name,
        sha256=read.sha256,
        problems=checked.problems,
        counts=counts,
        rounds=rounds[shown].reset_index(drop=True),
        quadrants=quadrants.reset_index(drop=True),
        questions=questions.drop(columns=["_row"], errors="ignore"),
        themes=themes,
        ignored_columns=checked.ignored_columns,
        already_imported=already,
        checked=checked,
    )


def preview(
    data_dir: str | os.PathLike[str],
    files: Sequence[FileLike],
    replace: bool = False,
    max_mb: float = DEFAULT_MAX_MB,
    progress: Progress | None = None,
    tracker: TrackerImport | None = None,
) -> Preview:
    """Return what importing the files would load, or every problem; writes nothing.

    A tracker is read with `tracker` (its mapping and round), or with the saved mapping its
    layout matches exactly; any other file that is not the template is refused: map it first.
    """
    data_dir = local_store_dir(data_dir)
    check_store_target(data_dir)
    step(progress, 0.05, "Reading the file")
    pending = _pending(data_dir, _sources(files, max_mb), tracker, max_mb)
    with store_errors(data_dir, "The file was not checked"), _readable_base(data_dir) as base:
        result = _evaluate(base, pending, replace, progress)
        purge_retired(data_dir)  # versions no reader needs any more (no lock needed)
    step(progress, 1.0, "Checked")
    return result


def import_files(
    data_dir: str | os.PathLike[str],
    files: Sequence[FileLike],
    replace: bool = False,
    *,
    actor: Actor,
    max_mb: float = DEFAULT_MAX_MB,
    progress: Progress | None = None,
    accept_incomplete: bool = False,
    tracker: TrackerImport | None = None,
) -> ImportResult:
    """Import one workbook (or CSV set) all-or-nothing; raise ImportRefused listing every problem.

    A tracker is imported with `tracker` (or the saved mapping its layout matches exactly), and
    its mapping is saved in the store in the same swap (analytics.ingest.trackers.saved).

    Only an actor with the import permission may (AccessRefused otherwise, recorded in the audit
    trail). An identical file that is already imported (and not since replaced or undone) changes
    nothing (but `accept_incomplete` still accepts its held-back rounds). Rounds that already hold
    cases are replaced only with `replace=True`. A round under the completeness threshold is
    loaded but held back until accepted: `accept_incomplete=True` accepts it now, recorded.
    """
    data_dir = local_store_dir(data_dir)
    check_store_target(data_dir)  # a file or a folder of other things is never replaced
    with store_errors(data_dir, "Nothing was imported"):
        names = ", ".join(_file_names(files))
        audit_trail.require_recorded(
            audit_trail.folder_for(data_dir),
            Permission.IMPORT,
            audit_trail.Event(actor, "import", names),
        )
        step(progress, 0.05, "Reading the file")
        pending = _pending(data_dir, _sources(files, max_mb), tracker, max_mb)
        step(progress, 0.25, "Waiting for other imports to finish")
        with writer_lock(data_dir):
            check_store_target(data_dir)  # again: it may have changed while we waited
            result = _import_locked(data_dir, pending, replace, actor, progress, accept_incomplete)
    step(progress, 1.0, "Imported")
    return result


def _import_locked(
    data_dir: Path,
    pending: _Pending,
    replace: bool,
    actor: Actor,
    progress: Progress | None,
    accept_incomplete: bool = False,
) -> ImportResult:
    """Check the import against a clone of the store and swap it in (the writer's lock held)."""
    read = pending.read
    staging = sibling(data_dir, "staging")
    try:
        # Check against the very snapshot that will be written: a clone of the store.
        if is_store(data_dir):
            clone_dir(data_dir, staging)
        else:
            write_store_files(staging, catalogue_chunks(), _new_store_manifest())
            trail = data_dir / audit_trail.TRAIL_DIR
            if trail.is_dir():  # events recorded before the first import stay
                clone_dir(trail, staging / audit_trail.TRAIL_DIR)
        checked = _evaluate(staging, pending, replace, progress)
        if checked.already_imported:
            shutil.rmtree(staging)
            message = (
                f"{read.file_name} is already imported as {checked.already_imported} "
                "(an identical file): nothing changed."
            )
            changed = False
            if accept_incomplete:
                accepted = _accept_held_of(data_dir, checked.already_imported, actor)
                changed = bool(accepted.accepted)
                if accepted.message:
                    message += " " + accepted.message
            return ImportResult(checked.already_imported, changed, checked, message)
        if not checked.ok or checked.checked is None:
            raise ImportRefused(read.file_name, checked.problems)
        step(progress, 0.6, "Writing the new rounds")
        history = read_history(staging)
        import_id = next_import_id(history)
        added, removed, replaced = apply_import(staging, checked.checked, import_id)
        added += _write_completeness(staging, checked, import_id, actor, accept_incomplete)
        row = history_row(
            import_id,
            read.file_name,
            checked.sha256,  # a tracker's names the round found from its dates
            checked.checked,
            actor.user,
            added,
            removed,
            replaced,
        )
        history = append_history(history, row)
        event = audit_trail.Event(actor, "import", read.file_name, detail=import_id)
        events = [event]
        if pending.tracker is not None:  # the mapping confirmed is saved with its import
            events += _stage_mapping(staging, pending.tracker.mapping, actor)
        if accept_incomplete and len(checked.incomplete):
            held = checked.incomplete.assign(import_id=import_id)
            events += completeness.acceptance_events(actor, held, ACCEPTED_ON_IMPORT)
        step(progress, 0.9, "Swapping the new version of the store in")
        written = [write_history(staging, history), refresh_manifest(staging, history)]
        swap_in(staging, data_dir, written, events)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ImportResult(import_id, True, checked, _summary(import_id, checked, accept_incomplete))


ACCEPTED_ON_IMPORT = "accepted on import"


def _stage_mapping(staging: Path, mapping: TrackerMapping, actor: Actor) -> list[audit_trail.Event]:
    """Write the import's mapping into the staging store unless saved as it is; its event."""
    path = saved_mappings.mappings_dir(staging) / f"{saved_mappings.slug(mapping.name)}.json"
    if path.is_file() and path.read_bytes() == saved_mappings.mapping_bytes(mapping):
        return []
    replaced = saved_mappings.replaced_name(staging, mapping)
    fsync_paths(saved_mappings.write_into(staging, mapping))
    return [saved_mappings.save_event(actor, mapping, replaced)]


def _write_completeness(
    staging: Path, checked: Preview, import_id: str, actor: Actor, accept_incomplete: bool
) -> list[str]:
    """Write the import's round_completeness rows (and its acceptances); return the files."""
    if checked.completeness.empty:
        return []
    written = write_store_table(
        staging, "round_completeness",
        completeness.completeness_frame(import_id, checked.completeness), import_id,
    )  # fmt: skip
    held = checked.incomplete
    if accept_incomplete and len(held):
        triples = [(t, r, import_id) for t, r in zip(held["theme_id"], held["round_id"],
                                                     strict=True)]  # fmt: skip
        frame = completeness.acceptance_frame(triples, actor.user, ACCEPTED_ON_IMPORT)
        written += completeness.write_acceptances(staging, frame, import_id)
    fsync_paths(written)
    return [p.relative_to(staging).as_posix() for p in written]


def _accept_held_of(data_dir: Path, import_id: str, actor: Actor) -> completeness.AcceptResult:
    """Accept the held-back rounds an already active import loaded (the writer's lock held)."""
    store = Store(data_dir)
    try:
        held = queries.held_rounds(store)
    finally:
        store.close()
    held = held[held["import_id"] == import_id]
    pairs = list(zip(held["theme_id"], held["round_id"], strict=True))
    if not pairs:
        return completeness.AcceptResult([], "")
    return completeness.accept_locked(data_dir, pairs, actor, ACCEPTED_ON_IMPORT)


def _file_names(files: Sequence[FileLike]) -> list[str]:
    return [f.name if isinstance(f, Source) else Path(f).name for f in files]


def _summary(import_id: str, checked: Preview, accepted: bool = False) -> str:
    counts = dict(zip(checked.counts["what"], checked.counts["rows"], strict=True))
    rounds = checked.rounds[checked.rounds["change"] != "unchanged"]
    lines = [
        f"Imported {checked.file_name} as {import_id}: {counts['cases']} cases, "
        f"{counts['responses']} responses."
    ]
    for record in rounds.itertuples(index=False):
        lines.append(
            f"  {record.theme_id} / {record.round_id}: {record.change} ({record.cases} cases)"
        )
    for record in checked.themes.itertuples(index=False):
        lines.append(f"  {record.theme_id}: {record.change}")
    if counts["questions added"] or counts["questions revised"]:
        lines.append(
            f"  questions: {counts['questions added']} added, {counts['questions revised']} revised"
        )
    lines += completeness.describe(checked.completeness, checked.fewest_answered)
    lines += completeness.held_notice(checked.completeness, accepted)
    return "\n".join(lines)


def problems_csv(problems: pd.DataFrame) -> bytes:
    """Return the problem table as CSV bytes for Excel (cells cannot start a formula)."""
    # The exports' own guard (imported here: the export package is heavy, and the importer's
    # command line does not need it otherwise).
    from analytics.export.tables import neutralise

    def safe(value: object) -> object:
        return neutralise(value) if isinstance(value, str) else value

    buffer = io.StringIO()
    problems.map(safe).to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue().encode("utf-8-sig")


# The command line's sub-commands register themselves (analytics.cli loads this package).
from analytics.ingest import commands as _commands  # noqa: E402, F401
