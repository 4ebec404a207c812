"""The standard words a tracker's cells use, and what each means in the data contract.

Words are compared by `word_key` (case and surrounding or repeated spaces ignored). A mapping's
own words come first; the defaults below cover the usual tracker words. Numeric or RAG scales
(1-4, Red/Amber/Green) have no default meaning: a person must state it in the mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

import pandas as pd

from analytics.domain import GENDERS, GRADES, QUADRANTS, RESPONSES
from analytics.ingest.trackers.model import Quadrant, TrackerMapping

Kind = Literal["answer", "grade", "gender", "quadrant"]
KINDS: tuple[str, ...] = ("answer", "grade", "gender", "quadrant")
SEEN_COLUMNS: tuple[str, ...] = ("word", "count", "means", "from")
WORD_COLUMNS: tuple[str, ...] = ("kind", *SEEN_COLUMNS)  # the words seen, of every kind
FROM_MAPPING, FROM_STANDARD = "mapping", "standard words"


def word_key(word: object) -> str:
    """Return a word as compared: casefolded, trimmed, inner spaces collapsed."""
    return " ".join(str(word).split()).casefold()


def _keyed(groups: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {word_key(word): meaning for meaning, words in groups.items() for word in words}


MET, PARTLY, NOT_MET, NOT_APPLICABLE = RESPONSES
DEFAULT_ANSWERS: dict[str, str] = _keyed(
    {
        MET: ("Yes", "Y", "✓", "✔", "Met", "Fully met"),
        PARTLY: ("Partially", "Part", "Partly", "Partial", "P", "Partially met", "Part met"),
        NOT_MET: ("No", "N", "✗", "✘", "Not met"),
        NOT_APPLICABLE: ("N/A", "NA", "n/a", "N.A.", "Not applicable"),
    }
)
DEFAULT_GRADES: dict[str, str] = _keyed(
    {
        "Outstanding": ("Outstanding",),
        "Good": ("Good",),
        "Requires improvement": (
            "Requires improvement", "Requires improvement to be good", "RI", "Req. Imp.",
            "Req Imp", "Req. Improvement",
        ),
        "Inadequate": ("Inadequate",),
    }
)  # fmt: skip
DEFAULT_GENDERS: dict[str, str] = _keyed(
    {
        "Female": ("F", "Female", "Girl"),
        "Male": ("M", "Male", "Boy"),
        "Not recorded": ("Not recorded", "Unknown", "Not known"),
    }
)
# Quadrant words compare as letters only: "N.W.", "north-west", "Northwest" -> "northwest"/"nw".
_QUADRANT_WORDS: dict[Quadrant, tuple[str, str]] = {
    "NW": ("north", "west"),
    "NE": ("north", "east"),
    "SW": ("south", "west"),
    "SE": ("south", "east"),
}
DEFAULT_QUADRANTS: dict[str, Quadrant] = {}
for _code, (_ns, _ew) in _QUADRANT_WORDS.items():
    for _key in (_code.lower(), _ns + _ew, _ns[0] + _ew[0]):
        DEFAULT_QUADRANTS[_key] = _code
if tuple(_QUADRANT_WORDS) != QUADRANTS or not set(DEFAULT_GRADES.values()) <= set(GRADES):
    raise RuntimeError("the tracker vocabulary's words differ from the domain's")
if not set(DEFAULT_GENDERS.values()) <= set(GENDERS):
    raise RuntimeError("the tracker vocabulary's genders differ from the domain's")

_DEFAULTS: dict[str, Mapping[str, str]] = {
    "answer": DEFAULT_ANSWERS,
    "grade": DEFAULT_GRADES,
    "gender": DEFAULT_GENDERS,
    "quadrant": DEFAULT_QUADRANTS,
}


def _quadrant_key(word: object) -> str:
    return re.sub(r"[^a-z]", "", word_key(word))


def _mapping_words(kind: str, mapping: TrackerMapping | None) -> dict[str, str]:
    if mapping is None:
        return {}
    words_of_kind: dict[str, Mapping[str, str]] = {
        "answer": mapping.answers,
        "grade": mapping.grades,
        "gender": mapping.genders,
        "quadrant": mapping.quadrants,
    }
    words = words_of_kind[kind]
    return {word_key(word): meaning for word, meaning in words.items()}


def meaning(kind: str, word: object, mapping: TrackerMapping | None = None) -> str | None:
    """Return what a word of this kind means: the mapping's own words first, then the
    defaults; None for a word neither knows (a number or RAG colour needs a stated mapping)."""
    found, _ = _meaning_and_source(kind, word, _mapping_words(kind, mapping))
    return found


def _meaning_and_source(
    kind: str, word: object, own: dict[str, str]
) -> tuple[str | None, str | None]:
    if kind not in _DEFAULTS:
        raise ValueError(f"unknown kind of word {kind!r}: one of {', '.join(KINDS)}")
    key = word_key(word)
    if key in own:
        return own[key], FROM_MAPPING
    defaults = _DEFAULTS[kind]
    found = defaults.get(_quadrant_key(word) if kind == "quadrant" else key)
    return (found, FROM_STANDARD) if found is not None else (None, None)


def seen_words(kind: str, values: pd.Series, mapping: TrackerMapping | None = None) -> pd.DataFrame:
    """Return each distinct word in `values` (as written, blanks left out) with its count, its
    meaning (None when unknown) and where the meaning comes from ("mapping", "standard words"
    or None); most frequent first."""
    counts = values.dropna().astype("str").str.strip()
    counts = counts[counts != ""].value_counts(sort=False)
    own = _mapping_words(kind, mapping)
    found = [_meaning_and_source(kind, word, own) for word in counts.index]  # once per word
    frame = pd.DataFrame(
        {
            "word": pd.Series(list(counts.index), dtype=object),
            "count": counts.to_numpy(dtype="int64"),
            "means": pd.Series([m for m, _ in found], dtype=object),
            "from": pd.Series([s for _, s in found], dtype=object),
        }
    )
    return frame.sort_values(["count", "word"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


# Quadrant names inside a sheet or file name: "North West", "NE tracker", "SE_permanency.csv",
# "N.W. audits", "Northwest". Two-letter codes must stand alone ("new" is not NW).
_QUADRANT_IN_NAME = re.compile(
    r"(?<![a-z])(?:(north|south)[\s._-]*(east|west)|([ns])\.?\s?([ew])\.?)(?![a-z])",
    re.IGNORECASE,
)


def quadrant_named(sheet_name: str | None, file_name: str | None) -> Quadrant | None:
    """Return the quadrant a sheet's own name gives, else its file's name, else None."""
    return quadrant_in_name(sheet_name) or quadrant_in_name(file_name)


def quadrant_in_name(text: str | None) -> Quadrant | None:
    """Return the quadrant a sheet or file name names ("North West", "NE tracker",
    "SE_permanency.csv"), or None when it names none or more than one."""
    if not text:
        return None
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(text))  # "NorthWest", "nwTracker"
    found = set()
    for match in _QUADRANT_IN_NAME.finditer(spaced):
        ns = (match.group(1) or match.group(3))[0]
        ew = (match.group(2) or match.group(4))[0]
        found.add(DEFAULT_QUADRANTS[(ns + ew).lower()])
    return found.pop() if len(found) == 1 else None
