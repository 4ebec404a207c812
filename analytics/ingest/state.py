"""What the store holds that an import is checked against: themes, rounds, questions, cases."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analytics.catalogue import category_order
from analytics.store import Store


@dataclass
class StoreState:
    """What the store holds that an import is checked against."""

    themes: pd.DataFrame  # theme_id, title, status
    rounds: pd.DataFrame  # the rounds table
    questions: pd.DataFrame  # the questions table
    loaded: pd.DataFrame  # theme_id, round_id, cases: rounds that hold cases
    categories: list[str]
    store: Store

    def stored_audit_ids(self, ids: list[str]) -> pd.DataFrame:
        """Return audit_id, theme_id, round_id of the given audit ids already in the store."""
        return self.store.query(
            "SELECT audit_id, theme_id, round_id FROM cases "
            "WHERE audit_id IN (SELECT unnest($ids::VARCHAR[]))",
            {"ids": ids},
        )


def store_state(store: Store) -> StoreState:
    """Return the themes, rounds, questions and loaded rounds an import is checked against."""
    questions = store.query("SELECT * FROM questions ORDER BY theme_id, question_id")
    known = category_order()
    extra = sorted(set(questions["category"].dropna()) - set(known))
    rounds = store.query("SELECT * FROM rounds ORDER BY theme_id, start_date, round_id")
    for column in ("start_date", "end_date"):  # compared with the file's dates as date objects
        rounds[column] = rounds[column].dt.date.astype(object).where(rounds[column].notna(), None)
    return StoreState(
        themes=store.query("SELECT theme_id, title, status FROM themes ORDER BY sort_order"),
        rounds=rounds,
        questions=questions,
        loaded=store.query(
            "SELECT theme_id, round_id, count(*) AS cases FROM cases GROUP BY ALL ORDER BY ALL"
        ),
        categories=known + extra,
        store=store,
    )
