"""The one domain error of the analytics engine: a message a user can act on."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


class AuditDataError(Exception):
    """Raised for anything a user can fix: an unknown value, a missing store, a bad file."""


class UnknownValueError(AuditDataError):
    """A parameter value that is not one of the allowed ones."""

    def __init__(self, what: str, value: object, allowed: Iterable[object]):
        allowed_list = ", ".join(str(a) for a in allowed) or "(none loaded)"
        super().__init__(f"Unknown {what} {value!r}. Allowed: {allowed_list}.")
        self.what = what
        self.value = value
        self.allowed = list(allowed)


# The columns of an import's problem table, in the order a user reads them.
PROBLEM_COLUMNS: tuple[str, ...] = ("sheet", "row", "column", "value", "rule", "fix")


class ImportRefused(AuditDataError):
    """An import file that was refused: nothing was written; `problems` lists every reason.

    `problems` is a frame with PROBLEM_COLUMNS, one row per problem; `row` is the row number as
    Excel shows it (the header is row 1), empty for a problem with a whole file, sheet or column.
    """

    def __init__(self, file_name: str, problems: pd.DataFrame):
        count = len(problems)
        first = problems.iloc[0] if count else None
        where = ""
        if first is not None:
            parts = [str(first["sheet"])]
            if pd.notna(first["row"]):
                parts.append(f"row {int(first['row'])}")
            if pd.notna(first["column"]):
                parts.append(f"column {first['column']}")
            where = f" First: {', '.join(parts)}: {first['rule']}"
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            f"{file_name} was not imported ({count} {noun}; nothing was changed).{where}"
        )
        self.file_name = file_name
        self.problems = problems
