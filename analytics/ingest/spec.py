"""The import template's sheets and columns, and the rule that refuses personal-data columns.

One declaration serves the validator, the template workbook and the Data page's summary of the
contract, so the three cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from analytics.contract import SCHEMAS
from analytics.domain import GENDERS, GRADES, QUADRANTS, RESPONSES, ROUND_STATUSES

# Round and question ids become folder names and list entries: letters, digits, . _ - only.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
AUDIT_ID_MAX = 64
TEXT_MAX = 5000  # characters of any one value; a longer one is refused before any other check

# A reference (child_ref now; auditor and moderator ids later) is told from a name by its form:
# one word of letters, digits and . _ / -, holding a digit ("C-0001", "2024/017"). "Jayden",
# "JAYDEN", "j.smith", "Smith, J" and "JAYDEN-SMITH" are not references.
REFERENCE_RULE_TEXT = (
    "one word of letters, digits and . _ / - holding at least one digit (C-0001, PF-2024-017, "
    "2024/017, NW123); never a name"
)
_REFERENCE_CHARACTERS = re.compile(r"[A-Za-z0-9._/-]+")
# A date in any common form (2012-05-04, 04/05/2012, 4.5.12), perhaps with a time: where a
# reference belongs, it is a date of birth.
DATE_LIKE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2}))"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"
)
_ASCII_DIGIT = re.compile(r"[0-9]")


def looks_like_reference(value: str) -> bool:
    """Return whether a value has the form of a reference, not a name (REFERENCE_RULE_TEXT)."""
    if not _REFERENCE_CHARACTERS.fullmatch(value):
        return False
    return bool(_ASCII_DIGIT.search(value))


@dataclass(frozen=True)
class Column:
    """One column of an import sheet: whether each row needs a value, and what values fit."""

    name: str
    required: bool
    help: str
    kind: str = "text"  # text | id | date | choice (fixed list) | store (a list from the store)
    choices: tuple[str, ...] = ()
    # Formatted as Text in the template, so Excel keeps 5-9 an age band and 0012 an id.
    as_text: bool = False


SHEETS: dict[str, tuple[Column, ...]] = {
    "cases": (
        Column(
            "audit_id", True, "the audit tool's unique id for this case audit", "id", as_text=True
        ),
        Column("theme_id", True, "the theme audited (see the lists sheet)", "store"),
        Column(
            "round_id",
            True,
            "the audit round, e.g. 2021-03; a new id creates the round",
            "id",
            as_text=True,
        ),
        Column("quadrant", True, "the child's quadrant", "choice", QUADRANTS),
        Column("team", False, "the team holding the case, e.g. Looked After", as_text=True),
        Column(
            "child_ref",
            False,
            "a pseudonymous case reference, never a name or NHS number: " + REFERENCE_RULE_TEXT,
            as_text=True,
        ),
        Column("audit_date", True, "the date of the audit, YYYY-MM-DD", "date"),
        Column("gender", False, "the child's gender", "choice", GENDERS),
        Column(
            "age_band", False, "the child's age band, e.g. 5-9 or 18+", "age_band", as_text=True
        ),
        Column("overall_grade", False, "the case's overall grade", "choice", GRADES),
    ),
    "responses": (
        Column("audit_id", True, "the audit_id of a case on the cases sheet", "id", as_text=True),
        Column(
            "question_id",
            True,
            "a question of the case's theme (see the lists sheet)",
            "store",
            as_text=True,
        ),
        Column("response", True, "the answer to the question", "choice", RESPONSES),
        Column("comment", False, "the auditor's comment: no names or contact details"),
    ),
    "rounds": (
        Column("theme_id", True, "the theme (see the lists sheet)", "store"),
        Column("round_id", True, "the round's id, e.g. 2021-03", "id", as_text=True),
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
        Column("question_id", True, "the question's id, e.g. PS-01", "id", as_text=True),
        Column("text", True, "the practice standard, as the audit tool words it"),
        Column("category", True, "the cross-cutting practice area (see the lists sheet)", "store"),
        Column("seed_finding", False, "optional: the finding this standard reports on"),
    ),
}
SHEET_ORDER: tuple[str, ...] = ("cases", "responses", "rounds", "questions")
# The template's question drop-down offers "PERM-05 · The child's plan is reviewed": the import
# keeps the part before the separator, so an id typed alone works too.
QUESTION_CHOICE_SEPARATOR = " · "
QUESTION_CHOICE_WORDS = 120  # characters of wording shown in a drop-down choice


def question_choice(question_id: str, text: object) -> str:
    """Return a question as the template's drop-down offers it: "ID · wording"."""
    words = " ".join(str(text).split()) if isinstance(text, str) and text.strip() else ""
    if len(words) > QUESTION_CHOICE_WORDS:
        words = words[: QUESTION_CHOICE_WORDS - 1].rstrip() + "…"
    return f"{question_id}{QUESTION_CHOICE_SEPARATOR}{words}" if words else question_id


REQUIRED_SHEETS: tuple[str, ...] = ("cases", "responses")

# Every template column is a contract column of the table the sheet loads.
if not all({c.name for c in cols} <= set(SCHEMAS[sheet].names) for sheet, cols in SHEETS.items()):
    raise RuntimeError("an import template column is not in the data contract")


def normalise_header(header: object) -> str:
    """Return a header as a column name: 'Audit ID ' and 'AuditID' -> 'audit_id'."""
    return "_".join(header_words(header))


def header_words(header: object) -> list[str]:
    """Return a header's words, lower case: 'DateOfBirth' -> date, of, birth; 'AddressLine1' ->
    address, line, 1; 'NHSNumber' -> nhs, number."""
    text = str(header).strip()
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)  # camelCase
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)  # NHSNumber
    text = re.sub(r"([A-Za-z])(\d)|(\d)([A-Za-z])", r"\1\3 \2\4", text)  # Address1, 1stName
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


# Personal data, by what a column header says it holds. Each rule looks at the header's words
# (split at spaces, punctuation, camelCase and digits) or, for words no column name of the
# template contains, anywhere in the header squashed to letters ('homephone', 'postcode1').
# First match wins: an email address is an email, not an address.
_PERSONAL_WORDS: tuple[tuple[str, frozenset[str], tuple[str, ...]], ...] = (
    ("an email address", frozenset({"email"}), ("email",)),
    (
        "a date of birth",
        frozenset({"dob", "birth", "birthday", "birthdate", "born", "dateofbirth"}),
        ("birth", "dateofbirth"),
    ),
    ("a postcode", frozenset({"postcode", "zip"}), ("postcode", "postalcode", "zipcode")),
    ("an address", frozenset({"address", "addr", "street"}), ("address", "street", "housenumber")),
    ("an NHS number", frozenset({"nhs", "nhsno"}), ("nhs",)),
    (
        "a phone number",
        frozenset({"phone", "telephone", "tel", "mobile", "landline"}),
        ("phone", "mobile", "landline", "contactnumber"),
    ),
    (
        "a National Insurance number",
        frozenset({"nino", "ni"}),
        ("nationalinsurance", "ninumber", "nino"),
    ),
    ("a pupil number", frozenset({"upn"}), ("uniquepupilnumber", "upn")),
    (
        "a person's name",
        frozenset({"name", "names", "surname", "forename", "forenames", "initials", "firstname"}),
        (
            "surname", "forename", "firstname", "lastname", "givenname", "familyname",
            "fullname", "middlename", "maidenname", "nickname", "knownas", "preferredname",
            "legalname",
        ),
    ),
)  # fmt: skip
# "<something> name" is personal unless the something is an organisation or a thing.
_NOT_A_PERSON = re.compile(
    r"(team|theme|round|question|service|unit|area|quadrant|locality|tool|file|sheet|category|"
    r"school|setting|provider|placement|agency|authority|organisation|organization|project|"
    r"form|document|audit|tab|field|column)names?$"
)
# Words that hold a personal-data word by chance, so the squashed check must not see them.
_NOT_PERSONAL_WORDS = frozenset({"response", "responses", "addressed", "addressing"})
# A short header that is only a person's role ("Social worker", "Foster carer", "IRO",
# "Allocated SW", "Child's social worker") heads a column of people, whatever its cells hold.
# "Social work team" and "Worker visits recorded" do not end in a role; "Seen by IRO" and
# "Placed with parents" end in one but say something of it (a yes/no), so their cells decide.
# A longer header is a sentence (a standard's wording, "... agreed with the carer").
PEOPLE_BY_ROLE = "people's names (staff, carers or family)"
PERSON_ROLES = frozenset({
    "worker", "workers", "caseworker", "sw", "manager", "managers", "tm", "iro", "officer",
    "practitioner", "supervisor", "adviser", "advisor", "carer", "carers", "guardian",
    "mother", "father", "parent", "parents", "mum", "dad", "sibling", "siblings", "relative",
    "grandparent", "friend", "teacher", "gp",
})  # fmt: skip
_ROLE_HEADER_WORDS = 4
# Words that may stand before a role in the name of a column of people: whose, and which role.
ROLE_QUALIFIERS = frozenset({
    "allocated", "assigned", "named", "lead", "key", "link", "main", "current", "previous",
    "former", "new", "social", "foster", "supervising", "personal", "independent", "reviewing",
    "family", "support", "team", "case", "practice", "senior", "student", "assistant",
    "deputy", "designated", "birth", "kinship", "connected", "child", "childs", "yp", "young",
    "person", "persons", "s", "and", "or", "their", "first", "second", "1st", "2nd",
})  # fmt: skip


def is_role_header(header: str) -> bool:
    """Return whether a header is a person's role alone ("Supervising social worker"), the name
    of a column of people, not something said of them ("Seen by IRO")."""
    named = [w for w in header_words(header) if not w.isdigit()]  # "Carer 2" is a carer
    return (
        0 < len(named) <= _ROLE_HEADER_WORDS
        and named[-1] in PERSON_ROLES
        and all(w in ROLE_QUALIFIERS or w in PERSON_ROLES for w in named[:-1])
    )


def ends_in_role(header: str) -> bool:
    """Return whether a header's last word is a person's role ("Seen by IRO"): its cells decide
    whether it holds people's names."""
    named = [w for w in header_words(header) if not w.isdigit()]
    return bool(named) and named[-1] in PERSON_ROLES


def personal_data_reason(header: str) -> str | None:
    """Return what personal data a column header says the column holds, or None."""
    words = header_words(header)
    squashed = "".join(w for w in words if w not in _NOT_PERSONAL_WORDS and not w.isdigit())
    for what, exact, inside in _PERSONAL_WORDS:
        named = what == "a person's name"
        if named and _NOT_A_PERSON.search(squashed):
            continue
        if exact & set(words) or any(part in squashed for part in inside):
            return what
        if named and squashed.endswith(("name", "names")):  # ChildName, carer_name, ParentName
            return what
    if squashed.startswith("dob") or squashed.endswith("dob") or "".join(words) == "dob":
        return "a date of birth"  # DoB, ChildDoB, D.O.B.
    return PEOPLE_BY_ROLE if is_role_header(header) else None


# Personal data inside values: a comment or child_ref that holds contact details or an NHS
# number. Names cannot be recognised reliably in free text; the instructions ask for none.
# Each pattern finds candidates; `confirm` (where given) keeps only the real ones, so a short
# regex can run over every value and only the few that match are looked at one by one.
# Every pattern is linear in the text: each match starts only where a word or number starts
# (a lookbehind or \b), and what it may consume is bounded, so no start re-reads the rest of the
# text (one unbounded `[\w.+-]+@` made a 100,000-character cell take 32 s).
_ORDINAL = re.compile(r"\d(st|nd|rd|th)$", re.IGNORECASE)
POSTCODE = r"\b[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2}\b"
NHS_NUMBER = r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b"


def is_nhs_number(digits: str) -> bool:
    """Return whether ten digits pass the NHS number's modulus 11 check."""
    digits = re.sub(r"\D", "", digits)
    if len(digits) != 10 or len(set(digits)) == 1:  # 0000000000 passes the sum, but is no one
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return (0 if check == 11 else check) == int(digits[9]) and check != 10


def _confirm_postcode(text: str) -> bool:
    # Upper case is a postcode as written; in lower or mixed case, "q2 2nd" is a quarter and an
    # ordinal, not a postcode, so an inward code that reads as an ordinal is let through.
    for match in re.finditer(POSTCODE, text):
        found = match.group(0)
        if found == found.upper() or not _ORDINAL.search(found[-3:]):
            return True
    return False


def _confirm_nhs(text: str) -> bool:
    # Spaced (943 476 5919) is how an NHS number is written; ten digits in a row are one only
    # when the check digit agrees (most other 10-digit references fail it).
    for match in re.finditer(NHS_NUMBER, text):
        found = match.group(0)
        if re.fullmatch(r"\d{3}[ -]\d{3}[ -]\d{4}", found) or is_nhs_number(found):
            return True
    return False


EMAIL = r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}"
# A UK number as written: +44 / 0044 (and "(0)"), or 0, or (0 with the area code in brackets,
# then groups of digits with single spaces, dashes or a bracket between them. The digits decide
# (_is_uk_phone): 07700 900123, +44 (0)1632 960001, (020) 7946 0000, 0044 20 7946 0000.
PHONE = r"(?<![\w+(])(?:(?:\+|00)44[ -]?(?:\(0\)[ -]?)?|\(0|0)\d{1,5}(?:\)?[ -]?\d{2,6}){0,3}(?!\d)"


def _is_uk_phone(found: str) -> bool:
    # A UK number is 0 and ten digits, the second digit 1, 2, 3, 5, 7 or 8 (geographic, mobile,
    # non-geographic); "1 2 3" after it ("call 07700 900123 2 times") is not part of it.
    international = found.startswith(("+", "00"))
    digits = ""
    for group in re.findall(r"\d+", found):
        digits += group
        national = digits
        if international:
            national = "0" + digits.removeprefix("00").removeprefix("44").removeprefix("0")
        if len(national) == 11 and national[0] == "0" and national[1] in "123578":
            return True
    return False


def _confirm_phone(text: str) -> bool:
    return any(_is_uk_phone(match.group(0)) for match in re.finditer(PHONE, text))


VALUE_PATTERNS: tuple[tuple[str, str, Callable[[str], bool] | None], ...] = (
    (EMAIL, "an email address", None),
    (POSTCODE, "a postcode", _confirm_postcode),
    (NHS_NUMBER, "an NHS number", _confirm_nhs),
    (PHONE, "a phone number", _confirm_phone),
)
# Every pattern at once: one pass over each value; only the few that match are told apart.
VALUE_SCAN = "|".join(f"(?:{pattern})" for pattern, _, _ in VALUE_PATTERNS)
MASK = "•"
# Any run of six or more digits (spaces, brackets and dashes between them) is masked too: a
# number written in a way the patterns above do not know is still not repeated.
_LONG_NUMBER = r"(?<![\d+(])[+(]?\d[\d ()-]{4,}\d"  # one start per run: linear


def _mask_span(text: str, keep_first: int = 1, keep_last: int = 2) -> str:
    """Return text with its letters and digits hidden but the first and last few."""
    places = [i for i, ch in enumerate(text) if ch.isalnum()]
    shown = set(places[:keep_first]) | set(places[len(places) - keep_last :] if keep_last else ())
    if len(places) <= keep_first + keep_last:  # too short to show any of it
        shown = set()
    hidden = set(places) - shown  # once, not once per character
    return "".join(MASK if i in hidden else ch for i, ch in enumerate(text))


def mask_personal(text: object) -> object:
    """Return a flagged value with the personal data in it masked ("(01632) 960001" ->
    "(0••••) ••••01"), so a problem message never repeats it; other words stay to find it by."""
    if not isinstance(text, str):
        return text
    for pattern in (*(p for p, _, _ in VALUE_PATTERNS), _LONG_NUMBER):
        text = re.sub(pattern, lambda m: _mask_span(m.group(0)), text)
    return text


def mask_whole(text: object, initials: bool = True) -> object:
    """Return a value that is personal as a whole masked: a name but for each word's initial
    ("Jane Smith" -> "J••• S••••"), a date of birth entirely ("••••-••-••")."""
    if not isinstance(text, str):
        return text
    keep = 1 if initials else 0
    return re.sub(r"[^\W_]+", lambda m: _mask_span(m.group(0), keep_first=keep, keep_last=0), text)


# The columns whose values are checked for personal data: free text and references.
VALUE_CHECKED_COLUMNS: tuple[str, ...] = ("child_ref", "comment", "team", "label")
# A cell of two or more capitalised words reads as a person's name ("Jane Smith"): a tracker
# column of such cells under an auditor's or a person's header is refused.
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
    "round_completeness": "a theme x round an import loaded: its standards answered",
    "round_acceptances": "an analyst's acceptance of an incomplete round",
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
