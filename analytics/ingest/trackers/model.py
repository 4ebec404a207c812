"""A tracker mapping: how one QA team's spreadsheet layout becomes the data contract's rows.

A mapping is a small JSON file a person can read and edit. It names columns by their header
text (as the tracker shows it, two header rows joined by " / "), never by letter, so a column
moved next round still maps. One mapping holds a layout per sheet or CSV file of the tracker.
It is validated like any upload: size, shape, and every value against the contract's words.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from typing import Annotated, Final, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from analytics import unseen
from analytics.domain import GENDERS, GRADES, QUADRANTS, RESPONSES
from analytics.ingest.spec import ID_PATTERN

FORMAT: Final = "audit-insight/tracker-mapping/1"
MAX_MAPPING_BYTES = 256_000  # a mapping of 20 sheets × 60 columns is about 60 KB
# The contract fields a tracker column can give (the case reference becomes child_ref).
CASE_FIELDS: tuple[Field_, ...] = (
    "case_ref", "quadrant", "team", "audit_date", "gender", "age_band", "overall_grade",
)  # fmt: skip
REQUIRED_FIELDS: tuple[str, ...] = ("case_ref", "audit_date")  # and a quadrant, given somehow
FIELD_LABELS: dict[str, str] = {
    "case_ref": "case reference", "quadrant": "quadrant", "team": "team",
    "audit_date": "audit date", "gender": "gender", "age_band": "age band",
    "overall_grade": "overall grade",
}  # fmt: skip
BLANK_ANSWERS: tuple[str, ...] = ("not answered", "Not applicable")

# The deepest a mapping nests (mapping, layouts, a layout, its fields) is 4 levels.
MAX_DEPTH = 20
MAX_NUMBER_DIGITS = 30
MAX_REASONS = 20  # a refusal lists at most this many reasons, then how many more
_STORE_ID = re.compile(ID_PATTERN)  # how the store names its themes and questions


def _printable(text: str) -> str:
    control = unseen.IN_NAME.search(text)
    if control:
        raise PydanticCustomError(
            "control_character",
            "a control character ({code}) is not allowed",
            {"code": f"U+{ord(control.group()):04X}"},
        )
    return text


def _store_id(kind: str, example: str) -> Callable[[str], str]:
    """Return a validator of a store id: a theme's (kind "theme") or a question's."""

    def valid(text: str) -> str:
        if not _STORE_ID.fullmatch(text):
            raise PydanticCustomError(
                f"{kind}_id",
                "an id is letters, digits, '_', '-' or '.' (at most 64 characters), as the "
                f"store's {kind}s are named (e.g. {example})",
            )
        return text

    return valid


# Sheet and column names, words and names: text as shown, without control characters.
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    AfterValidator(_printable),
]
ThemeId = Annotated[
    str, StringConstraints(strip_whitespace=True), AfterValidator(_store_id("theme", "permanency"))
]
QuestionId = Annotated[
    str, StringConstraints(strip_whitespace=True), AfterValidator(_store_id("question", "PERM-01"))
]
Response = Literal["Met", "Partially met", "Not met", "Not applicable"]
Grade = Literal["Outstanding", "Good", "Requires improvement", "Inadequate"]
Gender = Literal["Female", "Male", "Not recorded"]
Quadrant = Literal["NW", "NE", "SW", "SE"]
Field_ = Literal[
    "case_ref", "quadrant", "team", "audit_date", "gender", "age_band", "overall_grade"
]

# The Literal types above repeat the domain's words: refuse to start if they drift apart.
for _literal, _words in ((Response, RESPONSES), (Grade, GRADES), (Gender, GENDERS),
                         (Quadrant, QUADRANTS), (Field_, CASE_FIELDS)):  # fmt: skip
    if tuple(get_args(_literal)) != tuple(_words):
        raise RuntimeError(f"the tracker mapping's words differ from the domain's: {_words}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SheetLayout(_Strict):
    """One sheet's (or CSV file's) layout: which column gives which field, standard, comment."""

    source: Text  # the sheet name, or the CSV file's name, the layout was made from
    headers: list[Text] = Field(max_length=500)  # every header, in order: recognises the layout
    fields: dict[Field_, Text] = Field(default_factory=dict)  # field -> header
    # header -> question id, for the answers' columns and the comments' columns
    standards: dict[Text, QuestionId] = Field(default_factory=dict, max_length=500)
    comments: dict[Text, QuestionId] = Field(default_factory=dict, max_length=500)
    ignored: list[Text] = Field(default_factory=list, max_length=500)  # headers not imported
    quadrant: Quadrant | None = None  # the sheet's quadrant when no column gives it
    team: Text | None = None  # one team for the whole sheet when no column gives it


class TrackerMapping(_Strict):
    """A tracker's mapping: its layouts and what each word seen in its cells means."""

    format: Literal["audit-insight/tracker-mapping/1"] = FORMAT
    name: Text  # the tracker it was made for, e.g. "NW permanency tracker"
    theme_id: ThemeId
    layouts: list[SheetLayout] = Field(min_length=1, max_length=50)
    # Words are matched ignoring case and surrounding spaces.
    answers: dict[Text, Response] = Field(default_factory=dict, max_length=200)
    blank_answer: Literal["not answered", "Not applicable"] = "not answered"
    grades: dict[Text, Grade] = Field(default_factory=dict, max_length=100)
    genders: dict[Text, Gender] = Field(default_factory=dict, max_length=100)
    quadrants: dict[Text, Quadrant] = Field(default_factory=dict, max_length=100)

    def to_json(self) -> str:
        """Return the mapping as the JSON file a person reads and edits."""
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"

    @property
    def digest(self) -> str:
        """Return a hash of what the mapping does (part of an import's identity): its name is
        left out, so a mapping renamed translates the same file to the same import."""
        content = self.model_dump(mode="json", exclude={"name"})
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


class MappingRefused(ValueError):
    """A mapping file that cannot be used: every reason, each naming where in the file."""

    def __init__(self, source: str, reasons: list[str]):
        self.source = source
        self.reasons = reasons
        super().__init__(f"the mapping {source} cannot be used: " + "; ".join(reasons))


def parse_mapping(data: bytes | str, source: str = "mapping.json") -> TrackerMapping:
    """Return the mapping a JSON file holds; raise MappingRefused naming each problem.

    The size is checked before anything is read; the JSON is read with no hooks that build
    objects, and refused when nested too deep, with a key twice in one object, NaN or
    Infinity, a huge number, or text that is not UTF-8; then every field is validated.
    """
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_MAPPING_BYTES:
        raise MappingRefused(
            source, [f"the file is {len(raw):,} bytes; a mapping is at most {MAX_MAPPING_BYTES:,}"]
        )
    try:
        document = _load_json(raw)
    except _NotAMapping as refused:
        raise MappingRefused(source, [str(refused)]) from None
    try:
        return TrackerMapping.model_validate(document)
    except ValidationError as error:
        reasons = [
            f"{'.'.join(_shown(str(p)) for p in e['loc']) or '(top)'}: {e['msg']}"
            for e in error.errors()
        ]
        if len(reasons) > MAX_REASONS:
            reasons = [*reasons[:MAX_REASONS], f"and {len(reasons) - MAX_REASONS:,} more"]
        raise MappingRefused(source, reasons) from None


class _NotAMapping(Exception):
    """The file is not JSON a mapping can be read from (the message says why)."""


_TOO_DEEP = f"the JSON is nested deeper than {MAX_DEPTH} levels"


def _load_json(raw: bytes) -> object:
    """Return the JSON document, read safely (see parse_mapping)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _NotAMapping(
            f"the file is not UTF-8 text (byte {error.start + 1:,} cannot be read): save it as "
            "UTF-8"
        ) from None
    try:
        document = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constant,
            parse_int=_bounded_int,
            parse_float=_finite_float,
        )
    except RecursionError:  # the decoder nests once per bracket: far too deep for a mapping
        raise _NotAMapping(_TOO_DEEP) from None
    except json.JSONDecodeError as error:
        raise _NotAMapping(f"not a JSON file: {error}") from None
    if _depth(document) > MAX_DEPTH:
        raise _NotAMapping(_TOO_DEEP)
    return document


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _NotAMapping(f'the key "{_shown(key)}" appears twice in one object')
        seen.add(key)
    return dict(pairs)


def _no_constant(name: str) -> object:
    raise _NotAMapping(f"{name} is not a JSON value")


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_NUMBER_DIGITS:
        raise _NotAMapping(f"a number of {digits:,} digits is not allowed in a mapping")
    return int(text)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NotAMapping(f"the number {text[:40]} is too large")
    return number


def _depth(document: object) -> int:
    """Return how deep lists and objects nest (counted without recursion)."""
    deepest, stack = 0, [(document, 1)]
    while stack and deepest <= MAX_DEPTH:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _shown(text: str) -> str:
    """Return text with control characters shown as their code (never sent to a terminal)."""
    return unseen.escape(text, unseen.IN_NAME)
