"""Text that goes into exported files: characters XML cannot hold, and cutting at a boundary."""

from __future__ import annotations

import datetime as dt
import re

# Control characters that XML 1.0 (XLSX, PPTX) cannot hold; tab, newline and carriage return can.
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)]*\s")


def xml_safe(text: object) -> str:
    """Return the text without the control characters that XML cannot hold."""
    return ILLEGAL_XML.sub("", str(text))


def cut(text: str, limit: int) -> str:
    """Return text of at most `limit` characters, cut after a sentence where one ends late
    enough, else at a word, with an ellipsis where anything was left out."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[: limit - 1]  # room for the ellipsis
    ends = [m.end() for m in _SENTENCE_END.finditer(text[: limit - 1])]
    if ends and ends[-1] >= limit // 2:
        return text[: ends[-1]].rstrip() + " …"
    whole = text[len(head)].isspace()  # the cut falls between two words
    word = head if whole or " " not in head else head.rsplit(" ", 1)[0]
    return word.rstrip(" ,;:—–-") + "…"


def day_month_year(value: object) -> str:
    """Return a date as an exported file writes it: "6 Dec 2026" (no leading zero)."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not isinstance(day, dt.date):
        day = dt.date.fromisoformat(str(value)[:10])
    return f"{day.day} {day:%b %Y}"
