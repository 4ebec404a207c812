"""What a dashboard replica does in the several-machines tests, run in a spawned child process (a
fresh Python, as another machine's replica would be): read a page, import a round at the same
time as the other replica, then read the next page."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # a spawned child starts without the tests folder

from ingest_helpers import ANALYST, round_tables, xlsx

ALPHA_QUESTIONS = ["Q1", "Q2"]
ROUND_COUNTS_SQL = (
    "SELECT c.round_id, count(DISTINCT c.audit_id) AS cases, count(r.question_id) AS answers "
    "FROM cases c LEFT JOIN responses r USING (theme_id, round_id, audit_id) "
    "WHERE c.round_id IN $rounds GROUP BY 1 ORDER BY 1"
)


def round_counts(store, round_ids: list[str]) -> list[list]:
    """[round, cases, answers] for each of these rounds that holds cases, read from the store."""
    return store.query(ROUND_COUNTS_SQL, {"rounds": list(round_ids)}).values.tolist()


def replica(setting: str, round_id: str, rounds: list[str], barrier, results) -> None:
    """One replica: open the store, read (a page run), import `round_id` as soon as every replica
    has read, wait until every replica's import is done, read again (its next page run).

    Puts (round_id, outcome, counts on the first run, counts on the next run, whether the first
    run's Store still reads what it read) on `results`; outcome is the import id or the error.
    """
    from analytics import ingest
    from analytics.lake.catalog import Lake
    from analytics.store import Store

    source = xlsx(round_tables("alpha", round_id, ALPHA_QUESTIONS, prefix=f"{round_id}-"),
                  name=f"{round_id}.xlsx")  # fmt: skip
    lake = Lake(setting)  # the replica's one catalog connection, as the dashboard keeps
    try:
        first_run = Store(setting, lake=lake)
        before = round_counts(first_run, rounds)
        barrier.wait(timeout=60)
        try:
            outcome = ingest.import_files(setting, [source], actor=ANALYST).import_id
        except Exception as error:  # reported to the test, which fails with it
            outcome = f"{type(error).__name__}: {error}"
        barrier.wait(timeout=120)  # both imports are over
        after = round_counts(Store(setting, lake=lake), rounds)
        unchanged = round_counts(first_run, rounds) == before
        results.put((round_id, outcome, before, after, unchanged))
    except Exception as error:
        barrier.abort()  # the other replica stops waiting
        results.put((round_id, f"{type(error).__name__}: {error}", None, None, None))
    finally:
        lake.close()
