"""How wide text set in Arial is, and where it wraps: so slides size titles and tables to fit.

Widths are Arial's advance widths (Liberation Sans, which LibreOffice substitutes, has the same),
in 1/1000 em, for the printable ASCII characters from space to tilde, regular and bold.
"""

from __future__ import annotations

from typing import Final

ARIAL: Final = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
)  # fmt: skip
ARIAL_BOLD: Final = (
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
)  # fmt: skip
# Punctuation the product writes; any other character counts as a wide letter (an M).
OTHERS: Final = {"…": 1000, "·": 278, "—": 1000, "–": 556, "−": 584, "•": 350, "“": 500,
                 "”": 500, "‘": 278, "’": 278}  # fmt: skip
WIDE: Final = 833
# A line of text takes about 1.15 em (Arial's ascent and descent); 1.2 leaves room to spare.
LINE_HEIGHT: Final = 1.2


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Return the width in points of one line of text in Arial at `size` points."""
    table = ARIAL_BOLD if bold else ARIAL
    units = 0
    for character in text:
        code = ord(character)
        units += table[code - 32] if 32 <= code < 127 else OTHERS.get(character, WIDE)
    return units * size / 1000


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """Return the lines text breaks into at word boundaries in a box `width` points wide (a word
    longer than the width keeps a line of its own, as PowerPoint would break it)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and text_width(candidate, size, bold) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def lines_needed(text: str, width: float, size: float, bold: bool = False) -> int:
    """Return how many lines text takes in a box `width` points wide, counting a word wider than
    the box as the lines it is broken over."""
    return sum(
        max(1, -(-int(text_width(line, size, bold)) // max(int(width), 1)))
        for line in wrap(text, width, size, bold)
    )
