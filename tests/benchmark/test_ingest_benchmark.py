"""The benchmark's import round and its refusal without a store."""

from __future__ import annotations

import pytest
from ingest_helpers import (
    latest_snapshot,
    tree_hashes,
)

from analytics.errors import AuditDataError
from analytics.ingest.sample_round import benchmark_import

# --- the benchmark ------------------------------------------------------------------------------


def test_benchmark_round_and_its_refusal_without_a_store(tmp_path):
    from analytics.ingest import sample_round

    frames = sample_round.round_frames(5)
    assert len(frames["cases"]) == 5 and len(frames["responses"]) == 50
    assert frames["cases"]["audit_id"].is_unique
    with pytest.raises(AuditDataError, match="No audit store"):
        benchmark_import(tmp_path / "nothing", cases=5)


def test_benchmark_import_on_the_sample(sample_dir):
    before, snapshot = tree_hashes(sample_dir), latest_snapshot(sample_dir)
    seconds = benchmark_import(sample_dir, cases=50)
    assert 0 < seconds < 120
    assert benchmark_import(sample_dir, cases=50, kind="csv") > 0
    assert latest_snapshot(sample_dir) == snapshot and tree_hashes(sample_dir) == before
    assert not list(sample_dir.parent.glob(f".{sample_dir.name}.bench-*"))
