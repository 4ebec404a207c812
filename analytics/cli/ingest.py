"""The importer's sub-commands: ingest, undo-import, imports, accept-round, template, and for a
QA team's own tracker: map (propose a mapping) and mappings (those saved in the store)."""

from __future__ import annotations

import argparse
import math
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from analytics.access import local_operator
from analytics.cli.options import AddCommand
from analytics.config import StoreSetting, resolve_data_dir
from analytics.domain import QUADRANTS
from analytics.errors import ImportRefused
from analytics.lake.location import parse_location, without_password

if TYPE_CHECKING:  # the tracker modules load only when a tracker command runs
    from analytics.ingest.trackers.apply import TrackerImport
    from analytics.ingest.trackers.layout import TrackerRead
    from analytics.ingest.trackers.model import TrackerMapping
    from analytics.ingest.trackers.propose import Proposal


def size_limit(text: str) -> float:
    """Parse --max-mb: a finite number of megabytes above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of megabytes") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a size in megabytes above 0, e.g. 50")
    return value


def csv_path(text: str) -> str:
    """Parse --errors-csv: a file to write, not a folder."""
    if Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder: name a file, e.g. problems.csv")
    return text


def mapping_path(text: str) -> str:
    """Parse map's --out: a file to write, not a folder."""
    if Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder: name a file, e.g. mapping.json")
    return text


def add_parsers(add: AddCommand) -> None:
    from analytics.ingest.reading import DEFAULT_MAX_MB

    ingest = add("ingest", "import audit rounds (an XLSX workbook, or CSV files) all-or-nothing")
    ingest.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="one .xlsx workbook, or cases.csv, responses.csv [rounds.csv] "
        "[questions.csv]: one import",
    )
    ingest.add_argument(
        "--replace", action="store_true", help="replace rounds that are already loaded"
    )
    ingest.add_argument(
        "--max-mb",
        type=size_limit,
        default=DEFAULT_MAX_MB,
        help=f"refuse files larger than this (default {DEFAULT_MAX_MB})",
    )
    ingest.add_argument(
        "--accept-incomplete",
        action="store_true",
        help="accept rounds with under the completeness threshold of standards answered (else "
        "they are held back from the default round, the overview and trends until accept-round)",
    )
    ingest.add_argument(
        "--errors-csv",
        type=csv_path,
        default=None,
        metavar="PATH",
        help="also write every problem of a refused file to this CSV",
    )
    ingest.add_argument(
        "--mapping",
        default=None,
        metavar="PATH|NAME",
        help="a tracker's mapping: a file written by `map`, or a saved mapping's name (without "
        "it, a tracker whose layout is a saved mapping's is imported with that one)",
    )
    ingest.add_argument(
        "--round",
        dest="round_id",
        default=None,
        metavar="ROUND",
        help="the round a tracker's cases belong to (a new id creates the round from the audit "
        "dates); without it, the theme's stored round whose dates hold every audit date, else a "
        "new round named after the first audit's month (YYYY-MM)",
    )
    undo = add("undo-import", "revert one import exactly")
    undo.add_argument("import_id", metavar="ID", help="e.g. imp-0003 (see: imports)")
    add("imports", "list the import history, newest first")
    accept = add("accept-round", "accept an incomplete round held back since its import")
    accept.add_argument("--theme", required=True, metavar="THEME")
    accept.add_argument("--round", required=True, metavar="ROUND", dest="round_id")
    template = add("template", "write the import template workbook (XLSX)")
    template.add_argument("--out", required=True, metavar="PATH")
    template.add_argument("--theme", default=None, help="drop-downs for one theme's questions")
    mapper = add("map", "propose how a QA team's own tracker (XLSX or CSV) maps to the contract")
    mapper.add_argument(
        "files", nargs="+", metavar="FILE", help="the tracker: a workbook, or CSV files (one round)"
    )
    mapper.add_argument("--theme", required=True, metavar="THEME")
    mapper.add_argument("--round", required=True, dest="round_id", metavar="ROUND")
    mapper.add_argument(
        "--out", required=True, type=mapping_path, metavar="MAPPING", help="the mapping to write"
    )
    mapper.add_argument(
        "--name", default=None, help="the tracker's name, e.g. 'NW permanency tracker' "
        "(default: the file's name)"
    )  # fmt: skip
    mapper.add_argument(
        "--quadrant", choices=QUADRANTS, default=None,
        help="the quadrant of every sheet when neither a column nor a sheet's name gives it",
    )  # fmt: skip
    mapper.add_argument(
        "--team", default=None, help="one team for every sheet when no column gives it"
    )
    mapper.add_argument(
        "--max-mb",
        type=size_limit,
        default=DEFAULT_MAX_MB,
        help=f"refuse files larger than this (default {DEFAULT_MAX_MB})",
    )
    listing = add("mappings", "list the tracker mappings saved in the store, or print one")
    listing.add_argument(
        "name", nargs="?", default=None, metavar="NAME", help="print this mapping's file (JSON)"
    )


def format_problems(problems: pd.DataFrame) -> str:
    """Return the problem table as left-aligned text: every row, every word (nothing cut)."""
    cells = [[str(c) for c in problems.columns]]
    cells += [["" if pd.isna(v) else str(v) for v in row] for row in problems.itertuples(False)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def run_ingest(args: argparse.Namespace) -> int:
    """Import files; print a summary, or every problem and exit 2."""
    from analytics.ingest import import_files, problems_csv

    data_dir = resolve_data_dir(args.data_dir)
    tracker = _tracker_for(data_dir, args)  # a tracker's import, None for the template
    if isinstance(tracker, int):
        return tracker
    try:
        result = import_files(
            data_dir, args.files, replace=args.replace, actor=local_operator(), max_mb=args.max_mb,
            accept_incomplete=args.accept_incomplete, tracker=tracker,
        )  # fmt: skip
    except ImportRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        print(format_problems(refused.problems), file=sys.stderr)
        if args.errors_csv:
            try:
                Path(args.errors_csv).write_bytes(problems_csv(refused.problems))
            except OSError as error:
                reason = error.strerror or type(error).__name__
                print(f"error: the problems could not be written to {args.errors_csv}: {reason}",
                      file=sys.stderr)  # fmt: skip
            else:
                print(f"Every problem is also in {args.errors_csv}.", file=sys.stderr)
        return 2
    print(result.message)
    if tracker is not None and tracker.mapping is not None and result.changed:
        print(
            f"The mapping {tracker.mapping.name!r} is saved in the store: next round, a tracker "
            "of the same layout imports without --mapping (see: python -m analytics mappings)."
        )
    ignored = result.preview.ignored_columns
    if ignored and tracker is not None:
        print("Columns ignored (neither mapped nor refused), not imported: " + "; ".join(ignored))
    elif ignored:
        print("Columns not in the template, not imported: " + "; ".join(ignored))
    if result.preview.ignored_sheets:
        print("Sheets and rows not imported: " + "; ".join(result.preview.ignored_sheets))
    if result.changed:
        where = shlex.quote(without_password(parse_location(data_dir).setting))
        print(f"Undo with: python -m analytics undo-import {result.import_id} --data-dir {where}")
    return 0


def run_undo(args: argparse.Namespace) -> int:
    """Revert one import."""
    from analytics.ingest import undo_import

    data_dir = resolve_data_dir(args.data_dir)
    print(undo_import(data_dir, args.import_id, actor=local_operator()).message)
    return 0


def run_accept(args: argparse.Namespace) -> int:
    """Accept one incomplete round."""
    from analytics.ingest import accept_rounds

    data_dir = resolve_data_dir(args.data_dir)
    print(accept_rounds(data_dir, [(args.theme, args.round_id)], actor=local_operator()).message)
    return 0


def run_imports(args: argparse.Namespace) -> int:
    """Print the import history."""
    from analytics.ingest import import_history

    history = import_history(resolve_data_dir(args.data_dir))
    if history.empty:
        print("No imports yet.")
        return 0
    columns = ["import_id", "imported_at", "user", "file_name", "cases", "theme_rounds", "state"]
    print(history[columns].to_string(index=False, max_colwidth=50))
    return 0


def run_template(args: argparse.Namespace) -> int:
    """Write the import template."""
    from analytics.ingest import write_template

    path = write_template(args.out, resolve_data_dir(args.data_dir), args.theme)
    print(f"Wrote the import template to {path}.")
    return 0


# --- a QA team's own tracker ------------------------------------------------------------------


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _indented(frame: pd.DataFrame) -> str:
    return "\n".join("  " + line for line in format_problems(frame).splitlines())


def _files_text(files: list[str]) -> str:
    return " ".join(_quoted(f) for f in files)


def _quoted(text: str) -> str:
    return shlex.quote(text)  # a command the user can paste into a shell


def is_template(files: list[str], max_mb: float) -> bool:
    """Return whether the named files are the import template rather than a tracker."""
    from analytics.ingest.reading import is_template as sources_are_template
    from analytics.ingest.reading import sources_from_paths

    return sources_are_template(sources_from_paths(files, max_mb))


def _read_tracker(files: list[str], max_mb: float) -> TrackerRead | None:
    """Read the files as a tracker; print why and return None when no sheet could be read."""
    from analytics.ingest.reading import sources_from_paths
    from analytics.ingest.trackers.layout import read_trackers

    read = read_trackers(sources_from_paths(files, max_mb), max_mb)
    if read.sheets:
        return read
    names = ", ".join(files)
    if read.problems:
        print(f"error: {names} could not be read as a tracker:", file=sys.stderr)
        print(format_problems(read.problems.frame({})), file=sys.stderr)
    else:
        print(f"error: no sheet with a header row was found in {names}.", file=sys.stderr)
    for ignored in read.ignored_sheets:
        print(f"  sheet ignored: {ignored}", file=sys.stderr)
    return None


def _tracker_for(data_dir: StoreSetting, args: argparse.Namespace) -> TrackerImport | int | None:
    """Return the tracker import the ingest command asks for, None for the template, or an exit
    code after saying why it cannot go ahead."""
    from analytics.ingest import TrackerImport
    from analytics.ingest.trackers.model import MappingRefused
    from analytics.ingest.trackers.saved import (
        SHOWN_HEADERS,
        load_mapping,
        recognise,
        saved_mappings,
    )

    files = _files_text(args.files)
    if args.mapping is not None:
        try:
            mapping = load_mapping(data_dir, args.mapping)
        except MappingRefused as refused:
            print(f"error: the mapping {refused.source} cannot be used:", file=sys.stderr)
            for reason in refused.reasons:
                print(f"  {reason}", file=sys.stderr)
            return 2
        where = "file" if Path(args.mapping).is_file() else "saved in the store"
        print(f"Importing with the mapping {mapping.name!r} ({where}).")
        return TrackerImport(mapping, args.round_id)
    if is_template(args.files, args.max_mb):
        if args.round_id is not None:
            return _error(
                "--round is for a tracker (with --mapping); the template's rounds are given "
                "in its cases sheet. Leave --round out."
            )
        return None
    read = _read_tracker(args.files, args.max_mb)
    if read is None:
        return 2
    recognition = recognise(read, saved_mappings(data_dir))
    known = recognition.mapping
    if recognition.exact and known is not None:
        print(f"Recognised the layout of the saved mapping {known.name!r}: importing with it.")
        return TrackerImport(known, args.round_id, recognition.layouts)
    theme = known.theme_id if known is not None else "THEME"
    map_it = (
        f"python -m analytics map {files} --theme {theme} --round {args.round_id or 'ROUND'} "
        "--out mapping.json"
    )
    if known is None:
        return _error(
            f"{', '.join(args.files)} is not the import template (no cases or responses sheet) "
            "and no saved mapping fits its layout: it is a tracker. Map it first:\n"
            f"  {map_it}\n"
            "then check mapping.json and import with:\n"
            f"  python -m analytics ingest {files} --mapping mapping.json --round "
            f"{args.round_id or 'ROUND'}"
        )
    print(f"error: {recognition.message}", file=sys.stderr)
    for row in recognition.differences.itertuples(index=False):  # what the sentence cut short
        longest = max(len(row.added.split("; ")), len(row.removed.split("; ")))
        if row.layout is not None and longest > SHOWN_HEADERS:
            print(f"  {row.sheet}: added: {row.added or 'none'}", file=sys.stderr)
            print(f"  {row.sheet}: removed: {row.removed or 'none'}", file=sys.stderr)
    names = [known.name, *recognition.tied]
    use = " or ".join(f"--mapping {_quoted(n)}" for n in names)
    print(
        "To go ahead, either map it again and import with the new mapping:\n"
        f"  {map_it}\n"
        f"  python -m analytics ingest {files} --mapping mapping.json --round "
        f"{args.round_id or 'ROUND'}\n"
        f"or import with a saved mapping as it is ({use} --round {args.round_id or 'ROUND'}): "
        "added columns are then ignored, and a removed column the mapping uses is a problem.",
        file=sys.stderr,
    )
    return 2


def theme_questions(data_dir: StoreSetting, theme: str) -> pd.DataFrame:
    """Return a theme's questions (question_id, text): the store's, or the seed catalogue's when
    there is no store yet; an unknown theme raises an error listing the known ones."""
    from analytics import queries
    from analytics.catalogue import catalogue_table
    from analytics.errors import AuditDataError, UnknownValueError
    from analytics.ingest import is_store
    from analytics.store import Store

    if is_store(data_dir):
        store = Store(data_dir)
        try:
            queries.check_theme(store, theme)
            texts = queries.questions(store, theme)
        finally:
            store.close()
    else:
        known = catalogue_table("themes")["theme_id"].tolist()
        if theme not in known:
            raise UnknownValueError("theme", theme, known)
        frame = catalogue_table("questions")
        frame = frame[frame["theme_id"] == theme].sort_values("question_id")
        texts = dict(zip(frame["question_id"], frame["text"], strict=True))
    if not texts:
        raise AuditDataError(
            f"The theme {theme!r} has no questions yet: import its questions with the template "
            "(a questions sheet) before mapping a tracker to it."
        )
    return pd.DataFrame({"question_id": list(texts), "text": list(texts.values())})


def _round_note(data_dir: StoreSetting, theme: str, round_id: str) -> str:
    """Return what importing into the round will do: create it, or fill a stored one."""
    from analytics import queries
    from analytics.ingest import is_store
    from analytics.store import Store

    rounds = pd.DataFrame()
    if is_store(data_dir):
        store = Store(data_dir)
        try:
            rounds = queries.store_contents(store)
        finally:
            store.close()
    row = (
        rounds[(rounds["theme_id"] == theme) & (rounds["round_id"] == round_id)]
        if len(rounds)
        else rounds
    )
    if row.empty:
        return f"Round {round_id}: a new round of {theme}, created from the audit dates on import."
    if row["cases"].iloc[0] > 0:
        return (
            f"Round {round_id}: stored with {row['cases'].iloc[0]} cases; importing into it "
            "replaces them only with --replace (import every quadrant's tracker of the round "
            "together)."
        )
    start, end = row["start_date"].iloc[0], row["end_date"].iloc[0]
    if pd.isna(start) or pd.isna(end):
        return f"Round {round_id}: stored (no dates recorded)."
    return (
        f"Round {round_id}: planned, {start:%Y-%m-%d} to {end:%Y-%m-%d} (an audit date outside "
        "it is a problem on import)."
    )


def _default_name(files: list[str]) -> str:
    stem = Path(files[0]).stem.replace("_", " ").strip() or "tracker"
    return stem if len(files) == 1 else f"{stem} and others"


NOT_MAPPED = ("ignored", "refused", "unmatched")


def _score(value: Any) -> str:  # a Float64 cell: a number, or None / NA
    return "" if value is None or pd.isna(value) else f"{float(value):.0f}"


def _runner_up(row: pd.Series) -> str:
    if row.get("runner_up") is None or pd.isna(row.get("runner_up")):
        return ""
    return f"{row['runner_up']} ({_score(row.get('runner_up_score'))})"


def describe_proposal(
    read: TrackerRead, proposal: Proposal, mapping: TrackerMapping, out: str
) -> list[str]:
    """Return what `map` prints: what was mapped (with scores), what was not, the words seen."""
    from analytics.ingest.trackers.propose import STANDARD_MATCH_MARGIN, STANDARD_MATCH_MIN

    lines = [f"Wrote the mapping {mapping.name!r} (theme {mapping.theme_id}) to {out}."]
    lines.append("Sheets read:")
    layouts = {layout.source: layout for layout in mapping.layouts}
    for sheet in read.sheets:
        rows = ", ".join(str(r) for r in sheet.header_rows)
        layout = layouts.get(sheet.label)
        settings = ""
        if layout is not None:
            quadrant = (
                f"column {layout.fields['quadrant']!r}" if "quadrant" in layout.fields
                else layout.quadrant or "none found"
            )  # fmt: skip
            team = (
                f"column {layout.fields['team']!r}" if "team" in layout.fields
                else layout.team or "none"
            )  # fmt: skip
            settings = f"; quadrant: {quadrant}; team: {team}"
        lines.append(
            f"  {sheet.label}: {len(sheet.columns)} columns, {len(sheet.body)} rows below the "
            f"header (row {rows}){settings}"
        )
    columns = proposal.columns
    mapped = columns[~columns["maps_to"].isin(NOT_MAPPED)]
    shown = pd.DataFrame(
        {
            "sheet": mapped["sheet"],
            "column": mapped["column"],
            "header": mapped["header"],
            "maps to": mapped["maps_to"],
            "score": mapped["score"].map(_score),
            "runner-up": [_runner_up(r) for _, r in mapped.iterrows()],
        }
    )
    lines.append(f"Mapped ({len(mapped)} columns):")
    lines.append(_indented(shown) if len(shown) else "  none")
    rule = f"no standard scored {STANDARD_MATCH_MIN} or more with a lead of {STANDARD_MATCH_MARGIN}"
    sections = (
        ("unmatched", f"Not mapped ({rule}: add them to the mapping's standards by hand if they "
                      "are standards)"),
        ("refused", "Refused (never imported; each says why and what to do)"),
        ("ignored", "Ignored (not imported)"),
    )  # fmt: skip
    for kind, title in sections:
        rows = columns[columns["maps_to"] == kind]
        if rows.empty:
            continue
        table = pd.DataFrame(
            {
                "sheet": rows["sheet"],
                "column": rows["column"],
                "header": rows["header"],
                **(
                    {
                        "best": rows["score"].map(_score),
                        "runner-up": [_runner_up(r) for _, r in rows.iterrows()],
                    }
                    if kind == "unmatched"
                    else {}
                ),
                "why": rows["why"].fillna(""),
            }
        )
        lines.append(f"{title} ({len(rows)}):")
        lines.append(_indented(table))
    if proposal.ignored_sheets:
        lines.append("Sheets ignored (not imported): " + "; ".join(proposal.ignored_sheets))
    words = proposal.words
    if len(words):
        table = words.assign(
            means=words["means"].fillna("(no meaning: say what it means in the mapping)"),
            **{"from": words["from"].fillna("")},
        )
        lines.append("Words seen (each word's meaning; edit the mapping to change one):")
        lines.append(_indented(table))
    if len(proposal.problems):
        lines.append("To settle before importing (edit the mapping, or the tracker):")
        lines.append(_indented(proposal.problems))
    if read.problems:
        lines.append("Problems met reading the files:")
        lines.append(_indented(read.problems.frame({})))
    return lines


def run_map(args: argparse.Namespace) -> int:
    """Propose a tracker's mapping, write it, and print what it mapped and what it could not."""
    import re

    from analytics.ingest.spec import ID_PATTERN
    from analytics.ingest.trackers.model import MappingRefused
    from analytics.ingest.trackers.saved import mapping_bytes, read_saved, recognise, slug

    data_dir = resolve_data_dir(args.data_dir)
    if not re.match(ID_PATTERN, args.round_id):
        return _error(
            f"--round {args.round_id!r} is not a round id: letters, digits, '.', '_' and '-', "
            "up to 64, e.g. 2021-04-final."
        )
    name = " ".join((args.name or _default_name(args.files)).split())
    if not name or len(name) > 300:
        return _error("--name must be 1 to 300 characters, e.g. 'NW permanency tracker'.")
    out = Path(args.out)
    if out.resolve() in {Path(f).resolve() for f in args.files}:
        return _error(
            f"--out {out} is one of the tracker's files: name a new file for the mapping."
        )
    questions = theme_questions(data_dir, args.theme)  # unknown theme: exit 2 with the known ones
    read = _read_tracker(args.files, args.max_mb)
    if read is None:
        return 2
    from analytics.ingest.trackers.propose import propose  # after the cheap checks above

    proposal = propose(read, questions, args.theme, name, quadrant=args.quadrant, team=args.team)
    # None only for a tracker with no sheet read, which _read_tracker refused above.
    assert proposal.mapping is not None
    try:
        data = mapping_bytes(proposal.mapping)
    except MappingRefused as refused:
        return _error(str(refused))
    out.write_bytes(data)
    lines = describe_proposal(read, proposal, proposal.mapping, str(out))
    saved = read_saved(data_dir)
    known = recognise(read, saved.mappings)
    if known.exact and known.mapping is not None:
        lines.append(
            f"This layout is that of the saved mapping {known.mapping.name!r}: importing with "
            f"--mapping {_quoted(known.mapping.name)} (or with no --mapping) uses it as saved."
        )
    same = [m.name for m in saved.mappings if slug(m.name) == slug(name)]  # the same file
    if same:
        lines.append(
            f"A mapping called {same[0]!r} is already saved in the store: importing with this "
            "one replaces it (or choose another --name)."
        )
    lines.append(_round_note(data_dir, args.theme, args.round_id))
    lines.append(
        "Check the mapping (a JSON file: edit it to change a match or a word), then import with:\n"
        f"  python -m analytics ingest {_files_text(args.files)} --mapping {_quoted(str(out))} "
        f"--round {args.round_id}"
    )
    print("\n".join(lines))
    return 0


def run_mappings(args: argparse.Namespace) -> int:
    """List the saved tracker mappings, or print one's file."""
    from analytics.ingest.trackers.saved import find_saved, read_saved

    data_dir = resolve_data_dir(args.data_dir)
    if args.name is not None:
        sys.stdout.write(find_saved(data_dir, args.name).to_json())
        return 0
    saved = read_saved(data_dir)
    if saved.mappings:
        table = pd.DataFrame(
            {
                "name": [m.name for m in saved.mappings],
                "theme": [m.theme_id for m in saved.mappings],
                "sheets": [
                    ", ".join(layout.source for layout in m.layouts) for m in saved.mappings
                ],
                "slug": saved.slugs,
            }
        )
        print(format_problems(table))
    else:
        print(
            f"No tracker mappings saved in {data_dir} yet (importing a tracker saves its mapping)."
        )
    for damaged in saved.damaged:
        print(f"warning: a saved mapping cannot be read: {damaged}", file=sys.stderr)
    return 0


COMMANDS = {
    "ingest": run_ingest,
    "undo-import": run_undo,
    "accept-round": run_accept,
    "imports": run_imports,
    "template": run_template,
    "map": run_map,
    "mappings": run_mappings,
}
