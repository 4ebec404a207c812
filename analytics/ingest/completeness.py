"""How completely an import answers its rounds, and accepting a round that is incomplete.

A case's standards are its theme's questions (the store's, with those the import adds). A
standard is answered when the case has a row for it in responses, whatever the answer: Met,
Partially met, Not met or Not applicable (N/A is an answer: the auditor looked and decided it does
not apply). A missing row is unanswered. A round is complete when at least
domain.COMPLETE_ANSWERED_SHARE of its cases' standards are answered; an incomplete round is loaded
but held back from the default round, the Overview and trends (analytics.queries.audited_rounds)
until an analyst accepts it: on import (`--accept-incomplete`, the Data page's tick) or later
(`accept-round`, the Data page's button). An acceptance holds for the import it names, so a round
imported again is checked again.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import pandas as pd

from analytics import audit_trail, queries
from analytics.access import Actor, Permission
from analytics.domain import COMPLETE_ANSWERED_SHARE, Filters
from analytics.errors import AuditDataError
from analytics.ingest.writing import base_store, refresh_manifest
from analytics.lake.catalog import Lake, Writer
from analytics.lake.location import StoreLocation, is_store, parse_location

# The import summary lists this many cases with the fewest standards answered.
FEWEST_SHOWN = 5
ROUND_COLUMNS = [
    "theme_id", "round_id", "cases", "standards", "expected", "answered", "answered_share",
    "complete",
]  # fmt: skip
CASE_COLUMNS = ["theme_id", "round_id", "audit_id", "child_ref", "answered", "standards"]


def percent(share: float) -> str:
    """Return a share as a whole percentage ("62%")."""
    return f"{share:.0%}"


THRESHOLD_TEXT = percent(COMPLETE_ANSWERED_SHARE)


def measure(
    cases: pd.DataFrame, responses: pd.DataFrame, standards: dict[str, int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (per round, per case) standards answered, for checked cases and responses.

    `standards` maps each theme to its number of standards per case.
    """
    if cases.empty:
        return pd.DataFrame(columns=ROUND_COLUMNS), pd.DataFrame(columns=CASE_COLUMNS)
    answered = (
        responses.drop_duplicates(["audit_id", "question_id"]).groupby("audit_id").size()
        if len(responses)
        else pd.Series(dtype="int64")
    )
    per_case = cases[["theme_id", "round_id", "audit_id"]].copy()
    # A tracker's audit_id is derived: its own case reference is how the team finds the case.
    per_case["child_ref"] = cases.get("child_ref", None)
    per_case["answered"] = per_case["audit_id"].map(answered).fillna(0).astype("int64")
    per_case["standards"] = per_case["theme_id"].map(standards).fillna(0).astype("int64")
    per_round = (
        per_case.groupby(["theme_id", "round_id"], sort=True)
        .agg(
            cases=("audit_id", "size"), standards=("standards", "max"), answered=("answered", "sum")
        )
        .reset_index()
    )
    per_round["expected"] = per_round["cases"] * per_round["standards"]
    expected = per_round["expected"].where(per_round["expected"] > 0)
    per_round["answered_share"] = (per_round["answered"] / expected).fillna(1.0)
    per_round["complete"] = per_round["answered"] >= COMPLETE_ANSWERED_SHARE * per_round["expected"]
    fewest = per_case.sort_values(["answered", "theme_id", "round_id", "audit_id"], kind="stable")
    return per_round[ROUND_COLUMNS], fewest.head(FEWEST_SHOWN)[CASE_COLUMNS].reset_index(drop=True)


def standards_per_theme(stored: pd.DataFrame, changed: pd.DataFrame) -> dict[str, int]:
    """Return each theme's standards per case: its stored questions plus those the import adds."""
    ids = stored[["theme_id", "question_id"]]
    if len(changed):
        ids = pd.concat([ids, changed[["theme_id", "question_id"]]]).drop_duplicates()
    return {str(k): int(v) for k, v in ids.groupby("theme_id").size().items()}


def _case_name(audit_id: str, child_ref: object) -> str:
    """Return a case as its team knows it: its reference, with the audit_id beside it."""
    if isinstance(child_ref, str) and child_ref.strip():
        return f"{child_ref} ({audit_id})"
    return str(audit_id)


def describe(per_round: pd.DataFrame, fewest: pd.DataFrame) -> list[str]:
    """Return the completeness summary as lines of text (the command line prints them)."""
    if per_round.empty:
        return []
    lines = [f"Standards answered (a round needs {THRESHOLD_TEXT}; Not applicable is an answer):"]
    for r in per_round.itertuples(index=False):
        verdict = "complete" if r.complete else f"INCOMPLETE (under {THRESHOLD_TEXT})"
        lines.append(
            f"  {r.theme_id} / {r.round_id}: {r.cases} cases x {r.standards} standards; "
            f"{r.answered} of {r.expected} answered ({percent(r.answered_share)}): {verdict}"
        )
    short = fewest[fewest["answered"] < fewest["standards"]]
    if len(short):
        listed = "; ".join(
            f"{_case_name(c.audit_id, c.child_ref)} ({c.theme_id} / {c.round_id}) "
            f"{c.answered} of {c.standards}"
            for c in short.itertuples(index=False)
        )
        lines.append(f"  Cases with the fewest standards answered: {listed}")
    return lines


def held_notice(per_round: pd.DataFrame, accepted: bool) -> list[str]:
    """Return what happens to the import's incomplete rounds (nothing for complete ones)."""
    lines = []
    for r in per_round[~per_round["complete"].astype(bool)].itertuples(index=False):
        if accepted:
            lines.append(
                f"  {r.theme_id} / {r.round_id} is incomplete and was accepted: it is shown like "
                "a complete round."
            )
        else:
            lines.append(
                f"  {r.theme_id} / {r.round_id} is incomplete: it is held back from the default "
                "round, the Overview and trends (it can still be chosen in the filter bar) until "
                f"accepted: python -m analytics accept-round --theme {r.theme_id} "
                f"--round {r.round_id}"
            )
    return lines


def completeness_frame(import_id: str, per_round: pd.DataFrame) -> pd.DataFrame:
    """Return the round_completeness rows an import writes."""
    frame = per_round[["theme_id", "round_id", "cases", "standards", "expected", "answered"]]
    return frame.assign(import_id=import_id).astype(
        {c: "int64" for c in ("cases", "standards", "expected", "answered")}
    )


def acceptance_frame(
    rounds: list[tuple[str, str, str]], user: str, how: str, at: dt.datetime | None = None
) -> pd.DataFrame:
    """Return round_acceptances rows for (theme, round, import id) triples."""
    when = pd.Timestamp(at or dt.datetime.now(dt.UTC).replace(tzinfo=None))
    return pd.DataFrame(
        [
            {
                "theme_id": t,
                "round_id": r,
                "import_id": i,
                "accepted_by": user,
                "accepted_at": when,
                "how": how,
            }
            for t, r, i in rounds
        ]
    )


def acceptance_events(actor: Actor, held: pd.DataFrame, how: str) -> list[audit_trail.Event]:
    """Return one audit-trail event per round accepted (held: rows of queries.round_checks or
    measure's per-round frame with import_id)."""
    return [
        audit_trail.Event(
            actor,
            "accept-round",
            f"{r.theme_id}/{r.round_id}",
            theme_id=r.theme_id,
            filters=Filters(round_id=r.round_id),
            detail=(
                f"{r.import_id}: {r.answered} of {r.expected} standards answered "
                f"({percent(r.answered / r.expected if r.expected else 1.0)}, under "
                f"{THRESHOLD_TEXT}); {how}"
            ),
        )
        for r in held.itertuples(index=False)
    ]


def write_acceptances(writer: Writer, frame: pd.DataFrame) -> None:
    """Append acceptance rows in the writer's transaction (the table is append-only)."""
    writer.append("round_acceptances", frame)


def write_completeness(
    writer: Writer,
    per_round: pd.DataFrame,
    import_id: str,
    held: pd.DataFrame | None,
    actor: Actor,
    how: str,
) -> None:
    """Append an import's round_completeness rows and, for `held` rounds accepted on import,
    their acceptances with their events (all under the rounds' "cases:theme/round" keys: undo
    puts them back with the rounds' cases)."""
    if per_round.empty:
        return
    writer.append("round_completeness", completeness_frame(import_id, per_round))
    if held is not None and len(held):
        triples = [(t, r, import_id) for t, r in zip(held["theme_id"], held["round_id"],
                                                     strict=True)]  # fmt: skip
        write_acceptances(writer, acceptance_frame(triples, actor.user, how))
        for event in acceptance_events(actor, held.assign(import_id=import_id), how):
            audit_trail.append_event(writer, event)


@dataclass(frozen=True)
class AcceptResult:
    """The outcome of accepting incomplete rounds."""

    accepted: list[str]  # "theme/round"
    message: str


def accept_rounds(
    location: str | os.PathLike[str] | StoreLocation,
    rounds: list[tuple[str, str]],
    *,
    actor: Actor,
    how: str = "accepted later",
) -> AcceptResult:
    """Accept incomplete rounds (theme, round) so they count like complete ones; recorded.

    Only an actor with the import permission may. A round that is complete or already accepted
    is left as it is (said in the message); an unknown round or one without results is refused.
    """
    where = location if isinstance(location, StoreLocation) else parse_location(location)
    if not is_store(where):
        raise AuditDataError(f"No audit store at {where.shown()}.")
    what = ", ".join(f"{t}/{r}" for t, r in rounds)
    lake = Lake(where)
    try:
        audit_trail.require_recorded(
            where, Permission.IMPORT, audit_trail.Event(actor, "accept-round", what), lake=lake
        )
        result, _ = lake.write(
            lambda writer: accept_in(writer, lake, rounds, actor, how),
            author=actor.user,
            message=f"accept-round {what}",
        )
    except _NothingAccepted as nothing:
        result = nothing.result
    finally:
        lake.close()
    return result


class _NothingAccepted(Exception):
    """Nothing to accept: the transaction is left without a snapshot."""

    def __init__(self, result: AcceptResult):
        super().__init__(result.message)
        self.result = result


def accept_in(
    writer: Writer,
    lake: Lake,
    rounds: list[tuple[str, str]],
    actor: Actor,
    how: str,
    *,
    quiet: bool = False,
) -> AcceptResult:
    """Accept rounds inside a writer's transaction: their acceptance rows, the manifest and
    their events. With nothing to accept, raise _NothingAccepted (nothing is committed) unless
    `quiet` (the caller's transaction goes on)."""
    with base_store(lake, writer) as store:
        checks = queries.round_checks(store)
    wanted, said = [], []
    for theme_id, round_id in rounds:
        row = checks[(checks["theme_id"] == theme_id) & (checks["round_id"] == round_id)]
        if row.empty:
            known = ", ".join(f"{t}/{r}" for t, r in zip(checks["theme_id"], checks["round_id"],
                                                          strict=True))  # fmt: skip
            raise AuditDataError(
                f"No round {round_id} of theme {theme_id} holds results in this store. "
                f"Rounds with results: {known or 'none yet'}."
            )
        record = row.iloc[0]
        if bool(record["complete"]):
            said.append(f"{theme_id}/{round_id} is complete: nothing to accept.")
        elif not bool(record["held"]):
            said.append(
                f"{theme_id}/{round_id} was already accepted by {record['accepted_by']} on "
                f"{record['accepted_at']:%Y-%m-%d %H:%M}."
            )
        else:
            wanted.append(record)
    if not wanted:
        result = AcceptResult([], " ".join(said))
        if quiet:
            return result
        raise _NothingAccepted(result)
    held = pd.DataFrame(wanted)
    frame = acceptance_frame(
        list(zip(held["theme_id"], held["round_id"], held["import_id"], strict=True)),
        actor.user,
        how,
    )
    write_acceptances(writer, frame)
    refresh_manifest(writer)
    for event in acceptance_events(actor, held, how):
        audit_trail.append_event(writer, event)
    accepted = [f"{t}/{r}" for t, r in zip(held["theme_id"], held["round_id"], strict=True)]
    lines = [
        f"Accepted {a} ({percent(r.answered / r.expected)} of standards answered): it now counts "
        "as the default round, on the Overview and in trends like a complete round."
        for a, r in zip(accepted, held.itertuples(index=False), strict=True)
    ]
    return AcceptResult(accepted, " ".join([*lines, *said]))
