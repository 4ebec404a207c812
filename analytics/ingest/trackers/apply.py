"""Translating a tracker into the template's two tables with its confirmed mapping.

A tracker (one row per case, one column per standard) becomes the `cases` and `responses`
sheets of an `analytics.ingest.reading.ReadResult`, cells as text with the template's column
names and `_row` the tracker's own Excel row, so the template's validator and writer do the rest
(all-or-nothing, duplicates, completeness, history, undo). Before that, every problem only a
tracker can have is reported at once, naming the tracker's sheet, row and column header: a word
with no meaning, a date that is impossible, ambiguous or outside the round, a row with no
quadrant, a field with no column, a mapped header not in the sheet, a personal-data column.

Identity. A tracker has no audit ids: a case's audit_id is
    "trk-" + the first 16 hex digits of sha256(f"{theme_id}\\n{round_id}\\n{case_ref}")
(audit_id_for), so the same case of the same round always gets the same id, and a round loaded
through the template with those ids is the same round. The import's identity is the hash of the
files' hash, the mapping's digest and the round (import_identity): the same tracker imported
again with the same mapping and round is "already imported" and changes nothing.

The translation is vectorised: the standard columns of a sheet are taken as one block, and each
distinct word or date is looked up once, never once per cell.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.ingest.problems import ROW, Problems, Sheet
from analytics.ingest.reading import ReadResult
from analytics.ingest.spec import ID_PATTERN, SHEETS
from analytics.ingest.state import StoreState
from analytics.ingest.trackers import vocabulary
from analytics.ingest.trackers.layout import TrackerRead, TrackerSheet
from analytics.ingest.trackers.model import Field_, SheetLayout, TrackerMapping
from analytics.ingest.trackers.refusals import AUDITOR_NAMES_FIX, refusal
from analytics.ingest.trackers.saved import header_key

AUDIT_ID_PREFIX = "trk-"
AUDIT_ID_HEX = 16
CASE_COLUMNS: tuple[str, ...] = tuple(c.name for c in SHEETS["cases"])
RESPONSE_COLUMNS: tuple[str, ...] = tuple(c.name for c in SHEETS["responses"])
SAMPLE_ROWS = 10
# The mapping's word lists, by the kind of word (vocabulary.meaning's kinds).
WORD_KINDS: dict[str, str] = {
    "answers": "answer",
    "grades": "grade",
    "genders": "gender",
    "quadrants": "quadrant",
}
FROM_DATES = "(the round holding the audit dates)"
THEME_LABEL = "theme (from the mapping)"
ROUND_LABEL = "round (given for the import)"
MAP_IT = "python -m analytics map FILE… --theme T --round R --out MAPPING, or the Data page"


@dataclass(frozen=True)
class TrackerImport:
    """A tracker to import: its confirmed mapping and the round its cases belong to.

    With no round_id, the round is the theme's stored round whose dates hold every audit date
    (the latest such), else a new round named after the first audit's month (YYYY-MM). With no
    mapping, the saved mapping whose layouts the tracker's sheets match exactly is used
    (analytics.ingest.preview / import_files; refused if none does).
    `layouts` (sheet label -> layout source) pairs a sheet with a layout whose name differs,
    as recognition found them (analytics.ingest.trackers.saved.Recognition.layouts).
    """

    mapping: TrackerMapping | None
    round_id: str | None
    layouts: Mapping[str, str] = field(default_factory=dict)


@dataclass
class TrackerResult(ReadResult):
    """A translated tracker: the template's sheets, and what was not imported, and its words."""

    round_id: str = ""  # the round the cases were given (or found from their dates)
    ignored_columns: list[str] = field(default_factory=list)  # "<sheet>: <header>"
    ignored_sheets: list[str] = field(default_factory=list)  # "<sheet> (why)"
    words: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(vocabulary.WORD_COLUMNS))
    )

    def sample(self, rows: int = SAMPLE_ROWS) -> dict[str, pd.DataFrame]:
        """Return the first rows of cases and responses as they will be stored, with where from."""
        out = {}
        for table in ("cases", "responses"):
            sheet = self.sheets.get(table)
            if sheet is None:
                out[table] = pd.DataFrame(columns=["sheet", "row"])
                continue
            head = sheet.frame.head(rows)
            where = pd.DataFrame(
                {
                    "sheet": (
                        sheet.label
                        if sheet.row_labels is None
                        else sheet.row_labels.head(rows).to_numpy()
                    ),
                    "row": head[ROW].to_numpy(),
                },
                index=head.index,
            )
            out[table] = pd.concat([where, head.drop(columns=ROW)], axis=1).reset_index(drop=True)
        return out


def audit_id_for(theme_id: str, round_id: str, case_ref: str) -> str:
    """Return a tracker case's audit_id: "trk-" + sha256(theme \\n round \\n case_ref)[:16]."""
    digest = hashlib.sha256(f"{theme_id}\n{round_id}\n{case_ref}".encode()).hexdigest()
    return AUDIT_ID_PREFIX + digest[:AUDIT_ID_HEX]


def import_identity(files_sha256: str, mapping: TrackerMapping, round_id: str | None) -> str:
    """Return a tracker import's identity: the files' hash, the mapping's digest and the round."""
    round_id = FROM_DATES if round_id is None else round_id
    return hashlib.sha256(f"{files_sha256}\n{mapping.digest}\n{round_id}".encode()).hexdigest()


# --- dates -----------------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
# A time after the date (as ISO's) is dropped: Excel's CSV export writes "05/11/2020 00:00".
_DAY_FIRST = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d+)(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?$")
DATE_FORMS = "YYYY-MM-DD, or day/month/year as 05/11/2020, 05-11-2020 or 05.11.2020"


def parse_date(text: str) -> tuple[str | None, str | None]:
    """Return (the date as YYYY-MM-DD, None) or (None, why it is not taken); never a guess.

    ISO dates and real Excel dates (the reader gives them as YYYY-MM-DD) are taken as they are;
    d/m/yyyy, d-m-yyyy and d.m.yyyy are day first (05/11/2020 is 5 November 2020). A two-digit
    year, a month over 12 (11/25/2020 looks month-first) or a day that does not exist is refused.
    """
    iso = _ISO.match(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    else:
        uk = _DAY_FIRST.match(text)
        if not uk:
            return None, f"not a date: write it as {DATE_FORMS}"
        day, month, year_text = int(uk.group(1)), int(uk.group(3)), uk.group(4)
        if len(year_text) != 4:
            if len(year_text) == 2:
                return None, "the year has two digits: the century is never guessed"
            return None, f"not a date: write it as {DATE_FORMS}"
        year = int(year_text)
        if month > 12 and day <= 12:
            return None, (
                f"month {month} does not exist: the date looks month-first (US); dates are read "
                "day first, and never guessed"
            )
    try:
        return dt.date(year, month, day).isoformat(), None
    except ValueError:
        return None, "not a real calendar date (no such day in that month)"


DATE_FIX = (
    "Type the date day first with a four-digit year (e.g. 05/11/2020 for 5 November 2020) or as "
    "YYYY-MM-DD, or format the cell as a date."
)


# --- the translation -------------------------------------------------------------------------


@dataclass
class _Part:
    """One tracker sheet translated: its cases and responses, with the labels problems use."""

    label: str
    cases: pd.DataFrame
    case_labels: dict[str, str]  # column -> the tracker's header
    case_reported: dict[str, np.ndarray]
    responses: pd.DataFrame
    response_labels: dict[str, np.ndarray]  # column -> header per response row
    response_reported: dict[str, np.ndarray]
    raw_words: dict[str, list[pd.Series]]  # kind -> the cells seen


def apply_mapping(
    read: TrackerRead,
    mapping: TrackerMapping,
    round_id: str | None,
    state: StoreState,
    layouts: Mapping[str, str] | None = None,
) -> TrackerResult:
    """Return the tracker as the template's cases and responses sheets, with every problem.

    `layouts` pairs sheet labels with layout sources whose names differ (recognition's); a
    round_id of None takes the round from the audit dates (TrackerImport).
    """
    problems = Problems()
    problems.extend(read.problems)
    files = list(dict.fromkeys(s.file_name for s in read.sheets))
    result = TrackerResult(
        ", ".join(files) or "(no file)",
        import_identity(read.sha256, mapping, round_id),
        {},
        problems,
        supplied={"cases", "responses"},  # the tracker's own problems say what is missing
        ignored_sheets=list(read.ignored_sheets),
    )
    theme_id = mapping.theme_id
    pairs = pair_layouts(read.sheets, mapping, layouts or {})
    if round_id is None:
        round_id = _round_from_dates(read.sheets, pairs, mapping, state, problems)
        # The round found is the import's round: the same as giving it (one identity).
        result.sha256 = import_identity(read.sha256, mapping, round_id)
    result.round_id = round_id
    wrong_ids = _check_import_ids(mapping, round_id, state, problems)
    known_questions = set(
        state.questions.loc[state.questions["theme_id"] == theme_id, "question_id"]
    )
    stored = state.rounds[
        (state.rounds["theme_id"] == theme_id) & (state.rounds["round_id"] == round_id)
    ]
    # A round set up ahead (dates, no cases yet) holds the audit dates; a round made from an
    # earlier import's audit dates does not bound a replacement with every quadrant's tracker.
    loaded = state.loaded
    holds_cases = bool(((loaded["theme_id"] == theme_id) & (loaded["round_id"] == round_id)).any())
    bounds = None
    if (
        len(stored)
        and not holds_cases
        and stored["start_date"].notna().all()
        and stored["end_date"].notna().all()
    ):
        bounds = (stored["start_date"].iloc[0], stored["end_date"].iloc[0])
    parts: list[_Part] = []
    for sheet in read.sheets:
        layout = pairs.get(id(sheet))
        if layout is None:
            result.ignored_sheets.append(f"{sheet.label} (no layout in the mapping)")
            continue
        part = _translate(
            sheet, layout, mapping, round_id, known_questions, bounds, problems, result
        )
        if part is not None:
            parts.append(part)
    if not pairs and read.sheets:
        sources = ", ".join(repr(layout.source) for layout in mapping.layouts)
        found = ", ".join(repr(s.label) for s in read.sheets)
        problems.add_one(
            ", ".join(files),
            None,
            None,
            None,
            f"no sheet matches a layout of the mapping {mapping.name!r} (layouts {sources}; "
            f"sheets found {found})",
            f"Choose the mapping made for this tracker, or map it again ({MAP_IT}).",
        )
    _combine(parts, result, problems)
    cases = result.sheets["cases"]
    for name in wrong_ids:  # reported once above, not once per case
        cases.reported[name] = np.ones(len(cases.frame), dtype=bool)
    result.words = _words(parts, mapping)
    return result


def _round_from_dates(
    sheets: Sequence[TrackerSheet],
    pairs: Mapping[int, SheetLayout],
    mapping: TrackerMapping,
    state: StoreState,
    problems: Problems,
) -> str:
    """Return the stored round of the theme holding every audit date (the latest), else the
    first audit's month as a new round's id."""
    dates: list[str] = []
    for sheet in sheets:
        layout = pairs.get(id(sheet))
        header = layout.fields.get("audit_date") if layout else None
        number = next(
            (
                c.number
                for c in sheet.columns
                if header and header_key(c.header) == header_key(header)
            ),
            None,
        )
        if number is None or number not in sheet.body:
            continue
        dates += [d for d in map(lambda u: parse_date(str(u))[0], sheet.body[number].dropna()
                                 .unique()) if d]  # fmt: skip
    if not dates:
        problems.add_one(
            "(round)",
            None,
            ROUND_LABEL,
            None,
            "no audit date to find the round from",
            "Give the round (--round, or the round box on the Data page).",
        )
        return "unknown-round"
    first, last = dt.date.fromisoformat(min(dates)), dt.date.fromisoformat(max(dates))
    rounds = state.rounds[state.rounds["theme_id"] == mapping.theme_id]
    rounds = rounds.dropna(subset=["start_date", "end_date"])
    holding = rounds[(rounds["start_date"] <= first) & (rounds["end_date"] >= last)]
    if len(holding):
        return str(holding.sort_values("start_date")["round_id"].iloc[-1])
    return f"{first:%Y-%m}"


def _check_import_ids(
    mapping: TrackerMapping, round_id: str, state: StoreState, problems: Problems
) -> list[str]:
    """Report a round id or theme that cannot be used, once; return the columns reported."""
    wrong = []
    if not re.fullmatch(ID_PATTERN, round_id or ""):
        problems.add_one(
            "(round)",
            None,
            ROUND_LABEL,
            round_id,
            "a round id must be 1-64 letters, digits, dots, dashes or underscores (no spaces)",
            "Give the round an id such as 2021-03.",
        )
        wrong.append("round_id")
    if mapping.theme_id not in set(state.themes["theme_id"]):
        listed = ", ".join(state.themes["theme_id"])
        problems.add_one(
            "(mapping)",
            None,
            THEME_LABEL,
            mapping.theme_id,
            "the mapping's theme is not in the store",
            f"Set the mapping's theme_id to one of: {listed}.",
        )
        wrong.append("theme_id")
    return wrong


def pair_layouts(
    sheets: Sequence[TrackerSheet], mapping: TrackerMapping, given: Mapping[str, str]
) -> dict[int, SheetLayout]:
    """Return each sheet's layout: as given, else by name, else by identical headers."""
    by_source = {layout.source: layout for layout in mapping.layouts}
    by_folded = {layout.source.casefold(): layout for layout in mapping.layouts}
    by_headers: dict[tuple[str, ...], SheetLayout] = {}
    for known in mapping.layouts:
        by_headers.setdefault(tuple(sorted(header_key(h) for h in known.headers)), known)
    out: dict[int, SheetLayout] = {}
    for sheet in sheets:
        names = [n for n in (sheet.label, sheet.sheet_name, sheet.file_name) if n]
        layout = by_source.get(given.get(sheet.label, ""))
        layout = layout or next((by_source[n] for n in names if n in by_source), None)
        layout = layout or next(
            (by_folded[n.casefold()] for n in names if n.casefold() in by_folded), None
        )
        if layout is None and len(mapping.layouts) == 1 and len(sheets) == 1:
            layout = mapping.layouts[0]  # one sheet, one layout: the file was renamed
        if layout is None:
            layout = by_headers.get(tuple(sorted(header_key(h) for h in sheet.headers)))
        if layout is not None:
            out[id(sheet)] = layout
    return out


def _find_columns(
    sheet: TrackerSheet, layout: SheetLayout, problems: Problems
) -> dict[str, int | None]:
    """Return the Excel column number of every header the layout uses (None: not found)."""
    exact: dict[str, list[int]] = {}
    folded: dict[str, list[int]] = {}
    for column in sheet.columns:
        exact.setdefault(column.header, []).append(column.number)
        folded.setdefault(header_key(column.header), []).append(column.number)
    wanted = list(dict.fromkeys([*layout.fields.values(), *layout.standards, *layout.comments]))
    found: dict[str, int | None] = {}
    missing = []
    for header in wanted:
        numbers = exact.get(header) or folded.get(header_key(header)) or []
        if len(numbers) > 1:
            problems.add_one(
                sheet.label,
                None,
                header,
                header,
                f"{len(numbers)} columns are headed {header!r}: the mapping cannot tell them apart",
                "Rename the columns so each header is different (e.g. 'Q3 comments'), then map "
                "the tracker again.",
            )
        found[header] = numbers[0] if len(numbers) == 1 else None
        if not numbers:
            missing.append(header)
    if missing:
        there = "; ".join(sheet.headers)
        for header in missing:
            problems.add_one(
                sheet.label,
                None,
                header,
                header,
                f"the mapping names a column headed {header!r}, but the sheet has none",
                f"The sheet's headers are: {there}. Rename the column back, or map the tracker "
                f"again ({MAP_IT}).",
            )
    return found


def _lookup(
    kind: str, mapping: TrackerMapping
) -> Callable[[pd.Series], tuple[pd.Series, list[object]]]:
    """Return a function giving each cell's meaning (missing when none), words looked up once."""

    def translate(cells: pd.Series) -> tuple[pd.Series, list[object]]:
        codes, uniques = pd.factorize(cells)
        meanings = [vocabulary.meaning(kind, str(u), mapping) for u in uniques]
        means = np.array([*meanings, None], dtype=object)
        unmapped = [u for u, m in zip(uniques, meanings, strict=True) if m is None]
        return pd.Series(means[codes], index=cells.index, dtype=object), unmapped

    return translate


def _word_fix(kind: str, word: str) -> str:
    choices = {
        "answer": "Met, Partially met, Not met or Not applicable",
        "grade": "Outstanding, Good, Requires improvement or Inadequate",
        "gender": "Female, Male or Not recorded",
        "quadrant": "NW, NE, SW or SE",
    }[kind]
    plural = {v: k for k, v in WORD_KINDS.items()}[kind]
    return (
        f"Say what {word!r} means ({choices}) in the mapping's {plural} "
        f'(e.g. "{word}": ...), or in the words table on the Data page; or correct the cell.'
    )


def _report_words(
    label: str,
    kind: str,
    headers: np.ndarray | str,
    words: pd.Series,
    rows: np.ndarray,
    bad: np.ndarray,
    problems: Problems,
) -> None:
    """Report each word with no meaning once per column: first row, and how many cells."""
    if not bad.any():
        return
    table = pd.DataFrame(
        {
            "header": np.broadcast_to(np.asarray(headers, dtype=object), bad.shape)[bad],
            "word": words.to_numpy(dtype=object)[bad],
            "row": rows[bad],
        }
    )
    grouped = table.groupby(["header", "word"], sort=False)["row"].agg(["min", "max", "size"])
    for (header, word), record in grouped.iterrows():
        many = (
            f" ({record['size']} cells in this column, rows {record['min']} to {record['max']})"
            if record["size"] > 1
            else ""
        )
        problems.add_one(
            label,
            int(record["min"]),
            header,
            word,
            f"the {kind} {word!r} has no meaning in the mapping{many}",
            _word_fix(kind, word),
        )


def _add_cells(
    problems: Problems,
    label: str | np.ndarray,
    rows: np.ndarray,
    column: str | np.ndarray,
    values: np.ndarray | None,
    rule: str | np.ndarray,
    fix: str,
) -> None:
    """Add one problem per row at once (never one small table per problem)."""
    if not len(rows):
        return
    part = pd.DataFrame({"row": np.asarray(rows, dtype=np.int64)})
    by_column: tuple[tuple[str, str | np.ndarray | None], ...] = (
        ("sheet", label), ("column", column), ("value", values), ("rule", rule), ("fix", fix),
    )  # fmt: skip
    for name, value in by_column:
        part[name] = value if value is None or np.ndim(value) == 0 else np.asarray(value, object)
    problems.add_rows(part)


def _translate(
    sheet: TrackerSheet,
    layout: SheetLayout,
    mapping: TrackerMapping,
    round_id: str,
    known_questions: set[str],
    bounds: tuple[dt.date, dt.date] | None,
    problems: Problems,
    result: TrackerResult,
) -> _Part | None:
    """Translate one sheet: its cases, then its standard columns melted into responses."""
    label = sheet.label
    used: set[str] = set()
    refused = _refuse_personal(sheet, layout, problems)
    columns = _find_columns(sheet, layout, problems)
    for header in (*layout.fields.values(), *layout.standards, *layout.comments):
        used.add(header_key(header))
    result.ignored_columns += [
        f"{label}: {c.header}"
        for c in sheet.columns
        if header_key(c.header) not in used and c.number not in refused
    ]
    for name in ("case_ref", "audit_date"):
        if name not in layout.fields:
            what = "case reference" if name == "case_ref" else "audit date"
            problems.add_one(
                label,
                None,
                name,
                None,
                f"no column gives the {what}: a tracker must have one",
                f"Map the column holding the {what} to {name} ({MAP_IT}).",
            )
    body = sheet.body

    def cells(header: str | None) -> pd.Series:
        number = columns.get(header) if header else None
        if number is None or number not in body:
            return pd.Series(pd.NA, index=body.index, dtype="str")
        return body[number].astype("str")

    # Rows with nothing in any mapped column (notes in an ignored column) are not cases.
    mapped_numbers = [n for n in columns.values() if n is not None and n in body]
    if mapped_numbers:
        filled = body[mapped_numbers].notna().any(axis=1)
        if not filled.all():  # said, never dropped silently
            result.ignored_sheets.append(
                f"{label}: {_rows_text(body.index[~filled])} (only columns not imported are filled)"
            )
        body = body.loc[filled]
    rows = body.index.to_numpy(dtype=np.int64)
    n = len(rows)
    fields = layout.fields
    reported: dict[str, np.ndarray] = {}
    labels: dict[str, str] = {"theme_id": THEME_LABEL, "round_id": ROUND_LABEL}

    case_ref = cells(fields.get("case_ref"))
    labels["child_ref"] = labels["audit_id"] = fields.get("case_ref", "case_ref")
    no_ref = case_ref.isna().to_numpy()
    if "case_ref" in fields and no_ref.any():
        _add_cells(
            problems,
            label,
            rows[no_ref],
            fields["case_ref"],
            None,
            "the row has answers but no case reference",
            "Fill in the case reference, or delete the row if it is not a case.",
        )
    reported["audit_id"] = no_ref.copy()
    audit_ids = pd.Series(
        [
            audit_id_for(mapping.theme_id, round_id, ref) if isinstance(ref, str) else None
            for ref in case_ref.to_numpy(dtype=object)
        ],
        index=body.index,
        dtype="str",
    )

    # Audit dates: each distinct text parsed once.
    raw_dates = cells(fields.get("audit_date"))
    labels["audit_date"] = fields.get("audit_date", "audit_date")
    codes, uniques = pd.factorize(raw_dates)
    parsed = [parse_date(str(u)) for u in uniques]
    iso = np.array([p[0] for p in parsed] + [None], dtype=object)[codes]
    why = np.array([p[1] for p in parsed] + [None], dtype=object)[codes]
    bad_date = pd.notna(why)
    if "audit_date" in fields:
        typed = raw_dates.to_numpy(dtype=object)
        _add_cells(
            problems, label, rows[bad_date], fields["audit_date"], typed[bad_date],
            why[bad_date], DATE_FIX,
        )  # fmt: skip
        blank_date = raw_dates.isna().to_numpy() & ~no_ref
        _add_cells(
            problems,
            label,
            rows[blank_date],
            fields["audit_date"],
            None,
            "the case has no audit date",
            "Fill in the date of the audit (day/month/year, e.g. 05/11/2020).",
        )
        bad_date |= blank_date
    if bounds is not None:
        start, end = bounds
        as_dates = pd.to_datetime(pd.Series(iso, index=body.index), format="%Y-%m-%d")
        outside = (
            as_dates.notna() & ((as_dates < pd.Timestamp(start)) | (as_dates > pd.Timestamp(end)))
        ).to_numpy()
        _add_cells(
            problems,
            label,
            rows[outside],
            fields["audit_date"],
            raw_dates.to_numpy(dtype=object)[outside],
            f"the audit date is outside round {round_id} ({start} to {end})",
            "Check the date, or import the tracker into the round its audits belong to.",
        )
        bad_date |= outside
    reported["audit_date"] = bad_date | no_ref

    # Quadrant: the column's word, else the name of this sheet or file, else the layout's. The
    # name in front of us wins: next round's "NE tracker Feb.csv" may have been paired with the
    # layout saved from "NW_tracker.csv", whose quadrant came from that file's name.
    fallback = vocabulary.quadrant_named(sheet.sheet_name, sheet.file_name) or layout.quadrant
    raw_words: dict[str, list[pd.Series]] = {k: [] for k in WORD_KINDS.values()}
    quadrant = pd.Series(fallback, index=body.index, dtype=object)
    labels["quadrant"] = fields.get("quadrant", "quadrant (from the mapping or sheet name)")
    if "quadrant" in fields:
        raw = cells(fields["quadrant"])
        raw_words["quadrant"].append(raw.dropna())
        means, _ = _lookup("quadrant", mapping)(raw)
        unmapped = (raw.notna() & means.isna()).to_numpy()
        _report_words(label, "quadrant", fields["quadrant"], raw, rows, unmapped, problems)
        quadrant = means.where(raw.notna(), quadrant)
        reported["quadrant"] = unmapped
    no_quadrant = quadrant.isna().to_numpy() & ~reported.get("quadrant", np.zeros(n, bool))
    if no_quadrant.any():
        if "quadrant" not in fields and fallback is None:
            problems.add_one(
                label,
                None,
                "quadrant",
                None,
                "nothing gives the cases' quadrant: no column, no quadrant for the sheet, and "
                "none in the sheet's or file's name",
                "Map the quadrant column, or give the sheet's quadrant in the mapping.",
            )
        else:
            _add_cells(
                problems,
                label,
                rows[no_quadrant & ~no_ref],
                fields["quadrant"],
                None,
                "the case has no quadrant",
                "Fill in the quadrant (NW, NE, SW or SE), or give the sheet's quadrant in the "
                "mapping.",
            )
    reported["quadrant"] = reported.get("quadrant", np.zeros(n, bool)) | no_quadrant | no_ref

    team = cells(fields.get("team"))
    if layout.team:
        team = team.fillna(layout.team)
    labels["team"] = fields.get("team", "team (from the mapping)")

    coded: dict[str, pd.Series] = {}
    coded_fields: tuple[tuple[Field_, str], ...] = (
        ("gender", "gender"),
        ("overall_grade", "grade"),
    )
    for name, kind in coded_fields:
        labels[name] = fields.get(name, name)
        raw = cells(fields.get(name))
        if name not in fields:
            coded[name] = raw
            continue
        raw_words[kind].append(raw.dropna())
        means, _ = _lookup(kind, mapping)(raw)
        unmapped = (raw.notna() & means.isna()).to_numpy()
        _report_words(label, kind, fields[name], raw, rows, unmapped, problems)
        reported[name] = unmapped
        coded[name] = means
    labels["age_band"] = fields.get("age_band", "age_band")

    cases = pd.DataFrame(
        {
            ROW: rows,
            "audit_id": audit_ids,
            "theme_id": mapping.theme_id,
            "round_id": round_id,
            "quadrant": quadrant,
            "team": team,
            "child_ref": case_ref,
            "audit_date": pd.Series(iso, index=body.index, dtype=object),
            "gender": coded["gender"],
            "age_band": cells(fields.get("age_band")),
            "overall_grade": coded["overall_grade"],
        },
        index=body.index,
    )
    responses, response_labels, response_reported = _melt(
        sheet, layout, mapping, body, columns, audit_ids, no_ref, known_questions, problems,
        raw_words,
    )  # fmt: skip
    return _Part(
        label, cases, labels, reported, responses, response_labels, response_reported, raw_words
    )


def _rows_text(rows: pd.Index, shown: int = 10) -> str:
    """Return Excel rows as text: "row 7", "rows 7, 9", "rows 7, 9, … (12 rows)"."""
    numbers = [str(int(r)) for r in rows[:shown]]
    more = f", … ({len(rows)} rows)" if len(rows) > shown else ""
    return ("row " if len(rows) == 1 else "rows ") + ", ".join(numbers) + more


def _refuse_personal(sheet: TrackerSheet, layout: SheetLayout, problems: Problems) -> set[int]:
    """Refuse every personal-data column (and auditors' names), mapped or not; return their
    column numbers.

    A column mapped to a standard is the audit tool's wording ("... addresses and reviews its
    action points"), not personal data; its cells must be answer words, checked as such."""
    standards = {header_key(h) for h in layout.standards}
    refused = set()
    for column in sheet.columns:
        if header_key(column.header) in standards:
            continue
        reason = refusal(column, sheet.body[column.number])
        if reason is None:
            continue
        refused.add(column.number)
        problems.add_one(
            sheet.label,
            None,
            column.header,
            column.header,
            f"the column holds {reason}: personal data cannot be imported, even when the mapping "
            "leaves it out",
            f"Delete column {column.letter} ({column.header!r}) from the sheet (or "
            f"{AUDITOR_NAMES_FIX} for auditors), save the file, and import that copy: the "
            "dashboard needs only the pseudonymous case reference.",
        )
    return refused


def _melt(
    sheet: TrackerSheet,
    layout: SheetLayout,
    mapping: TrackerMapping,
    body: pd.DataFrame,
    columns: dict[str, int | None],
    audit_ids: pd.Series,
    no_ref: np.ndarray,
    known_questions: set[str],
    problems: Problems,
    raw_words: dict[str, list[pd.Series]],
) -> tuple[pd.DataFrame, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Return the responses of a sheet: one row per case and answered standard."""
    label = sheet.label
    comment_of = {question: header for header, question in layout.comments.items()}
    standards = [(h, q) for h, q in layout.standards.items() if columns.get(h) is not None]
    seen: dict[str, str] = {}
    doubled: set[str] = set()
    for header, question in layout.standards.items():
        if question in seen:
            doubled.add(header)
            problems.add_one(
                label,
                None,
                header,
                question,
                f"two columns give the answer to {question} ({seen[question]!r} and {header!r})",
                "Map one of them to the standard and the other to nothing (ignored).",
            )
        seen[question] = header
        if known_questions and question not in known_questions:
            problems.add_one(
                label,
                None,
                header,
                question,
                f"{question} is not a standard of the theme {mapping.theme_id}",
                "Map the column to one of the theme's standards, or ignore it.",
            )
    answered = set(layout.standards.values())
    for header, question in layout.comments.items():
        if question not in answered:
            problems.add_one(
                label,
                None,
                header,
                question,
                f"the comments column is mapped to {question}, which no column here answers",
                "Map the standard's answer column too, or map the comments column to nothing.",
            )
    n, k = len(body), len(standards)
    empty = pd.DataFrame({ROW: pd.Series([], dtype=np.int64)})
    for name in RESPONSE_COLUMNS:
        empty[name] = pd.Series([], dtype="str")
    if not k or not n:
        return empty, {}, {}
    headers = np.array([h for h, _ in standards], dtype=object)
    questions = np.array([q for _, q in standards], dtype=object)
    block = body[[columns[h] for h, _ in standards]].astype("str")
    answers = pd.Series(block.to_numpy(dtype=object).ravel(), dtype="str")  # row-major
    comment_block = np.full((n, k), None, dtype=object)
    comment_headers = np.full(k, None, dtype=object)
    for j, (_, question) in enumerate(standards):
        comment_header = comment_of.get(question)
        number = columns.get(comment_header) if comment_header else None
        if number is not None and number in body:
            comment_block[:, j] = body[number].astype("str").to_numpy(dtype=object)
            comment_headers[j] = comment_header
    comments = pd.Series(comment_block.ravel(), dtype="str")
    rows = np.repeat(body.index.to_numpy(dtype=np.int64), k)
    cell_headers = np.tile(headers, n)
    raw_words["answer"].append(answers.dropna())
    means, _ = _lookup("answer", mapping)(answers)
    given = answers.notna().to_numpy()
    unmapped = given & means.isna().to_numpy()
    _report_words(label, "answer", cell_headers, answers, rows, unmapped, problems)
    blank = ~given
    orphan = blank & comments.notna().to_numpy()
    if mapping.blank_answer == "Not applicable":
        means = means.where(~pd.Series(blank), "Not applicable")
        keep = np.ones(n * k, dtype=bool)
    else:
        keep = given
        if orphan.any():
            comment_cells = np.tile(comment_headers, n)
            _add_cells(
                problems,
                label,
                rows[orphan],
                comment_cells[orphan],
                comments.to_numpy(dtype=object)[orphan],
                "a comment on a standard with no answer (a blank answer is not answered)",
                "Fill in the answer beside the comment, or say in the mapping that a blank "
                "answer means Not applicable.",
            )
    keep = keep & ~np.repeat(no_ref, k)  # a row with no case reference is reported once, above
    unknown = (
        np.tile(np.array([q not in known_questions for q in questions]), n)
        if known_questions
        else None
    )
    responses = pd.DataFrame(
        {
            ROW: rows[keep],
            "audit_id": np.repeat(audit_ids.to_numpy(dtype=object), k)[keep],
            "question_id": np.tile(questions, n)[keep],
            "response": means.to_numpy(dtype=object)[keep],
            "comment": comments.to_numpy(dtype=object)[keep],
        }
    )
    for name in RESPONSE_COLUMNS:
        responses[name] = responses[name].astype("str")
    doubled_cells = np.tile(np.array([h in doubled for h in headers]), n)
    question_reported = doubled_cells | (unknown if unknown is not None else False)
    response_labels = {
        "audit_id": np.full(keep.sum(), layout.fields.get("case_ref", "case_ref"), dtype=object),
        "question_id": cell_headers[keep],
        "response": cell_headers[keep],
        "comment": np.tile(comment_headers, n)[keep],
    }
    response_reported = {
        "response": unmapped[keep],
        "question_id": np.asarray(question_reported, dtype=bool)[keep]
        if np.ndim(question_reported)
        else np.zeros(keep.sum(), bool),
    }
    return responses, response_labels, response_reported


def _combine(parts: list[_Part], result: TrackerResult, problems: Problems) -> None:
    """Join the sheets' parts into one cases and one responses sheet (one round)."""
    label = ", ".join(dict.fromkeys(p.label for p in parts)) or "(tracker)"
    if not parts:
        _empty_sheets(result, label)
        return
    cases = pd.concat([p.cases for p in parts], ignore_index=True)
    case_rows = [len(p.cases) for p in parts]
    response_rows = [len(p.responses) for p in parts]
    responses = pd.concat([p.responses for p in parts], ignore_index=True)
    # Arrow-backed text, as the template's reader gives: the validator's checks run vectorised.
    for name in CASE_COLUMNS:
        cases[name] = cases[name].astype("str")
    for name in RESPONSE_COLUMNS:
        responses[name] = responses[name].astype("str")
    cases[ROW] = cases[ROW].astype(np.int64)
    responses[ROW] = responses[ROW].astype(np.int64)
    case_labels = {
        name: _per_row([p.case_labels.get(name, name) for p in parts], case_rows)
        for name in CASE_COLUMNS
    }
    case_reported = {
        name: np.concatenate(
            [p.case_reported.get(name, np.zeros(len(p.cases), bool)) for p in parts]
        )
        for name in CASE_COLUMNS
    }
    response_labels = {
        name: pd.Series(
            np.concatenate(
                [p.response_labels.get(name, np.full(len(p.responses), None)) for p in parts]
            ),
            dtype=object,
        )
        for name in RESPONSE_COLUMNS
    }
    response_reported = {
        name: np.concatenate(
            [p.response_reported.get(name, np.zeros(len(p.responses), bool)) for p in parts]
        )
        for name in RESPONSE_COLUMNS
    }
    # One case twice in the round (on one sheet or two): reported once, on its case reference.
    ids = cases["audit_id"]
    repeat = (ids.notna() & ids.duplicated(keep="first")).to_numpy()
    row_labels = _per_row([p.label for p in parts], case_rows)
    if repeat.any():
        first = cases.groupby("audit_id", sort=False).cumcount() == 0
        first_at = (
            row_labels.where(first).groupby(ids).transform("first")
            + " row "
            + cases[ROW].where(first).groupby(ids).transform("first").astype("Int64").astype(str)
        )
        _add_cells(
            problems,
            row_labels.to_numpy()[repeat],
            cases[ROW].to_numpy()[repeat],
            case_labels["child_ref"].to_numpy()[repeat],
            cases["child_ref"].to_numpy(dtype=object)[repeat],
            (
                "the case reference appears more than once in this round (first on "
                + first_at
                + ")"
            ).to_numpy(dtype=object)[repeat],
            "Keep one row per case: delete the repeated row or correct its reference.",
        )
        case_reported["audit_id"] = case_reported["audit_id"] | repeat
        again = responses["audit_id"].isin(ids[repeat]).to_numpy()
        response_reported["question_id"] = response_reported["question_id"] | again
        response_reported["audit_id"] = response_reported["audit_id"] | again
    if cases.empty:
        problems.add_one(
            label,
            None,
            None,
            None,
            "there are no cases under the header row",
            "Check the file: one row per case audited, below the headers.",
        )
    result.sheets["cases"] = Sheet(
        "cases",
        label,
        cases[[ROW, *CASE_COLUMNS]],
        {name: name for name in CASE_COLUMNS} if len(cases) else {},
        header_found=bool(len(cases)),
        row_labels=row_labels,
        column_labels=case_labels,
        reported=case_reported,
    )
    result.sheets["responses"] = Sheet(
        "responses",
        label,
        responses[[ROW, *RESPONSE_COLUMNS]],
        {name: name for name in RESPONSE_COLUMNS} if len(cases) else {},
        header_found=bool(len(cases)),
        row_labels=_per_row([p.label for p in parts], response_rows),
        column_labels=response_labels,
        reported=response_reported,
    )


def _per_row(values: list[str], counts: list[int]) -> pd.Series:
    return pd.Series(np.repeat(np.array(values, dtype=object), counts), dtype=object)


def _empty_sheets(result: TrackerResult, label: str) -> None:
    for table, names in (("cases", CASE_COLUMNS), ("responses", RESPONSE_COLUMNS)):
        frame = pd.DataFrame({ROW: pd.Series([], dtype=np.int64)})
        for name in names:
            frame[name] = pd.Series([], dtype="str")
        result.sheets[table] = Sheet(table, label, frame, {}, header_found=False)


def _words(parts: list[_Part], mapping: TrackerMapping) -> pd.DataFrame:
    """Return every word seen in the mapped columns, with its meaning and where that is from."""
    tables = []
    for kind in WORD_KINDS.values():
        seen = [s for p in parts for s in p.raw_words.get(kind, []) if len(s)]
        if not seen:
            continue
        values = pd.concat(seen, ignore_index=True)
        table = vocabulary.seen_words(kind, values, mapping)
        tables.append(table.assign(kind=kind))
    if not tables:
        return pd.DataFrame(columns=list(vocabulary.WORD_COLUMNS))
    return pd.concat(tables, ignore_index=True)[list(vocabulary.WORD_COLUMNS)]
