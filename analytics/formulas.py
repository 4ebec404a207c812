"""Text written into a spreadsheet cell (an export, the import's problem list) that a
spreadsheet will not run as a formula."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Return text a spreadsheet will not run: a leading quote before =, +, -, @, tab or CR."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
