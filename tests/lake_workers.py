"""What the store's multi-process tests run in their child processes (spawned: a fresh Python,
as a second dashboard or a command-line import would be)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # a spawned child starts without the tests folder

from ingest_helpers import ANALYST, round_tables, xlsx

ALPHA_QUESTIONS = ["Q1", "Q2"]


def import_round(setting: str, round_id: str, barrier, results) -> None:
    """Wait at the barrier with the other importer, then import one round of alpha."""
    from analytics import ingest

    tables = round_tables("alpha", round_id, ALPHA_QUESTIONS, prefix=f"{round_id}-")
    source = xlsx(tables, name=f"{round_id}.xlsx")
    barrier.wait(timeout=60)
    try:
        done = ingest.import_files(setting, [source], actor=ANALYST)
        results.put((round_id, "ok", done.import_id))
    except Exception as error:  # reported to the test, which fails with it
        results.put((round_id, "error", f"{type(error).__name__}: {error}"))


def read_while_importing(setting: str, barrier, stop, results) -> None:
    """Wait at the barrier, then read the store in a loop, as page runs do, until told to stop:
    every read must succeed and see whole snapshots (a round's cases and responses agree)."""
    from analytics.store import Store

    counts: set[tuple[int, int]] = set()
    errors: list[str] = []
    barrier.wait(timeout=60)
    reads = 0
    while not stop.is_set() or reads < 3:
        try:
            with Store(setting) as store:
                frame = store.query(
                    "SELECT (SELECT count(*) FROM cases) AS cases, "
                    "(SELECT count(*) FROM responses) AS responses"
                )
            counts.add((int(frame["cases"].iloc[0]), int(frame["responses"].iloc[0])))
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
        reads += 1
    results.put((sorted(counts), errors, reads))
