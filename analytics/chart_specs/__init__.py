"""Every chart, declared once: CHARTS maps a chart's name to its ChartSpec.

A spec holds the chart's query and drawing (`view`), its words, export columns, disclosure rule,
circulation redraw and speaker notes (analytics/chart_specs/spec.py). Pages, exports, the slide
pack, the drafted report, the command line and the benchmark look charts up here.

To add a chart: write its SQL (analytics/queries/NAME.sql and a function in queries), one module
here with its SPEC, add it to CHARTS below, and a test (README, "Layout").
"""

from __future__ import annotations

import pandas as pd

from analytics.chart_specs import (
    category_matrix,
    cohort_profile,
    finding_frequency,
    quadrant_comparison,
    response_mix,
    round_trend,
    theme_quadrant,
)
from analytics.chart_specs.spec import ChartSpec, ChartView, NotesContext

CHARTS: dict[str, ChartSpec] = {
    spec.name: spec
    for spec in (
        quadrant_comparison.SPEC,
        finding_frequency.SPEC,
        round_trend.SPEC,
        cohort_profile.SPEC,
        response_mix.SPEC,
        category_matrix.CATEGORY_MATRIX,
        category_matrix.CATEGORY_BY_QUADRANT,
        theme_quadrant.SPEC,
    )
}


def chart_notes(
    name: str, data: pd.DataFrame, shown: pd.DataFrame | None, context: NotesContext
) -> str:
    """Return the speaker notes for one chart (one sentence per line), from its numbers and,
    for circulation, the table as circulated."""
    sentences = CHARTS[name].notes(data.reset_index(drop=True), shown, context)
    return "\n".join(s for s in sentences if s)


__all__ = ["CHARTS", "ChartSpec", "ChartView", "NotesContext", "chart_notes"]
