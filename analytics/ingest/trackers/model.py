"""A tracker mapping: how one QA team's spreadsheet layout becomes the data contract's rows.

A mapping is a small JSON file a person can read and edit. It names columns by their header
text (as the tracker shows it, two header rows joined by " / "), never by letter, so a column
moved next round still maps. One mapping holds a layout per sheet or CSV file of the tracker.
It is validated like any upload: size, shape, and every value against the contract's words.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from analytics.domain import GENDERS, GRADES, QUADRANTS, RESPONSES

FORMAT = "audit-insight/tracker-mapping/1"
MAX_MAPPING_BYTES = 256_000  # a mapping of 20 sheets × 60 columns is about 60 KB
# The contract fields a tracker column can give (the case reference becomes child_ref).
CASE_FIELDS: tuple[str, ...] = (
    "case_ref", "quadrant", "team", "audit_date", "gender", "age_band", "overall_grade",
)  # fmt: skip
REQUIRED_FIELDS: tuple[str, ...] = ("case_ref", "audit_date")  # and a quadrant, given somehow
FIELD_LABELS: dict[str, str] = {
    "case_ref": "case reference", "quadrant": "quadrant", "team": "team",
    "audit_date": "audit date", "gender": "gender", "age_band": "age band",
    "overall_grade": "overall grade",
}  # fmt: skip
BLANK_ANSWERS: tuple[str, ...] = ("not answered", "Not applicable")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
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
    if tuple(_literal.__args__) != tuple(_words):
        raise RuntimeError(f"the tracker mapping's words differ from the domain's: {_words}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SheetLayout(_Strict):
    """One sheet's (or CSV file's) layout: which column gives which field, standard, comment."""

    source: Text  # the sheet name, or the CSV file's name, the layout was made from
    headers: list[Text] = Field(max_length=500)  # every header, in order: recognises the layout
    fields: dict[Field_, Text] = Field(default_factory=dict)  # field -> header
    standards: dict[Text, Text] = Field(default_factory=dict, max_length=500)  # header -> question
    comments: dict[Text, Text] = Field(default_factory=dict, max_length=500)  # header -> question
    ignored: list[Text] = Field(default_factory=list, max_length=500)  # headers not imported
    quadrant: Quadrant | None = None  # the sheet's quadrant when no column gives it
    team: Text | None = None  # one team for the whole sheet when no column gives it


class TrackerMapping(_Strict):
    """A tracker's mapping: its layouts and what each word seen in its cells means."""

    format: Literal["audit-insight/tracker-mapping/1"] = FORMAT
    name: Text  # the tracker it was made for, e.g. "NW permanency tracker"
    theme_id: Text
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
    """Return the mapping a JSON file holds; raise MappingRefused naming each problem."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_MAPPING_BYTES:
        raise MappingRefused(
            source, [f"the file is {len(raw):,} bytes; a mapping is at most {MAX_MAPPING_BYTES:,}"]
        )
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MappingRefused(source, [f"not a JSON file: {error}"]) from None
    try:
        return TrackerMapping.model_validate(document)
    except ValidationError as error:
        reasons = [
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in error.errors()
        ]
        raise MappingRefused(source, reasons) from None
