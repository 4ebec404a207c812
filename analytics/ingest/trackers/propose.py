"""Proposing a tracker's mapping: which column is which field, standard or comment, and what
each word in its cells means. A person confirms or edits the proposal before anything imports.

Standards are matched by their wording with rapidfuzz on normalised text (case, punctuation,
numbering such as "1." "Q3" "PERM-05", "&" for "and", and hints such as "(Y/N)" removed). The
score of a header against a question is the best of fuzz.ratio and fuzz.token_sort_ratio over
the header (and its lower row) and the question's text (with and without a bracketed remark).
Both scorers weigh every word of both sides, so a short header that shares a few words with a
long question scores low (token_set_ratio would give it 100, WRatio 85.5 to "Date of audit").
RULE: a header maps when its best score is at least STANDARD_MATCH_MIN and at least
STANDARD_MATCH_MARGIN above the runner-up's; otherwise it is unmatched, never guessed. A header
naming a question's id ("PERM-03") maps with 100 unless its wording maps to another question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from analytics.errors import PROBLEM_COLUMNS
from analytics.ingest.problems import Problems, empty_problems
from analytics.ingest.spec import header_words, personal_data_reason
from analytics.ingest.trackers import vocabulary
from analytics.ingest.trackers.layout import TrackerColumn, TrackerRead, TrackerSheet
from analytics.ingest.trackers.model import (
    CASE_FIELDS,
    FIELD_LABELS,
    REQUIRED_FIELDS,
    Field_,
    Quadrant,
    SheetLayout,
    TrackerMapping,
)
from analytics.ingest.trackers.refusals import (
    AUDITOR_NAMES_FIX,
    field_words,
    header_parts,
    is_auditor_column,
    mostly_names,
    refusal,
)

STANDARD_MATCH_MIN = 85
STANDARD_MATCH_MARGIN = 5
COLUMN_COLUMNS: tuple[str, ...] = (
    "sheet", "column", "header", "maps_to", "score", "runner_up", "runner_up_score", "why",
)  # fmt: skip
IGNORED, REFUSED, UNMATCHED = "ignored", "refused", "unmatched"
COMMENT_PREFIX = "comment on "
# A column that is not a field nor a standard is "unmatched" (a standard a person must choose)
# rather than "ignored" when its wording comes this close to a question, or it holds answers.
_UNMATCHED_FROM = 50
_HEADER_MAX = 300  # the mapping's limit on a header's length
_FIELD_KINDS: dict[Field_, str] = {
    "quadrant": "quadrant",
    "overall_grade": "grade",
    "gender": "gender",
}

# Field headers, compared as their lower-case words joined by spaces ("Child ID" -> "child id").
FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "case_ref": (
        "child ref", "child reference", "case ref", "case reference", "child id", "case id",
        "ref", "reference", "case no", "case number", "child no", "child number", "id",
        "case", "child", "ref no", "reference number", "unique ref", "child ref no",
    ),
    "audit_date": (
        "date of audit", "audited on", "date", "audit date", "date audited", "audit completed",
        "date completed", "date of review", "audit date completed",
    ),
    "overall_grade": (
        "grade", "overall grade", "overall judgement", "overall judgment", "judgement",
        "overall rating", "overall", "grading", "audit grade",
    ),
    "quadrant": ("quadrant", "area", "locality", "quad"),
    "team": ("team", "team name", "service team"),
    "gender": ("gender", "sex"),
    "age_band": ("age band", "age range", "age group", "age"),
}  # fmt: skip
_FIELD_BY_HEADER = {words: name for name, all_ in FIELD_SYNONYMS.items() for words in all_}
# A header ending in one of these words names that field whatever comes before it.
_FIELD_BY_LAST_WORD = {"team": "team", "quadrant": "quadrant", "grade": "overall_grade"}
_FIELD_HEADER_WORDS = 4  # a longer header is a sentence (a standard), not a field's name
_COMMENT_WORDS = frozenset({"comment", "comments", "note", "notes", "remarks", "commentary"})
# Only these make a column beside a standard its comment: "Notes" after the last standard is as
# likely a note on the case as on that standard, so it is left for a person to map.
_SAYS_COMMENT = frozenset({"comment", "comments", "commentary"})

# Normalising a header or a question's text before fuzzy matching.
_ANSWER_HINT = re.compile(
    r"\((?:\s*(?:y|n|yes|no|na|n/a|p|part|partial|partially|met|not met|partially met|"
    r"✓|✔|✗|✘)\s*[/,|]?\s*)+\)",
    re.IGNORECASE,
)
_NUMBERING = re.compile(
    r"^\s*(?:(?:q|qu|question|no)\s*\.?\s*)?\d+[a-z]?\s*[.):\-–]?\s+"  # 1. / Q3 / 3a) / No. 4
    r"|^\s*\(\d+\)\s*"  # (1)
    r"|^\s*[a-z]{1,8}[-_ ]?\d+\s*[.):\-–]\s*",  # PERM-05 - / PF_01:
    re.IGNORECASE,
)
_BRACKETED = re.compile(r"\([^)]*\)")
_ID_PARTS = re.compile(r"^([A-Za-z]+)[-_ ]?0*(\d+)$")
_ISO_DATE = r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T][\d:.]+)?$"
_UK_DATE = r"^\d{1,2}[/.-]\d{1,2}[/.-](?:\d{2}|\d{4})$"
_AGE_BAND = r"^\d{1,2}\s*(?:-|–|to)\s*\d{1,2}$|^\d{1,2}\s*\+$|^(?:under|over)\s*\d{1,2}$"
_VALUE_SHARE = 0.9  # a column is "of dates" (or of quadrant words...) when this share of it is
_FEW_WORDS = 50  # a column of more distinct words than this is no column of grades or genders


@dataclass
class Proposal:
    """A proposed mapping, and everything a person needs to confirm it."""

    mapping: TrackerMapping | None  # None only when no sheet of the tracker could be read
    columns: pd.DataFrame  # COLUMN_COLUMNS: one row per sheet × column
    words: (
        pd.DataFrame
    )  # vocabulary.WORD_COLUMNS: every word seen and what it means (None: unknown)
    problems: pd.DataFrame  # the problem table (sheet, row, column, value, rule, fix)
    ignored_sheets: list[str] = field(default_factory=list)  # with why


def normalise_wording(text: object) -> str:
    """Return a header or question as compared: no answer hint such as "(Y/N)", no leading
    numbering or id, "&" as "and", lower case, punctuation as spaces."""
    text = _ANSWER_HINT.sub(" ", str(text))
    text = _NUMBERING.sub("", text)
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"['’`]", "", text)  # child's -> childs, on both sides
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def _id_key(question_id: str) -> tuple[str, int] | None:
    match = _ID_PARTS.match(question_id.strip())
    return (match.group(1).casefold(), int(match.group(2))) if match else None


def _ids_in(header: str, ids: dict[tuple[str, int], str]) -> set[str]:
    """Return the theme's question ids a header names ("PERM-03", "perm 3", "PERM03")."""
    found = set()
    for letters, digits in re.findall(r"(?<![A-Za-z])([A-Za-z]+)[-_ ]?(\d+)(?!\d)", header):
        question = ids.get((letters.casefold(), int(digits)))
        if question is not None:
            found.add(question)
    return found


def _number_in(header: str) -> str | None:
    """Return a header's own numbering ("Q3 ...", "3. ...", "Comments Q3" -> "3")."""
    match = re.match(r"^\s*(?:q|qu|question|no)?\s*\.?\s*(\d+)[a-z]?\b", header, re.IGNORECASE)
    if match:
        return match.group(1)
    match = re.search(r"\b(?:q|question)\s*\.?\s*(\d+)\s*$", header, re.IGNORECASE)
    return match.group(1) if match else None


class _Matcher:
    """Scores distinct headers against the theme's questions, each header once."""

    def __init__(self, questions: pd.DataFrame):
        self.ids = [str(q) for q in questions["question_id"]]
        texts = [str(t) for t in questions["text"]]
        # Each question is compared by its text, and by its text without a bracketed remark.
        variants = [normalise_wording(t) for t in texts]
        plain = [normalise_wording(_BRACKETED.sub(" ", t)) for t in texts]
        self.choices = variants + plain
        self.owner = np.array(list(range(len(texts))) * 2)
        self.cache: dict[str, np.ndarray] = {}

    def scores(self, candidates: list[str]) -> np.ndarray:
        """Return one score per question: the best over the header's candidate texts."""
        todo = sorted({c for c in candidates if c and c not in self.cache})
        if todo and self.choices:
            best = np.maximum(
                process.cdist(todo, self.choices, scorer=fuzz.ratio),
                process.cdist(todo, self.choices, scorer=fuzz.token_sort_ratio),
            )
            per_question = np.zeros((len(todo), len(self.ids)))
            np.maximum.at(per_question.T, self.owner, best.T)
            for text, row in zip(todo, per_question, strict=True):
                self.cache[text] = row
        rows = [self.cache[c] for c in candidates if c in self.cache]
        return np.max(rows, axis=0) if rows else np.zeros(len(self.ids))


def likely_theme(read: TrackerRead, questions: pd.DataFrame) -> str | None:
    """Return the theme whose standards the tracker's headers carry most (each header counted
    when its best score passes the matching rule), or None when no header carries any."""
    headers = {normalise_wording(h) for sheet in read.sheets for h in sheet.headers}
    headers.discard("")
    counts: dict[str, int] = {}
    for theme_id, theme_questions in questions.groupby("theme_id", sort=True):
        matcher = _Matcher(theme_questions)
        mapped = 0
        for header in headers:
            scores = np.sort(matcher.scores([header]))[::-1]
            runner_up = scores[1] if len(scores) > 1 else 0.0
            if scores[0] >= STANDARD_MATCH_MIN and scores[0] - runner_up >= STANDARD_MATCH_MARGIN:
                mapped += 1
        counts[str(theme_id)] = mapped
    best = max(counts, key=lambda t: counts[t], default=None)
    return best if best is not None and counts[best] > 0 else None


@dataclass
class _Column:
    """One column's proposal under construction."""

    column: TrackerColumn
    maps_to: str = IGNORED
    why: str = ""
    score: float | None = None
    runner_up: str | None = None
    runner_up_score: float | None = None
    best: str | None = None  # a field (or "auditor") decided by the header or the values
    top: str | None = None  # the best-scoring question, mapped or not
    comment_like: bool = False


def propose(
    read: TrackerRead,
    questions: pd.DataFrame,
    theme_id: str,
    name: str,
    quadrant: Quadrant | None = None,
    team: str | None = None,
) -> Proposal:
    """Propose how a tracker's columns and words map to the theme's data contract."""
    questions = questions.reset_index(drop=True)
    matcher = _Matcher(questions)
    ids = {id_key: q for q in matcher.ids if (id_key := _id_key(q)) is not None}
    problems = Problems()
    rows: list[dict[str, object]] = []
    layouts: list[SheetLayout] = []
    ignored_sheets = list(read.ignored_sheets)
    proposed: list[tuple[TrackerSheet, list[_Column]]] = []
    for sheet in read.sheets:
        columns = _propose_sheet(sheet, matcher, ids)
        fields = {c.maps_to for c in columns}
        if "case_ref" not in fields and not any(c.maps_to in matcher.ids for c in columns):
            ignored_sheets.append(f"{sheet.label} (no case reference and no standard columns)")
            continue
        proposed.append((sheet, columns))
    if not proposed:  # nothing looks like a tracker: propose every sheet for a person to map
        proposed = [(s, _propose_sheet(s, matcher, ids)) for s in read.sheets]
        ignored_sheets = list(read.ignored_sheets)
    for sheet, columns in proposed:
        layouts.append(_layout(sheet, columns, quadrant, team, problems))
        rows.extend(_column_row(sheet, c) for c in columns)
    columns_frame = _frame(rows, COLUMN_COLUMNS)
    columns_frame["score"] = pd.array(columns_frame["score"], dtype="Float64")
    columns_frame["runner_up_score"] = pd.array(columns_frame["runner_up_score"], dtype="Float64")
    if not layouts:
        return Proposal(
            None,
            columns_frame,
            _frame([], vocabulary.WORD_COLUMNS),
            _problem_frame(problems),
            ignored_sheets,
        )
    mapping = TrackerMapping(name=name, theme_id=theme_id, layouts=layouts)
    words = tracker_words(read, mapping)
    known = words[words["means"].notna()]
    by_kind: dict[str, dict[str, str]] = {kind: {} for kind in vocabulary.KINDS}
    keys: set[tuple[str, str]] = set()
    for kind, word, means in known[["kind", "word", "means"]].itertuples(index=False):
        key = (kind, vocabulary.word_key(word))
        if key not in keys and len(word) <= _HEADER_MAX:  # one spelling per word is enough
            keys.add(key)
            by_kind[kind][word] = means
    for kind, word, count in words[words["means"].isna()][["kind", "word", "count"]].itertuples(
        index=False
    ):
        problems.add_one(
            "(mapping)",
            None,
            None,
            word,
            f"the {kind} word {word!r} ({count} cells) has no standard meaning",
            f"Say in the mapping's {kind} words what {word!r} means.",
        )
    mapping = mapping.model_copy(
        update={
            "answers": by_kind["answer"],
            "grades": by_kind["grade"],
            "genders": by_kind["gender"],
            "quadrants": by_kind["quadrant"],
        }
    )
    return Proposal(mapping, columns_frame, words, _problem_frame(problems), ignored_sheets)


def _frame(rows: list[dict[str, object]], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series([r[c] for r in rows], dtype=object) for c in columns}, columns=list(columns)
    )


def _problem_frame(problems: Problems) -> pd.DataFrame:
    return problems.frame({}) if problems else empty_problems()[list(PROBLEM_COLUMNS)]


def _column_row(sheet: TrackerSheet, proposal: _Column) -> dict[str, object]:
    return {
        "sheet": sheet.label,
        "column": proposal.column.letter,
        "header": proposal.column.header,
        "maps_to": proposal.maps_to,
        "score": proposal.score,
        "runner_up": proposal.runner_up,
        "runner_up_score": proposal.runner_up_score,
        "why": proposal.why,
    }


def _propose_sheet(
    sheet: TrackerSheet, matcher: _Matcher, ids: dict[tuple[str, int], str]
) -> list[_Column]:
    columns = [_Column(c) for c in sheet.columns]
    taken: dict[str, _Column] = {}  # field -> the column giving it
    # 1. Field headers, auditors, and columns that read as comments.
    for proposal in columns:
        column = proposal.column
        words = [field_words(p) for p in header_parts(column)]
        if is_auditor_column(column):
            proposal.maps_to = IGNORED
            proposal.why = "an auditor column: not imported until the moderation work"
            if mostly_names(sheet.body[column.number]):
                proposal.maps_to = REFUSED
                proposal.why = (
                    f"holds auditors' names (auditors are pseudonymous): {AUDITOR_NAMES_FIX}"
                )
            proposal.best = "auditor"
            continue
        found = next((_FIELD_BY_HEADER[w] for w in reversed(words) if w in _FIELD_BY_HEADER), None)
        if found is None:  # "Social Worker Team", "Final grade": the last word names the field
            short = [w.split() for w in words if 0 < len(w.split()) <= _FIELD_HEADER_WORDS]
            last = [w[-1] for w in short]
            found = next((_FIELD_BY_LAST_WORD[w] for w in last if w in _FIELD_BY_LAST_WORD), None)
        if found is not None and not _ids_in(column.header, ids):
            if found in taken:
                letter = taken[found].column.letter
                proposal.why = f"the {FIELD_LABELS[found]} is already column {letter}"
            else:
                taken[found] = proposal
                proposal.maps_to = found
                proposal.why = f"the header names the {FIELD_LABELS[found]}"
            proposal.best = found
            continue
        proposal.comment_like = _is_comment(column, ids)
    # 2. Standards: by id in the header, else by wording.
    by_question: dict[str, _Column] = {}
    for proposal in columns:
        if proposal.best is not None or proposal.comment_like:
            continue
        _score_standard(proposal, matcher, ids)
        question = proposal.maps_to if proposal.maps_to in matcher.ids else None
        if question is None:
            continue
        if question in by_question:
            first = by_question[question]
            proposal.maps_to = UNMATCHED
            proposal.why = f"{question} is already given by column {first.column.letter}"
        else:
            by_question[question] = proposal
    # 3. Comments, then fields by their values, then personal data; the rest is left over.
    for position, proposal in enumerate(columns):
        if proposal.comment_like:
            _comment_target(proposal, columns, position, ids, matcher)
    for proposal in columns:
        if proposal.maps_to in matcher.ids or proposal.best is not None or proposal.comment_like:
            continue
        _field_by_values(proposal, sheet.body[proposal.column.number], taken)
    for proposal in columns:
        if proposal.maps_to in matcher.ids:
            continue  # a standard's wording ("addresses") is not personal data
        reason = (
            None
            if proposal.maps_to == REFUSED  # auditors' names, said already
            else refusal(proposal.column, sheet.body[proposal.column.number])
        )
        if reason is not None:
            proposal.maps_to = REFUSED
            proposal.score = proposal.runner_up = proposal.runner_up_score = None
            said = (
                "the header says it holds"
                if personal_data_reason(proposal.column.header)
                else "it holds"
            )
            proposal.why = (
                f"{said} {reason}: delete the column from the tracker (personal data is never "
                "imported)"
            )
        elif proposal.maps_to == UNMATCHED and not proposal.why:
            proposal.why = _unmatched_why(proposal)
        elif proposal.maps_to == IGNORED and not proposal.why:
            proposal.why = "neither a field nor a standard"
        if proposal.maps_to == IGNORED and proposal.score is not None:
            answers = _answer_share(sheet.body[proposal.column.number])
            if proposal.score >= _UNMATCHED_FROM or answers >= _VALUE_SHARE:
                proposal.maps_to = UNMATCHED
                proposal.why = _unmatched_why(proposal)
    for proposal in columns:
        if len(proposal.column.header) > _HEADER_MAX and proposal.maps_to != REFUSED:
            proposal.maps_to = IGNORED
            proposal.why = f"the header is longer than {_HEADER_MAX} characters: shorten it"
    return columns


def _score_standard(proposal: _Column, matcher: _Matcher, ids: dict[tuple[str, int], str]) -> None:
    column = proposal.column
    candidates = [normalise_wording(p) for p in header_parts(column)]
    scores = matcher.scores(candidates)
    if not len(scores):
        return
    order = np.argsort(-scores, kind="stable")
    best, second = float(scores[order[0]]), float(scores[order[1]]) if len(order) > 1 else 0.0
    named = _ids_in(column.header, ids)
    wording_maps = best >= STANDARD_MATCH_MIN and best - second >= STANDARD_MATCH_MARGIN
    if len(named) == 1 and not (wording_maps and matcher.ids[order[0]] not in named):
        question = named.pop()
        index = matcher.ids.index(question)
        others = [i for i in order if i != index]
        proposal.maps_to = question
        proposal.score = 100.0
        proposal.runner_up = matcher.ids[others[0]] if others else None
        proposal.runner_up_score = round(float(scores[others[0]]), 1) if others else None
        proposal.why = f"the header names {question}"
        return
    top = matcher.ids[order[0]]
    proposal.top = top
    proposal.score = round(best, 1)
    proposal.runner_up = matcher.ids[order[1]] if len(order) > 1 else None
    proposal.runner_up_score = round(second, 1) if len(order) > 1 else None
    if wording_maps:
        proposal.maps_to = top
        proposal.why = f"the wording matches {top}"
        if named:
            proposal.why += f" (the header also names {', '.join(sorted(named))})"
    # else: unmatched or ignored, decided once the column's values are seen


def _unmatched_why(proposal: _Column) -> str:
    top = proposal.top
    score = proposal.score if proposal.score is not None else 0
    rival = proposal.runner_up_score if proposal.runner_up_score is not None else 0
    if score < STANDARD_MATCH_MIN:
        return (
            f"the closest standard, {top}, scores {score:g} (a match needs "
            f"{STANDARD_MATCH_MIN}): choose the standard, or ignore the column"
        )
    return (
        f"{top} scores {score:g} but {proposal.runner_up} scores {rival:g} (a match must "
        f"lead by {STANDARD_MATCH_MARGIN}): choose the standard"
    )


def _is_comment(column: TrackerColumn, ids: dict[tuple[str, int], str]) -> bool:
    """Whether a header says "comments" and nothing else but a question's id or number
    ("Comments", "Q3 comments", "PERM-03 notes", "Voice / Comments"; not "Any other comments")."""
    words = set(header_words(column.lower or column.header))
    named = {w for q in _ids_in(column.header, ids) for w in header_words(q)}
    rest = {w for w in words - named - {"q", "question", "no"} if not w.isdigit()}
    return bool(words & _COMMENT_WORDS) and rest <= _COMMENT_WORDS


def _comment_target(
    proposal: _Column,
    columns: list[_Column],
    position: int,
    ids: dict[tuple[str, int], str],
    matcher: _Matcher,
) -> None:
    """Make a comments column the comment on its standard: the one its header names (by id or
    by the standards' own numbering), else the standard under the same group label, else the
    standard just left of it."""
    column = proposal.column
    standards = [c for c in columns if c.maps_to in matcher.ids]
    target: _Column | None = None
    named = _ids_in(column.header, ids)
    number = _number_in(column.lower or column.header) or _number_in(column.header)
    if len(named) == 1:
        question = named.pop()
        target = next((c for c in standards if c.maps_to == question), None)
        if target is None:
            proposal.maps_to = COMMENT_PREFIX + question
            proposal.why = f"the header names {question}"
            return
    elif number is not None:
        target = next(
            (c for c in standards if _number_in(c.column.lower or c.column.header) == number),
            None,
        )
    if target is None and column.upper:
        group = [c for c in standards if c.column.upper == column.upper]
        left = [c for c in group if c.column.number < column.number]
        target = left[-1] if left else (group[0] if len(group) == 1 else None)
    says_comment = bool(_SAYS_COMMENT & set(header_words(column.lower or column.header)))
    if target is None and position > 0 and says_comment:
        beside = columns[position - 1]
        if beside.maps_to in matcher.ids and beside.column.number == column.number - 1:
            target = beside
    if target is None:
        proposal.maps_to = IGNORED
        proposal.why = "a comments column beside no standard: choose its standard, or ignore it"
        return
    question = target.maps_to
    for other in columns:
        if other is not proposal and other.maps_to == COMMENT_PREFIX + question:
            proposal.maps_to = IGNORED
            proposal.why = f"{question}'s comments are already column {other.column.letter}"
            return
    proposal.maps_to = COMMENT_PREFIX + question
    proposal.why = f"comments on the standard in column {target.column.letter}"


def _distinct(values: pd.Series) -> pd.Series:
    """Return a column's distinct words with their counts (one pass, vectorised)."""
    return values.dropna().value_counts()


def _share(counts: pd.Series, matches: np.ndarray) -> float:
    total = int(counts.sum())
    return float(counts.to_numpy()[matches].sum()) / total if total else 0.0


def _answer_share(values: pd.Series) -> float:
    counts = _distinct(values)
    known = np.array([vocabulary.meaning("answer", w) is not None for w in counts.index], bool)
    return _share(counts, known)


def _field_by_values(proposal: _Column, values: pd.Series, taken: dict[str, _Column]) -> None:
    """Propose a field for a column by what its cells hold: dates, quadrant, grade or gender
    words, or age bands. Only a field no other column gives."""
    counts = _distinct(values)
    if counts.empty:
        return
    words = pd.Series(counts.index, dtype="str")
    tests: dict[Field_, pd.Series] = {
        "audit_date": words.str.fullmatch(_ISO_DATE) | words.str.fullmatch(_UK_DATE),
        "age_band": words.str.fullmatch(_AGE_BAND, case=False),
    }
    # Words of a kind: a column of few distinct words that are not mostly answers.
    if len(counts) <= _FEW_WORDS and _answer_share(values) < _VALUE_SHARE:
        for name, kind in _FIELD_KINDS.items():
            tests[name] = words.map(lambda w, kind=kind: vocabulary.meaning(kind, w) is not None)
    for name, matches in tests.items():
        if _share(counts, matches.to_numpy(bool)) < _VALUE_SHARE:
            continue
        what = {"audit_date": "dates", "age_band": "age bands"}.get(name)
        what = what or f"{FIELD_LABELS[name]} words"
        if name in taken:
            letter = taken[name].column.letter
            proposal.why = f"holds {what}, but the {FIELD_LABELS[name]} is column {letter}"
            return
        taken[name] = proposal
        proposal.maps_to = name
        proposal.score = proposal.runner_up = proposal.runner_up_score = None
        proposal.why = f"the cells hold {what}"
        proposal.best = name
        return


def _layout(
    sheet: TrackerSheet,
    columns: list[_Column],
    quadrant: Quadrant | None,
    team: str | None,
    problems: Problems,
) -> SheetLayout:
    fields: dict[Field_, str] = {}
    standards: dict[str, str] = {}
    comments: dict[str, str] = {}
    ignored: list[str] = []
    for proposal in columns:
        header, maps_to = proposal.column.header, proposal.maps_to
        if len(header) > _HEADER_MAX:
            continue
        if maps_to.startswith(COMMENT_PREFIX):
            comments[header] = maps_to.removeprefix(COMMENT_PREFIX)
        elif maps_to in CASE_FIELDS:
            fields[maps_to] = header
        elif maps_to in (IGNORED, UNMATCHED):
            ignored.append(header)
        elif maps_to != REFUSED:
            standards[header] = maps_to
    sheet_quadrant = None
    if "quadrant" not in fields:
        sheet_quadrant = (
            vocabulary.quadrant_in_name(sheet.sheet_name)
            or vocabulary.quadrant_in_name(sheet.file_name)
            or quadrant
        )
        if sheet_quadrant is None:
            problems.add_one(
                sheet.label,
                None,
                None,
                None,
                "no column, sheet name or file name gives the quadrant",
                "Give the quadrant for this sheet in the mapping (or name the sheet after it, "
                "e.g. 'North West').",
            )
    for required in REQUIRED_FIELDS:
        if required not in fields:
            what = FIELD_LABELS[required]
            problems.add_one(
                sheet.label,
                None,
                None,
                None,
                f"no column was recognised as the {what}",
                f"Choose the column that gives the {what} in the mapping.",
            )
    return SheetLayout(
        source=sheet.label,
        headers=[h for h in sheet.headers if len(h) <= _HEADER_MAX],
        fields=fields,
        standards=standards,
        comments=comments,
        ignored=ignored,
        quadrant=sheet_quadrant,
        team=team if "team" not in fields else None,
    )


def tracker_words(read: TrackerRead, mapping: TrackerMapping) -> pd.DataFrame:
    """Return every word the mapped columns hold (answers in standard columns; grade, gender and
    quadrant words in those fields' columns) with its count and meaning (WORD_COLUMNS).

    The mapping is the one just proposed for these sheets: each layout's source is its label."""
    values: dict[str, list[pd.Series]] = {kind: [] for kind in vocabulary.KINDS}
    layouts = {layout.source: layout for layout in mapping.layouts}
    for sheet in read.sheets:
        layout = layouts.get(sheet.label)
        if layout is None:
            continue
        numbers = {c.header: c.number for c in sheet.columns}
        standard = [numbers[h] for h in layout.standards if h in numbers]
        if standard:
            values["answer"].append(sheet.body[standard].stack())
        for name, kind in _FIELD_KINDS.items():
            header = layout.fields.get(name)
            if header in numbers:
                values[kind].append(sheet.body[numbers[header]])
    parts = []
    for kind in vocabulary.KINDS:
        if not values[kind]:
            continue
        seen = pd.concat(values[kind], ignore_index=True)
        frame = vocabulary.seen_words(kind, seen, mapping)
        frame.insert(0, "kind", kind)
        parts.append(frame)
    if not parts:
        return _frame([], vocabulary.WORD_COLUMNS)
    return pd.concat(parts, ignore_index=True)[list(vocabulary.WORD_COLUMNS)]
