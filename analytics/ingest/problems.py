"""The problem table of an import (one row per problem: sheet, Excel row, column, value, rule,
fix), and the sheets the problems point into."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.errors import PROBLEM_COLUMNS

ROW = "_row"  # the column holding each row's number as Excel shows it


@dataclass
class Sheet:
    """One table read from the file: its cells as text, with the Excel row number in `_row`."""

    table: str  # cases | responses | rounds | questions
    label: str  # where the user finds it: the sheet name, or the CSV file name
    frame: pd.DataFrame
    headers: dict[str, str] = field(default_factory=dict)  # column name -> header as typed
    is_csv: bool = False
    header_found: bool = True  # False: no row holds the template's column names
    # A sheet translated from a tracker (analytics.ingest.trackers.apply) combines rows of several
    # tracker sheets: a problem names the tracker's sheet of its row and the tracker's header of
    # the column (one header, or one per row), and skips the cells the translation already
    # reported (column -> mask of rows), so a mistake is reported once, in the user's words.
    row_labels: pd.Series | None = None  # per row: the tracker sheet's label
    column_labels: dict[str, str | pd.Series] = field(default_factory=dict)
    reported: dict[str, np.ndarray] = field(default_factory=dict)


class Problems:
    """The problem table under construction: one frame per check, joined at the end."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def extend(self, other: Problems) -> None:
        """Add every problem of `other` (its parts are shared, never modified)."""
        self._parts.extend(other._parts)

    def add(
        self,
        sheet: Sheet,
        mask: pd.Series | np.ndarray,
        column: str,
        rule: str | pd.Series,
        fix: str | pd.Series,
        values: pd.Series | None = None,
    ) -> None:
        """Add one problem per row of `sheet` where `mask` is true."""
        mask = np.asarray(mask, dtype=bool)
        if column in sheet.reported:
            mask = mask & ~sheet.reported[column]
        if not mask.any():
            return
        frame = sheet.frame
        if values is None:
            values = frame[column] if column in frame else pd.Series(None, index=frame.index)
        label = sheet.column_labels.get(column, column)
        part = pd.DataFrame(
            {
                "sheet": (
                    sheet.label if sheet.row_labels is None else sheet.row_labels.to_numpy()[mask]
                ),
                "row": frame[ROW][mask].to_numpy(),
                "column": label.to_numpy()[mask] if isinstance(label, pd.Series) else label,
                "value": np.asarray(values, dtype=object)[mask],
                "rule": rule[mask].to_numpy() if isinstance(rule, pd.Series) else rule,
                "fix": fix[mask].to_numpy() if isinstance(fix, pd.Series) else fix,
            }
        )
        self._parts.append(part)

    def add_rows(self, part: pd.DataFrame) -> None:
        """Add problems given as rows: sheet, row, column, value, rule, fix (any may vary)."""
        if len(part):
            self._parts.append(part[list(PROBLEM_COLUMNS)])

    def add_one(
        self, sheet: str, row: int | None, column: str | None, value: object, rule: str, fix: str
    ) -> None:
        """Add one problem (with a whole file, sheet or column when row is None)."""
        self._parts.append(
            pd.DataFrame(
                [
                    {
                        "sheet": sheet,
                        "row": row,
                        "column": column,
                        "value": value,
                        "rule": rule,
                        "fix": fix,
                    }
                ]
            )
        )

    def __bool__(self) -> bool:
        return any(len(part) for part in self._parts)

    def frame(self, sheet_order: Mapping[str, int]) -> pd.DataFrame:
        """Return every problem: file problems first, then by sheet and Excel row."""
        if not self:
            return empty_problems()
        table = pd.concat([p for p in self._parts if len(p)], ignore_index=True)
        table["row"] = pd.array(table["row"], dtype="Int64")
        table["value"] = table["value"].map(_show_value).astype(object)
        rank = table["sheet"].map(sheet_order).fillna(-1)
        table = table.assign(_rank=rank).sort_values(
            ["_rank", "row"], kind="stable", na_position="first"
        )
        return table.drop(columns="_rank").reset_index(drop=True)[list(PROBLEM_COLUMNS)]


def empty_problems() -> pd.DataFrame:
    """Return a problem table with no rows."""
    return pd.DataFrame(
        {c: pd.Series(dtype="Int64" if c == "row" else object) for c in PROBLEM_COLUMNS}
    )


def _show_value(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "..."


def check_duplicates(
    sheet: Sheet,
    values: pd.DataFrame,
    keys: list[str],
    problems: Problems,
    rule: str,
    fix: str,
) -> None:
    """Flag every repeat of a key after its first row, naming the row it first appears on."""
    complete = values[keys].notna().all(axis=1)
    repeat = values[keys].duplicated(keep="first") & complete
    if repeat.any():
        first = values[complete].groupby(keys, sort=False)[ROW].transform("min")
        where = " (first on row " + first.reindex(values.index).astype("Int64").astype(str) + ")"
        problems.add(sheet, repeat, keys[-1], rule + where, fix)
