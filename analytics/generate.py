"""The synthetic sample store: deterministic cases and responses that reproduce the seed's numbers.

Cohort sizes come from catalogue/cohorts.csv and the share met per question from
catalogue/targets.csv (chosen to match the seed's wording). Quadrants differ through a per-theme
quadrant effect plus per-question noise, allocated so the county total hits the target exactly.
Nothing here is real children's data: every reference is random and the store says it is synthetic.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from analytics.catalogue import CATALOGUE_TABLES, catalogue_table, read_catalogue_file
from analytics.domain import NOT_APPLICABLE, QUADRANTS, RESPONSES
from analytics.errors import AuditDataError
from analytics.store import write_new_store

DEFAULT_SEED = 20200413
SYNTHETIC_NOTICE = (
    "Synthetic sample data, generated to reproduce the April 2020 thematic overview report's "
    "cohorts and findings. No real child is described."
)
QUADRANT_EFFECT_SD = 0.06
QUADRANT_EFFECT_LIMIT = 0.08  # keeps a quadrant plausible: no 0 of 22 where the county is 30%
QUESTION_NOISE_SD = 0.06

# How strongly one case's answers go together: each case has a latent practice quality, and
# within its quadrant and team the better answers to a question go to the cases whose quality
# (plus this much noise per question) is highest. Counts per cell are unchanged.
CASE_NOISE_SD = 2.0
# Overall grade from a case's score: (Met + half of Partially met) / applicable standards.
GRADE_FLOORS: tuple[tuple[float, str], ...] = (
    (0.90, "Outstanding"),
    (0.65, "Good"),
    (0.40, "Requires improvement"),
    (0.00, "Inadequate"),
)


def allocate(total: int, weights: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Return integer counts summing to `total`, each within its cap, proportional to `weights`."""
    if total > caps.sum():
        raise ValueError(f"cannot place {total} in cells holding {caps.sum()}")
    counts = np.zeros(len(caps), dtype=np.int64)
    remaining = total
    while remaining > 0:
        room = caps - counts
        w = np.where(room > 0, np.maximum(weights, 1e-9), 0.0)
        share = remaining * w / w.sum()
        add = np.minimum(np.floor(share).astype(np.int64), room)
        counts += add
        remaining -= int(add.sum())
        # Largest remainders take the units that flooring left over.
        fraction = np.where(counts < caps, share - np.floor(share), -1.0)
        for index in np.argsort(-fraction, kind="stable"):
            if remaining == 0 or fraction[index] < 0:
                break
            counts[index] += 1
            remaining -= 1
    return counts


def _theme_prefix(questions: pd.DataFrame, theme_id: str) -> str:
    first = questions.loc[questions["theme_id"] == theme_id, "question_id"].iloc[0]
    return str(first).split("-")[0]


def _team_effects(spec: str | None) -> dict[str, float]:
    if not spec:
        return {}
    pairs = (item.split(":") for item in spec.split(";"))
    return {team: float(effect) for team, effect in pairs}


def _grade(score: np.ndarray) -> np.ndarray:
    """Return each case's overall grade from its score (see GRADE_FLOORS)."""
    grades = np.full(score.shape, GRADE_FLOORS[-1][1], dtype=object)
    for floor, grade in reversed(GRADE_FLOORS[:-1]):
        grades[score >= floor] = grade
    return grades


def _correlate(codes: np.ndarray, cell_index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return the cases x questions codes with each question's answers, within each cell,
    handed out again so that cases of better latent quality tend to get the better answers.

    Every cell keeps exactly its Met, Partially met and Not met counts (and which cases are Not
    applicable), so every quadrant and team figure is unchanged; only which case gave which
    answer moves, so a case that meets many standards is graded well, as in a real audit.
    """
    n_cases = int(codes.shape[0])
    quality = rng.normal(0, 1, n_cases)
    out = codes.copy()
    for question in range(codes.shape[1]):
        noisy = quality + rng.normal(0, CASE_NOISE_SD, n_cases)
        for cell in np.unique(cell_index):
            members = np.flatnonzero((cell_index == cell) & (codes[:, question] < 3))
            best_first = members[np.argsort(-noisy[members], kind="stable")]
            out[best_first, question] = np.sort(codes[members, question])
    return out


def _comment_table(questions: pd.DataFrame, comments: pd.DataFrame) -> dict[str, np.ndarray]:
    """Return, per question id, an array [response code][pick] of the comments written for that
    question and response (catalogue/comments.csv; none for Not applicable).

    Comments are written per question, not per category: a category's generic text fits some of
    its standards and not others (a family group conference is not a meeting attended by the
    social worker and team manager)."""
    by_key = {
        key: rows["comment"].tolist()
        for key, rows in comments.groupby(["question_id", "response"], sort=False)
    }
    table = {}
    for row in questions.itertuples(index=False):
        missing = [
            r for r in RESPONSES if r != NOT_APPLICABLE and (row.question_id, r) not in by_key
        ]
        if missing:
            raise AuditDataError(
                f"catalogue/comments.csv has no comment for {row.question_id} "
                f"({', '.join(missing)}): write one per question and response."
            )
        options = [by_key.get((row.question_id, r), [""]) for r in RESPONSES]
        width = max(len(o) for o in options)
        table[row.question_id] = np.array(
            [[o[i % len(o)] for i in range(width)] for o in options], dtype=object
        )
    return table


def _one_round(
    theme_id: str,
    round_id: str,
    rng: np.random.Generator,
    scale: int,
    tables: dict[str, pd.DataFrame],
    quadrant_effect: dict[str, float],
    case_rng: np.random.Generator,
    comments: dict[str, np.ndarray],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (cases, responses) for one theme and round.

    `rng` draws everything the seed's numbers depend on; `case_rng` only which case gave which
    answer (see _correlate), so realism can change without moving any count.
    """
    cohorts, targets = tables["cohorts"], tables["targets"]
    cells = cohorts[(cohorts["theme_id"] == theme_id) & (cohorts["round_id"] == round_id)]
    sizes = cells["cases"].astype(int).to_numpy() * scale
    total = int(sizes.sum())
    quadrant = np.repeat(cells["quadrant"].to_numpy(), sizes)
    team = np.repeat(cells["team"].to_numpy(), sizes)
    cell_index = np.repeat(np.arange(len(cells)), sizes)

    rounds = tables["rounds"]
    this_round = rounds[(rounds["theme_id"] == theme_id) & (rounds["round_id"] == round_id)].iloc[0]
    start = pd.Timestamp(this_round["start_date"])
    span_days = (pd.Timestamp(this_round["end_date"]) - start).days
    audit_date = (start + pd.to_timedelta(rng.integers(0, span_days + 1, total), unit="D")).date

    genders = tables["cohort_genders"]
    fixed = genders[(genders["theme_id"] == theme_id) & (genders["round_id"] == round_id)]
    if len(fixed):
        gender = np.repeat(fixed["gender"].to_numpy(), fixed["cases"].astype(int) * scale)
        if len(gender) != total:
            raise AuditDataError(f"cohort_genders.csv does not add up to {theme_id} {round_id}")
        gender = rng.permutation(gender)
    else:
        gender = rng.choice(np.array(["Female", "Male"], dtype=object), total)
    bands = tables["age_bands"][tables["age_bands"]["theme_id"] == theme_id]
    weights = bands["weight"].astype(float).to_numpy()
    age_band = rng.choice(bands["age_band"].to_numpy(), total, p=weights / weights.sum())

    prefix = _theme_prefix(tables["questions"], theme_id)
    audit_id = np.array([f"{prefix}-{round_id}-{i:06d}" for i in range(1, total + 1)], dtype=object)
    # Nine digits: a reference holds a digit, and ten would sometimes pass the NHS number check.
    child_ref = np.array(
        [f"SYN-{n % 10**9:09d}" for n in rng.integers(0, 2**32, total)], dtype=object
    )

    round_targets = targets[(targets["theme_id"] == theme_id) & (targets["round_id"] == round_id)]
    codes = []  # one array of response codes (index into RESPONSES) per question
    for target in round_targets.itertuples(index=False):
        codes.append(_question_codes(target, rng, total, cells, cell_index, quadrant_effect, scale))
    code_matrix = _correlate(np.stack(codes, axis=1), cell_index, case_rng)  # cases x questions
    applicable = (code_matrix < 3).sum(axis=1)
    score = ((code_matrix == 0).sum(axis=1) + 0.5 * (code_matrix == 1).sum(axis=1)) / np.maximum(
        applicable, 1
    )

    cases = pd.DataFrame(
        {
            "audit_id": audit_id,
            "theme_id": theme_id,
            "round_id": round_id,
            "quadrant": quadrant,
            "team": team,
            "child_ref": child_ref,
            "audit_date": audit_date,
            "gender": gender,
            "age_band": age_band,
            "overall_grade": _grade(score),
        }
    )
    n_questions = len(round_targets)
    flat_codes = code_matrix.reshape(-1)
    comment_pick = rng.integers(0, 3, flat_codes.size)
    question_of = np.tile(round_targets["question_id"].to_numpy(), total)
    comment = np.empty(flat_codes.size, dtype=object)
    for j, question_id in enumerate(round_targets["question_id"]):
        fitting = comments[question_id]  # rows case by case: question j is every n-th answer
        picked = comment_pick[j::n_questions] % fitting.shape[1]
        comment[j::n_questions] = fitting[flat_codes[j::n_questions], picked]
    responses = pd.DataFrame(
        {
            "audit_id": np.repeat(audit_id, n_questions),
            "theme_id": theme_id,
            "round_id": round_id,
            "question_id": question_of,
            "response": np.array(RESPONSES, dtype=object)[flat_codes],
            "comment": comment,
            "quadrant": np.repeat(quadrant, n_questions),
            "team": np.repeat(team, n_questions),
        }
    )
    responses.loc[responses["response"] == NOT_APPLICABLE, "comment"] = None
    return cases, responses


def _question_codes(
    target: Any,  # one row of targets.csv (itertuples)
    rng: np.random.Generator,
    total: int,
    cells: pd.DataFrame,
    cell_index: np.ndarray,
    quadrant_effect: dict[str, float],
    scale: int,
) -> np.ndarray:
    """Return each case's response code for one question, hitting the county target exactly."""
    codes = np.full(total, 3, dtype=np.int64)  # start as Not applicable
    n_not_applicable = round(total * float(target.not_applicable))
    applicable_cases = np.sort(rng.permutation(total)[n_not_applicable:])
    cell_of = cell_index[applicable_cases]
    caps = np.bincount(cell_of, minlength=len(cells))
    applicable_total = int(caps.sum())
    met_rate = float(target.met)
    teams = _team_effects(target.team_effects)
    noise = {q: rng.normal(0, QUESTION_NOISE_SD) for q in QUADRANTS}
    rates = np.array(
        [
            np.clip(met_rate + quadrant_effect[q] + noise[q] + teams.get(t, 0.0), 0.05, 0.98)
            for q, t in zip(cells["quadrant"], cells["team"], strict=True)
        ]
    )
    met_total = round(applicable_total * met_rate)
    met = allocate(met_total, caps * rates, caps)
    rest = caps - met
    partial_total = round((applicable_total - met_total) * float(target.partially_met))
    partial = allocate(partial_total, rest.astype(float), rest)
    for cell in range(len(cells)):
        members = rng.permutation(applicable_cases[cell_of == cell])
        codes[members[: met[cell]]] = 0
        codes[members[met[cell] : met[cell] + partial[cell]]] = 1
        codes[members[met[cell] + partial[cell] :]] = 2
    return codes


def sample_chunks(scale: int = 1, seed: int = DEFAULT_SEED) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield (table, rows) for the whole synthetic store, one theme and round at a time."""
    if scale < 1:
        raise AuditDataError(f"--scale must be a whole number of at least 1, not {scale}.")
    rng = np.random.default_rng(seed)
    case_rng = np.random.default_rng([seed, 1])
    tables = {name: catalogue_table(name) for name in CATALOGUE_TABLES}
    for name in ("cohorts", "targets", "cohort_genders", "age_bands", "comments"):
        tables[name] = read_catalogue_file(name)
    comments = _comment_table(tables["questions"], tables["comments"])
    for name in CATALOGUE_TABLES:
        yield name, tables[name]
    theme_rounds = tables["cohorts"][["theme_id", "round_id"]].drop_duplicates()
    effects: dict[str, dict[str, float]] = {}
    for theme_id, round_id in theme_rounds.itertuples(index=False):
        if theme_id not in effects:
            raw = rng.normal(0, QUADRANT_EFFECT_SD, len(QUADRANTS))
            centred = np.clip(raw - raw.mean(), -QUADRANT_EFFECT_LIMIT, QUADRANT_EFFECT_LIMIT)
            effects[theme_id] = dict(zip(QUADRANTS, centred, strict=True))
        cases, responses = _one_round(
            theme_id, round_id, rng, scale, tables, effects[theme_id], case_rng, comments
        )
        yield "cases", cases
        yield "responses", responses


def _reporting(
    chunks: Iterator[tuple[str, pd.DataFrame]], progress: Callable[[int, int], None]
) -> Iterator[tuple[str, pd.DataFrame]]:
    cohorts = read_catalogue_file("cohorts")
    total = len(CATALOGUE_TABLES) + 2 * len(cohorts[["theme_id", "round_id"]].drop_duplicates())
    for done, chunk in enumerate(chunks, start=1):
        yield chunk
        progress(done, total)


def generate_store(
    data_dir: str | os.PathLike[str],
    scale: int = 1,
    seed: int = DEFAULT_SEED,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, object]:
    """Write the synthetic sample store to `data_dir` (replacing it); return its manifest.

    `progress(done, total)` is called after each table chunk (for a progress bar at scale).
    """
    manifest = {
        "synthetic": True,
        "notice": SYNTHETIC_NOTICE,
        "generator": "python -m analytics generate",
        "seed": seed,
        "scale": scale,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }

    def chunks() -> Iterator[tuple[str, pd.DataFrame]]:
        made = sample_chunks(scale, seed)
        return made if progress is None else _reporting(made, progress)

    write_new_store(data_dir, chunks, manifest, message="the synthetic sample store")
    return manifest
