"""Column headings the charts' exports share: (data column, heading)."""

from __future__ import annotations

QUESTION_COLUMNS = (("question_id", "Question"), ("text", "Standard"), ("category", "Category"))
ANSWER_COLUMNS = (("n", "n"), ("met", "Met"), ("partially_met", "Partially met"),
                  ("not_met", "Not met"))  # fmt: skip
SHARE_COLUMNS = (("pct_met", "pct met"), ("ci_low", "95% CI low (pct)"),
                 ("ci_high", "95% CI high (pct)"))  # fmt: skip
