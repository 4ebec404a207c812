"""Disclosure control, used alike by the screen, the exports and the drafted report.

suppression: small counts become "c", with whatever would give them back (each chart's Rule).
circulation: a chart as circulated, its words and figure made again from the suppressed table.
"""

from __future__ import annotations

from analytics.disclosure.circulation import (
    actions_for_circulation,
    export_view,
    overview_for_circulation,
    stamp_text,
    stamped,
)
from analytics.disclosure.suppression import SUPPRESSED, for_circulation, mode_text

__all__ = [
    "SUPPRESSED",
    "actions_for_circulation",
    "export_view",
    "for_circulation",
    "mode_text",
    "overview_for_circulation",
    "stamp_text",
    "stamped",
]
