"""The import template's sheets and columns, and the rule that refuses personal-data columns.

One declaration serves the validator, the template workbook and the Data page's summary of the
contract, so the three cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from analytics.contract import SCHEMAS
from analytics.domain import GENDERS, GRADES, QUADRANTS, RESPONSES, ROUND_STATUSES

# Round and question ids become folder names and list entries: letters, digits, . _ - only.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
AUDIT_ID_MAX = 64
TEXT_MAX = 5000


@dataclass(frozen=True)
class Column:
    """One column of an import sheet: whether each row needs a value, and what values fit."""

    name: str
    required: bool
    help: str
    kind: str = "text"  # text | id | date | choice (fixed list) | store (a list from the store)
    choices: tuple[str, ...] = ()


SHEETS: dict[str, tuple[Column, ...]] = {
    "cases": (
        Column("audit_id", True, "the audit tool's unique id for this case audit", "id"),
        Column("theme_id", True, "the theme audited (see the lists sheet)", "store"),
        Column("round_id", True, "the audit round, e.g. 2021-03; a new id creates the round", "id"),
        Column("quadrant", True, "the child's quadrant", "choice", QUADRANTS),
        Column("team", False, "the team holding the case, e.g. Looked After"),
        Column("child_ref", False, "a pseudonymous case reference, never a name or NHS number"),
        Column("audit_date", True, "the date of the audit, YYYY-MM-DD", "date"),
        Column("gender", False, "the child's gender", "choice", GENDERS),
        Column("age_band", False, "the child's age band, e.g. 5-9 or 18+", "age_band"),
        Column("overall_grade", False, "the case's overall grade", "choice", GRADES),
    ),
    "responses": (
        Column("audit_id", True, "the audit_id of a case on the cases sheet", "id"),
        Column(
            "question_id", True, "a question of the case's theme (see the lists sheet)", "store"
        ),
        Column("response", True, "the answer to the question", "choice", RESPONSES),
        Column("comment", False, "the auditor's comment: no names or contact details"),
    ),
    "rounds": (
        Column("theme_id", True, "the theme (see the lists sheet)", "store"),
        Column("round_id", True, "the round's id, e.g. 2021-03", "id"),
        Column("label", False, "how the round is named on screen, e.g. March 2021"),
        Column("start_date", False, "first day of the round, YYYY-MM-DD", "date"),
        Column("end_date", False, "last day of the round, YYYY-MM-DD", "date"),
        Column(
            "status",
            False,
            "the round's status (complete if it holds cases)",
            "choice",
            ROUND_STATUSES,
        ),
    ),
    "questions": (
        Column("theme_id", True, "the theme whose audit tool this question belongs to", "store"),
        Column("question_id", True, "the question's id, e.g. PS-01", "id"),
        Column("text", True, "the practice standard, as the audit tool words it"),
        Column("category", True, "the cross-cutting practice area (see the lists sheet)", "store"),
        Column("seed_finding", False, "optional: the finding this standard reports on"),
    ),
}
SHEET_ORDER: tuple[str, ...] = ("cases", "responses", "rounds", "questions")
REQUIRED_SHEETS: tuple[str, ...] = ("cases", "responses")

# Every template column is a contract column of the table the sheet loads.
assert all(
    {c.name for c in columns} <= set(SCHEMAS[sheet].names) for sheet, columns in SHEETS.items()
)


def normalise_header(header: object) -> str:
    """Return a header as a column name: 'Audit ID ' -> 'audit_id'."""
    return re.sub(r"[^a-z0-9]+", "_", str(header).strip().lower()).strip("_")


# Personal data, by what a column header says it holds. Tokens are the header's words joined by
# underscores, so "Date of Birth", "DOB" and "child_dob" all match.
_PERSONAL: tuple[tuple[str, str], ...] = (
    # First match wins: email_address is an email, not an address.
    (r"(^|_)(e_?mail|email_?address)(_|$)", "an email address"),
    (r"(^|_)(d_o_b|dob|date_of_birth|birth_?date|birthday|born)(_|$)", "a date of birth"),
    (r"(^|_)(post_?code|postal_code|zip_?code|zip)(_|$)", "a postcode"),
    (r"(^|_)(address|addr|street|home_address|house_number)(_|$)", "an address"),
    (r"(^|_)nhs(_|$|no|num)", "an NHS number"),
    (r"(^|_)(phone|telephone|tel|mobile|phone_?number|contact_?number)(_|$)", "a phone number"),
    (r"(^|_)(ni_?number|ni_?no|nino|national_insurance)(_|$)", "a National Insurance number"),
    (r"(^|_)(upn|unique_pupil_number)(_|$)", "a pupil number"),
    (
        r"(^|_)(names?|surname|forenames?|first_?name|last_?name|given_?names?|family_?name|"
        r"full_?name|middle_?names?|maiden_?name|known_as|nick_?name|initials)(_|$)",
        "a person's name",
    ),
)
# "<something>_name" is personal unless the something is an organisation or a thing.
_NOT_A_PERSON = re.compile(
    r"^(team|theme|round|question|service|unit|area|quadrant|locality|tool|file|sheet|category)"
    r"_names?$"
)


def personal_data_reason(header: str) -> str | None:
    """Return what personal data a column header says the column holds, or None."""
    name = normalise_header(header)
    if _NOT_A_PERSON.match(name):
        return None
    for pattern, what in _PERSONAL:
        if re.search(pattern, name):
            return what
    return None


# Personal data inside values: a comment or child_ref that holds contact details or an NHS
# number. Names cannot be recognised reliably in free text; the instructions ask for none.
VALUE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"[\w.+-]+@[\w-]+\.[\w.-]+", "an email address"),
    (r"\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}\b", "a postcode"),
    (r"\b\d{3}[ -]\d{3}[ -]\d{4}\b", "an NHS number"),
    (r"(?:\+44\s?|\b0)(?:7\d{3} ?\d{6}|\d{2,4} ?\d{3} ?\d{3,4})\b", "a phone number"),
)
# A child_ref that is two or more capitalised words is a name, not a pseudonymous reference.
NAME_LIKE = r"^[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)+$"


def contract_summary() -> pd.DataFrame:
    """Return one row per import-template column: sheet, column, needed, what it holds, values."""
    rows = []
    for sheet in SHEET_ORDER:
        for column in SHEETS[sheet]:
            allowed = ", ".join(column.choices)
            if column.kind == "store":
                allowed = "see the lists sheet (from the store)"
            elif column.kind == "date":
                allowed = "YYYY-MM-DD"
            elif column.kind == "id":
                allowed = "letters, digits, . _ -"
            rows.append(
                {
                    "sheet": sheet,
                    "column": column.name,
                    "needed": "every row" if column.required else "optional",
                    "holds": column.help,
                    "allowed values": allowed,
                }
            )
    return pd.DataFrame(rows)


def sheet_summary() -> pd.DataFrame:
    """Return one row per template sheet: whether it is needed and what one row is."""
    what = {
        "cases": "one audited case (one child's case file in one round)",
        "responses": "one answer: a case x a question of its theme",
        "rounds": "a new round's label, dates and status (else made from the audit dates)",
        "questions": "a new or revised audit tool question (loads a planned theme)",
    }
    return pd.DataFrame(
        [
            {
                "sheet": sheet,
                "needed": "yes" if sheet in REQUIRED_SHEETS else "optional",
                "one row is": what[sheet],
            }
            for sheet in SHEET_ORDER
        ]
    )


# What one row of each store table is (the tables themselves come from analytics.contract).
TABLE_GRAIN: dict[str, str] = {
    "themes": "a theme (thematic audit)",
    "rounds": "a theme x audit round",
    "questions": "a question (practice standard) of a theme's audit tool",
    "cases": "an audited case",
    "responses": "a case x question answer",
    "actions": "an action or recommendation",
    "quotes": "a quote from the audit",
    "imports": "an import of audit rounds (the history)",
}


def store_tables() -> pd.DataFrame:
    """Return one row per store table: its grain, key columns and every column with its type."""
    from analytics.contract import PARTITION_COLUMNS, PARTITIONED_TABLES, duckdb_type

    rows = []
    for table, schema in SCHEMAS.items():
        rows.append(
            {
                "table": table,
                "one row per": TABLE_GRAIN.get(table, ""),
                "columns": ", ".join(f"{f.name} ({duckdb_type(f.type).lower()})" for f in schema),
                "stored as": (
                    "Parquet, one folder per " + " and ".join(PARTITION_COLUMNS)
                    if table in PARTITIONED_TABLES
                    else "Parquet"
                ),
            }
        )
    return pd.DataFrame(rows)


def allowed_values() -> pd.DataFrame:
    """Return the fixed vocabularies an import is checked against, one row per column."""
    from analytics.domain import QUADRANT_LABELS

    quadrants = ", ".join(f"{code} ({label})" for code, label in QUADRANT_LABELS.items())
    return pd.DataFrame(
        [
            {"column": "quadrant", "allowed values": quadrants},
            {"column": "response", "allowed values": ", ".join(RESPONSES)},
            {"column": "overall_grade", "allowed values": ", ".join(GRADES)},
            {"column": "gender", "allowed values": ", ".join(GENDERS)},
            {"column": "rounds.status", "allowed values": ", ".join(ROUND_STATUSES)},
            {"column": "dates", "allowed values": "YYYY-MM-DD (ISO 8601), or an Excel date cell"},
        ]
    )
