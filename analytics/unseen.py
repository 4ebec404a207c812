"""Characters that must never pass unseen: control characters and the bidirectional marks.

One definition for the importer's values, a mapping's names and the terminal. A control
character can hide text, recolour a terminal (ANSI escapes) or end a string early (NUL); a
bidirectional mark shows text in another order than it is stored ("ok \u202egnp.exe" shows as
"ok exe.png"). Each is shown as its escape (\\x1b, \\u202e), never as itself.
"""

from __future__ import annotations

import re

_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
# In a value (a comment, a cell): C0 but tab, newline and carriage return; DEL; C1; bidi marks.
IN_VALUE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")
# In a one-line name (a mapping's headers and ids): line breaks and tabs too.
IN_NAME = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
# On a terminal: a carriage return too (it rewrites the line); tab and newline lay text out.
ON_TERMINAL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")


def escape(text: str, unseen: re.Pattern[str] = IN_VALUE) -> str:
    """Return text with each character `unseen` matches as its escape ("a\x00b" -> "a\\x00b")."""
    return unseen.sub(lambda match: escaped(match.group()), text)


def escaped(character: str) -> str:
    """Return one character's escape: \\r for a carriage return, \\xNN, or \\uNNNN."""
    code = ord(character)
    if code == 0x0D:
        return "\\r"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
