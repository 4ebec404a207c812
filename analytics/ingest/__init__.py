"""Import real audit rounds: check a workbook or CSV files, load them all-or-nothing, keep history.

    preview(store, files)           what an import would load, or every problem (writes nothing),
                                    and how completely it answers each round's standards
    import_files(store, files)      load it as one transaction, or raise ImportRefused with every
                                    problem (either with tracker=TrackerImport(mapping, round_id):
                                    a QA team's own tracker, translated by its mapping, which is
                                    saved in the store with the import: analytics.ingest.trackers)
    undo_import(store, id)          revert one import exactly
    accept_rounds(store, rounds)    accept incomplete rounds, held back until then (completeness)
    import_history(store)           the imports, newest first, with what can be undone
    template_workbook(store)        the XLSX template, drop-down lists from the store's catalogue

`store` is a store folder or a PostgreSQL catalog setting (analytics.lake.location). An import
is one DuckLake transaction (analytics.lake.catalog.Lake.write): it is checked against the very
snapshot it starts from, and its rows, roll-ups, history record, manifest, saved mapping and
audit-trail event commit together as one snapshot, or nothing does. A folder without a store
becomes one, holding the seed catalogue, with its first import.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from analytics import audit_trail, queries
from analytics.access import Actor, Permission
from analytics.catalogue import CATALOGUE_TABLES, catalogue_table
from analytics.domain import QUADRANTS, ROUND_STATUSES_WITH_DATA
from analytics.errors import ImportRefused
from analytics.formulas import neutralise
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
from analytics.ingest.trackers.vocabulary import WORD_COLUMNS
from analytics.ingest.validate import Checked, check
from analytics.ingest.writing import (
    Progress,
    append_history,
    apply_import,
    base_store,
    check_target,
    history_row,
    is_intact,
    next_import_id,
    read_history,
    refresh_manifest,
    step,
    store_errors,
    write_manifest,
)
from analytics.lake.catalog import Lake, Writer
from analytics.lake.location import StoreLocation, parse_location
from analytics.lake.location import is_store as _location_is_store
from analytics.store import Store, write_new_store

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
        return bool(self.problems.empty)

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


Location = StoreLocation | str | os.PathLike[str]


def is_store(location: Location) -> bool:
    """Return whether the location holds an audit store (a folder: its catalog file)."""
    return _location_is_store(parse_location(location))


@contextlib.contextmanager
def _catalogue_only() -> Iterator[Store]:
    """Yield a throw-away store holding the seed catalogue only: what a new store starts as."""
    with tempfile.TemporaryDirectory(prefix="audit-catalogue-") as folder:
        base = Path(folder) / "store"
        write_new_store(base, catalogue_chunks, _new_store_manifest(), message="seed catalogue")
        with Store(base) as store:
            yield store


@contextlib.contextmanager
def _readable_base(where: StoreLocation) -> Iterator[Store]:
    """Yield the store to check against: its newest snapshot, or a catalogue-only one if there
    is no store yet."""
    if not _location_is_store(where):
        with _catalogue_only() as store:
            yield store
        return
    with Store(where) as store:
        yield store


def _identical(history: pd.DataFrame, sha256: str) -> str | None:
    same = history[(history["sha256"] == sha256) & (history["status"] == "active")]
    for _, record in same.iterrows():
        if is_intact(history, record):
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
    base: Store, read: TrackerRead, round_id: str | None
) -> tuple[TrackerImport | None, str]:
    """Return the saved mapping that fits a tracker exactly (and what was recognised), or None.

    With no round_id, the round comes from the audit dates (apply_mapping)."""
    recognition = saved_mappings.recognise(read, saved_mappings.saved_mappings(base))
    if recognition.mapping is None or not recognition.exact:
        return None, recognition.message if recognition.mapping is not None else ""
    tracker = TrackerImport(recognition.mapping, round_id, dict(recognition.layouts))
    return tracker, recognition.message + " It is used as saved."


def _pending(
    base: Store, sources: list[Source], tracker: TrackerImport | None, max_mb: float
) -> _Pending:
    """Read the files: as the template, or as a tracker with its mapping (given or saved)."""
    if tracker is None and is_template(sources):
        return _Pending(read_sources(sources, max_mb))
    tracker_read = read_trackers(sources, max_mb)
    names = ", ".join(s.name for s in sources)
    note = None
    if tracker is None or tracker.mapping is None:
        round_id = tracker.round_id if tracker is not None else None
        tracker, note = _tracker_for(base, tracker_read, round_id)
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
    mapping = tracker.mapping
    assert mapping is not None  # given, or the saved mapping recognised above

    def translate(state: StoreState) -> ReadResult:
        return apply_mapping(tracker_read, mapping, chosen.round_id, state, chosen.layouts)

    identity = ReadResult(
        names, import_identity(tracker_read.sha256, mapping, tracker.round_id), {},
        Problems(),
    )  # fmt: skip
    return _Pending(identity, translate, tracker, note)


def _evaluate(store: Store, pending: _Pending, replace: bool, progress: Progress | None) -> Preview:
    """Check a read import against one snapshot of the store; return its preview."""
    read = pending.read
    state = None
    if pending.tracker is not None and pending.tracker.round_id is None:
        # The round comes from the audit dates: translate first, so that the identity names
        # the round found (importing again, with or without --round, changes nothing).
        state = store_state(store)
        assert pending.translate is not None  # a tracker's pending import has one (_pending)
        read = pending.translate(state)
    already = _identical(read_history(store), read.sha256) if read.sha256 else None
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
    location: Location,
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
    where = parse_location(location)
    check_target(where)
    step(progress, 0.05, "Reading the file")
    sources = _sources(files, max_mb)
    with store_errors(where.shown(), "The file was not checked"), _readable_base(where) as base:
        pending = _pending(base, sources, tracker, max_mb)
        result = _evaluate(base, pending, replace, progress)
    step(progress, 1.0, "Checked")
    return result


def import_files(
    location: Location,
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
    its mapping is saved in the store in the same transaction (analytics.ingest.trackers.saved).

    Only an actor with the import permission may (AccessRefused otherwise, recorded in the audit
    trail). An identical file that is already imported (and not since replaced or undone) changes
    nothing (but `accept_incomplete` still accepts its held-back rounds). Rounds that already hold
    cases are replaced only with `replace=True`. A round under the completeness threshold is
    loaded but held back until accepted: `accept_incomplete=True` accepts it now, recorded.
    """
    where = parse_location(location)
    check_target(where)  # a file or a folder of other things is never made a store
    with store_errors(where.shown(), "Nothing was imported"):
        names = ", ".join(_file_names(files))
        audit_trail.require_recorded(
            where, Permission.IMPORT, audit_trail.Event(actor, "import", names)
        )
        step(progress, 0.05, "Reading the file")
        sources = _sources(files, max_mb)
        existed = _location_is_store(where)
        with contextlib.ExitStack() as stack:
            seed = None if existed else stack.enter_context(_catalogue_only())
            if seed is not None:
                pending = _pending(seed, sources, tracker, max_mb)
                # A first import: a refused file must not leave a new, empty store behind.
                first = _evaluate(seed, pending, replace, None)
                if not first.ok:
                    raise ImportRefused(pending.read.file_name, first.problems)
            lake = stack.enter_context(contextlib.closing(Lake(where, create=True)))
            if existed:
                with Store(where, lake=lake) as base:
                    pending = _pending(base, sources, tracker, max_mb)
            step(progress, 0.25, "Checking the file against the store")
            result = _import_into(lake, pending, seed, replace, actor, progress, accept_incomplete)
    step(progress, 1.0, "Imported")
    return result


ACCEPTED_ON_IMPORT = "accepted on import"


class _Unchanged(Exception):
    """An identical file is already imported: the transaction ends without a snapshot."""

    def __init__(self, result: ImportResult):
        super().__init__(result.message)
        self.result = result


def _import_into(
    lake: Lake,
    pending: _Pending,
    seed: Store | None,
    replace: bool,
    actor: Actor,
    progress: Progress | None,
    accept_incomplete: bool = False,
) -> ImportResult:
    """Check the import against the snapshot its transaction starts from and write it, all in
    one transaction (run again from the start if another writer commits first). `seed`: the
    catalogue-only store a new store's first import was checked against, if open."""
    read = pending.read

    def change(writer: Writer) -> ImportResult:
        new_store = writer.read("store_manifest").empty
        if new_store:  # the first import makes the store: the seed catalogue, then its rows
            for name, frame in catalogue_chunks():
                writer.append(name, frame)
            write_manifest(writer, _new_store_manifest())
        with _checked_against(lake, writer, new_store, seed) as base:
            checked = _evaluate(base, pending, replace, progress)
        if checked.already_imported:
            return _already_imported(writer, lake, checked, actor, accept_incomplete)
        if not checked.ok or checked.checked is None:
            raise ImportRefused(read.file_name, checked.problems)
        writer.checkpoint("import:validated")
        step(progress, 0.6, "Writing the new rounds")
        history = read_history(writer)
        import_id = next_import_id(history)
        changed, replaced = apply_import(writer, checked.checked, history)
        held = checked.incomplete if accept_incomplete else None
        completeness.write_completeness(
            writer, checked.completeness, import_id, held, actor, ACCEPTED_ON_IMPORT
        )
        writer.checkpoint("import:rows-written")
        row = history_row(
            import_id,
            read.file_name,
            checked.sha256,  # a tracker's names the round found from its dates
            checked.checked,
            actor.user,
            writer.base_snapshot,
            changed,
            replaced,
        )
        append_history(writer, row)
        refresh_manifest(writer)
        if pending.tracker is not None:  # the mapping confirmed is saved with its import
            assert pending.tracker.mapping is not None  # _pending gives a tracker its mapping
            saved_mappings.write_into(writer, pending.tracker.mapping, actor)
        audit_trail.append_event(
            writer, audit_trail.Event(actor, "import", read.file_name, detail=import_id)
        )
        step(progress, 0.9, "Committing the import")
        writer.checkpoint("import:before-commit")
        return ImportResult(
            import_id, True, checked, _summary(import_id, checked, accept_incomplete)
        )

    try:
        result, _ = lake.write(
            change,
            author=actor.user,
            message=lambda done: f"import {done.import_id} ({read.file_name})",
        )
    except _Unchanged as unchanged:
        return unchanged.result
    return result


def _checked_against(
    lake: Lake, writer: Writer, new_store: bool, seed: Store | None
) -> contextlib.AbstractContextManager[Store]:
    """Return the store a transaction checks its import against: the snapshot it starts from,
    or for a store not made yet, the seed catalogue alone."""
    if not new_store:
        return base_store(lake, writer)
    return contextlib.nullcontext(seed) if seed is not None else _catalogue_only()


def _already_imported(
    writer: Writer, lake: Lake, checked: Preview, actor: Actor, accept_incomplete: bool
) -> ImportResult:
    """An identical file is active already: accept its held-back rounds if asked (committed),
    else raise _Unchanged (nothing is)."""
    import_id = str(checked.already_imported)
    message = (
        f"{checked.file_name} is already imported as {import_id} (an identical file): "
        "nothing changed."
    )
    if accept_incomplete:
        accepted = _accept_held_of(writer, lake, import_id, actor)
        if accepted.message:
            message += " " + accepted.message
        if accepted.accepted:
            return ImportResult(import_id, True, checked, message)
    raise _Unchanged(ImportResult(import_id, False, checked, message))


def _accept_held_of(
    writer: Writer, lake: Lake, import_id: str, actor: Actor
) -> completeness.AcceptResult:
    """Accept the held-back rounds an already active import loaded, in the writer's
    transaction."""
    with base_store(lake, writer) as store:
        held = queries.held_rounds(store)
    held = held[held["import_id"] == import_id]
    pairs = list(zip(held["theme_id"], held["round_id"], strict=True))
    if not pairs:
        return completeness.AcceptResult([], "")
    return completeness.accept_in(writer, lake, pairs, actor, ACCEPTED_ON_IMPORT, quiet=True)


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

    def safe(value: object) -> object:
        return neutralise(value) if isinstance(value, str) else value

    buffer = io.StringIO()
    problems.map(safe).to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue().encode("utf-8-sig")
