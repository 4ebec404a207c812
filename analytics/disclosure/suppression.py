"""Disclosure control for a chart's data: small counts become "c", with secondary suppression.

A chart's table publishes more than its cells: totals across rows (the County row is the sum of
the quadrant rows, "All themes" the sum of the themes), totals within a row (n = met + partially
met + not met), counts never printed that follow from printed ones (not met = n - met), and
totals printed elsewhere in the same export (a quadrant's cases on the cohort chart). Each chart
declares those relations as a Rule: a chart in its spec (analytics.chart_specs), a table shown
beside the charts here (TABLE_RULES).

A reader may combine every relation at once, so the cells are protected against all of them
together. After primary suppression (every count from 1 to threshold - 1 becomes "c"), each
small count a reader does not see (a hidden one, or an unprinted one such as not met) must keep
a feasible range that reaches the threshold: the largest value the relations allow it (a linear
programme over the unknown cells, a hidden cell being at least 1 since zeros are printed) is at
least the threshold, so the reader can neither work it out nor tell that it is small. Until then
the smallest printed non-zero cell that protects it is hidden too. A hidden count that the
relations give back exactly anyway protects nothing and is printed again. Every percentage or
interval built on a hidden count is hidden with it.

Limitation: each table is protected on its own, with totals printed elsewhere taken as known
when they are 0 or at least the threshold. Two different tables (say the quadrant comparison and
the finding frequency) may each be safe and still give a hidden cell back when combined.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, Protocol, cast

import numpy as np
import pandas as pd

from analytics import stats
from analytics.chart_specs import CHARTS
from analytics.chart_specs.rule import Rule
from analytics.domain import COUNTY

SUPPRESSED = stats.SUPPRESSED

Cell = tuple[int, str]
# A variable: a Cell, or a total printed elsewhere: ("elsewhere", ...) or ("group", ...).
Var = tuple[Hashable, ...]


# Tables shown beside the charts, with no chart of their own (each chart's rule is in its spec).
TABLE_RULES: dict[str, Rule] = {
    # One row per practice area weak in several themes: its answers pooled over those themes.
    "recurring_weaknesses": Rule(
        counts=("met", "n", "_not_met"),
        implicit={"_not_met": ("n", ("met",))},
        rows=((("met", "_not_met"), "n"),),
        derived={"pct_met": ("met", "n")},
    ),
}


def rule_for(name: str) -> Rule | None:
    """Return the declared rule of a chart (its spec) or of a table shown beside them."""
    spec = CHARTS.get(name)
    return spec.suppression if spec is not None else TABLE_RULES.get(name)


def _generic_rule(frame: pd.DataFrame) -> Rule:
    # A chart added later without a rule: every integer column is a count, and every share or
    # interval in the row is hidden with any of them (cautious rather than exact).
    counts = tuple(c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c]))
    shares = [c for c in frame.columns if c.startswith(("pct", "ci_", "share")) or c in ("change",)]
    return Rule(counts=counts, derived={c: counts for c in shares})


def _values(frame: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    values = pd.DataFrame(index=range(len(frame)))
    for column in rule.counts:
        if column in rule.implicit:
            total, parts = rule.implicit[column]
            number = pd.to_numeric(frame[total], errors="coerce").to_numpy(dtype=float)
            for part in parts:
                number = number - pd.to_numeric(frame[part], errors="coerce").to_numpy(dtype=float)
        else:
            number = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        values[column] = number
    return values


class _System:
    """Counts as a reader sees them, and the sums (relations) that tie them together.

    A variable is a table cell (row, column) or a total printed elsewhere (a tuple starting
    "elsewhere" or "group"). Each relation is {variable: coefficient}, summing to zero. Printed
    variables are shown unless hidden; virtual ones are never printed here (not met = n - met,
    or a total that the other chart hides); every other variable is known to the reader.
    """

    def __init__(self, threshold: int):
        self.threshold = threshold
        self.values: dict[Var, float] = {}
        self.order: dict[Var, int] = {}
        self.printed: list[Var] = []
        self._printable: set[Var] = set()
        self.virtual: set[Var] = set()
        self.relations: list[dict[Var, float]] = []
        self.watch: set[Var] | None = None  # the only variables to protect (None: every one)
        self._by_variable: dict[Var, list[int]] | None = None

    def add(self, variable: Var, value: float, printed: bool) -> None:
        self.values[variable] = value
        self.order[variable] = len(self.order)
        if printed:
            self.printed.append(variable)
            self._printable.add(variable)

    def relate(self, terms: Iterable[tuple[Var, float]]) -> None:
        terms = list(terms)
        if all(variable in self.values for variable, _ in terms):  # a blank cell: no sum holds
            relation: dict[Var, float] = {}
            for variable, coefficient in terms:
                relation[variable] = relation.get(variable, 0) + coefficient
            self.relations.append(relation)
            self._by_variable = None

    @property
    def by_variable(self) -> dict[Var, list[int]]:
        if self._by_variable is None:
            self._by_variable = {}
            for index, relation in enumerate(self.relations):
                for variable in relation:
                    self._by_variable.setdefault(variable, []).append(index)
        return self._by_variable

    def _unknown(self, variable: Var, hidden: set[Var]) -> bool:
        return variable in hidden or variable in self.virtual

    def _fixed(self, variable: Var, hidden: set[Var]) -> bool:
        # Known to the reader and not ours to hide: a printed zero, or a known total elsewhere.
        if self._unknown(variable, hidden):
            return False
        return self.values[variable] == 0 or variable not in self._printable

    def _reach(self, start: Var, through: Callable[[Var], bool]) -> tuple[list[Var], list[int]]:
        seen, relations, stack = {start}, set(), [start]
        while stack:
            for index in self.by_variable.get(stack.pop(), []):
                if index not in relations:
                    relations.add(index)
                    for variable in self.relations[index]:
                        if variable not in seen and through(variable):
                            seen.add(variable)
                            stack.append(variable)
        return sorted(seen, key=self.order.__getitem__), sorted(relations)

    def _matrix(self, variables: list[Var], relations: list[int]) -> tuple[np.ndarray, np.ndarray]:
        at = {v: i for i, v in enumerate(variables)}
        a, b = np.zeros((len(relations), len(variables))), np.zeros(len(relations))
        for k, index in enumerate(relations):
            for variable, coefficient in self.relations[index].items():
                if variable in at:
                    a[k, at[variable]] += coefficient
                else:
                    b[k] -= coefficient * self.values[variable]
        return a, b

    def _extreme(self, cell: Var, hidden: set[Var], sign: int) -> tuple[float, dict[Var, float]]:
        # The largest (sign 1) or smallest (-1) value a reader cannot rule out for the cell,
        # and a whole table that a reader cannot rule out with it there (1e12: no limit).
        variables, relations = self._reach(cell, lambda v: self._unknown(v, hidden))
        if not relations:
            return sign * 1e12, {}
        a, b = self._matrix(variables, relations)
        objective = np.zeros(len(variables))
        objective[variables.index(cell)] = -sign
        # A hidden printed cell is never 0 (zeros are printed); other unknowns may be.
        bounds = [(1 if v in hidden else 0, None) for v in variables]
        result = _linprog(objective, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        if result.status == 3:
            return sign * 1e12, {}  # unbounded
        if result.status != 0:
            return self.values[cell], {}  # not solved: count it as known, so more is hidden
        return -sign * float(result.fun), dict(zip(variables, result.x, strict=True))

    def largest(self, cell: Var, hidden: set[Var]) -> float:
        """Return the largest value a reader cannot rule out for the cell (1e12: no limit)."""
        return self._extreme(cell, hidden, 1)[0]

    def determined(self, cell: Var, hidden: set[Var]) -> bool:
        """True when the sums alone give the cell's value back (it cannot change while every
        printed cell and known total stays as it is)."""
        variables, relations = self._reach(cell, lambda v: self._unknown(v, hidden))
        if not relations:
            return False
        a, _ = self._matrix(variables, relations)
        bounds: list[tuple[float | None, float | None]] = [(None, None)] * len(variables)
        bounds[variables.index(cell)] = (1, 1)
        result = _linprog(
            np.zeros(len(variables)), A_eq=a, b_eq=np.zeros(len(relations)), bounds=bounds,
            method="highs",
        )  # fmt: skip
        return result.status == 2  # infeasible

    def protected(self, cell: Var, hidden: set[Var]) -> bool:
        """True when a reader can neither work out a small count nor confine it below N."""
        # The true value (under the threshold) is always feasible, so a largest value at or
        # above the threshold also means the cell is not determined.
        return self.largest(cell, hidden) >= self.threshold - 1e-6

    def sensitive(self, hidden: set[Var]) -> list[Var]:
        """Return the small counts a reader does not see: hidden ones and unprinted ones."""
        cells = [c for c in hidden if self.values[c] < self.threshold]
        cells += [v for v in self.virtual if 0 < self.values[v] < self.threshold]
        if self.watch is not None:
            cells = [c for c in cells if c in self.watch]
        return sorted(cells, key=self.order.__getitem__)

    def protector(
        self, cell: Var, hidden: set[Var], also: Iterable[Var] = (), bounded: bool = True
    ) -> tuple[set[Var], dict[Var, float]]:
        """Return the printed cells to hide so that `cell` can reach the threshold, and a table
        that agrees with everything a reader then knows and has `cell` as high as it can be.

        One linear programme looks for another table that agrees with every relation and puts
        `cell` at the threshold (or as near as zeros and known totals allow), moving printed
        cells as little as possible, weighted by their value so that small cells go first. The
        printed cells it moves are the ones to hide; with them hidden, the reader cannot rule
        that table out, so cannot confine `cell` below the threshold. The small counts in
        `also` are raised too where that moves no printed cell, so one programme can settle
        several. With bounded=False the cells may take any value (a reader who only solves
        the sums): the printed cells to hide so that `cell` is not given back exactly.
        """
        free, relations = self._reach(cell, lambda v: not self._fixed(v, hidden))
        printed = [v for v in free if not self._unknown(v, hidden)]
        at = {v: i for i, v in enumerate(free)}
        down = {v: len(free) + i for i, v in enumerate(printed)}  # a printed cell moves both ways
        others = [v for v in also if v in at and v != cell]
        raised = {v: len(free) + len(printed) + i for i, v in enumerate(others)}
        width = len(free) + len(printed) + len(others)
        a_eq = np.zeros((len(relations), width))
        for k, index in enumerate(relations):
            for variable, coefficient in self.relations[index].items():
                if variable in at:
                    a_eq[k, at[variable]] += coefficient
                if variable in down:
                    a_eq[k, down[variable]] -= coefficient
        cost = np.zeros(width)
        bounds: list[tuple[float | None, float | None]] = []
        for variable in free:
            value = self.values[variable]
            if variable in down:
                cost[at[variable]] = cost[down[variable]] = value
                bounds.append((0, None))
            elif bounded:
                bounds.append(((1 if variable in hidden else 0) - value, None))
            else:
                bounds.append((None, None))
        # Once hidden, a printed cell is at least 1.
        bounds += [(0, self.values[v] - 1 if bounded else None) for v in printed]
        if bounded:  # raising `cell` comes first: a unit of it outweighs moving every cell once
            cost[at[cell]] = -(1 + 2 * sum(self.values[v] for v in printed))
            bounds[at[cell]] = (bounds[at[cell]][0], self.threshold - self.values[cell])
        else:
            bounds[at[cell]] = (1, 1)
        # Raising the others (up to the threshold; lowering them counts against) is worth less
        # than moving any printed cell at all.
        a_ub = np.zeros((len(others), width))
        for k, variable in enumerate(others):
            a_ub[k, raised[variable]], a_ub[k, at[variable]] = 1, -1
            cost[raised[variable]] = -1 / (2 * len(others) + 1)
        bounds += [(None, self.threshold - self.values[v]) for v in others]
        result = _linprog(
            cost,
            A_ub=a_ub if others else None,
            b_ub=np.zeros(len(others)) if others else None,
            A_eq=a_eq,
            b_eq=np.zeros(len(relations)),
            bounds=bounds,
            method="highs",
        )
        if result.status != 0:
            return set(), {}
        shift = {v: result.x[at[v]] - (result.x[down[v]] if v in down else 0) for v in free}
        moved = {v for v in printed if abs(shift[v]) > 1e-6}
        return moved, {v: self.values[v] + shift[v] for v in free}

    def hide(self) -> set[Var]:
        """Return the printed variables to hide: primary, then secondary until all protected."""
        hidden = {c for c in self.printed if 0 < self.values[c] < self.threshold}
        settled: set[Var] = set()  # protected (hiding more never undoes that) or beyond help
        movable: set[Var] = set()  # seen at another value in a table a reader cannot rule out
        while pending := [c for c in self.sensitive(hidden) if c not in settled]:
            extra, table = self.protector(pending[0], hidden, pending[1:])
            hidden |= extra
            if table.get(pending[0], 0) < self.threshold - 1e-6 and self.determined(
                pending[0], hidden
            ):
                # Beyond full protection (zeros and known totals confine it): at least make sure
                # that no plain subtraction gives it back.
                hidden |= self.protector(pending[0], hidden, bounded=False)[0]
            settled.add(pending[0])  # protected now, or as far as anything printed here can
            # Every small count at or above the threshold in that table is protected too.
            settled.update(v for v, x in table.items() if x >= self.threshold - 1e-6)
            movable.update(v for v, x in table.items() if abs(x - self.values[v]) > 1e-6)
        # A hidden count that the relations give back exactly protects nothing: print it.
        for cell in sorted(hidden - movable, key=self.order.__getitem__, reverse=True):
            if self.values[cell] >= self.threshold and self.determined(cell, hidden):
                hidden.discard(cell)
        return hidden


def _table_system(frame: pd.DataFrame, rule: Rule, threshold: int) -> _System:
    """Return a chart's counts and relations, totals printed elsewhere included."""
    system = _System(threshold)
    counts = _values(frame, rule)
    for column in rule.counts:
        for row in range(len(frame)):
            value = float(counts.at[row, column])
            if not np.isnan(value):  # blank (no earlier round, say): printed empty, in no sum
                system.add((row, column), value, printed=column not in rule.implicit)
                if column in rule.implicit:
                    system.virtual.add((row, column))
    for column, (total, parts) in rule.implicit.items():
        for row in range(len(frame)):
            system.relate([((row, column), 1), *(((row, p), 1) for p in parts), ((row, total), -1)])
    elsewhere: dict[Var, list[tuple[int, tuple[str, ...]]]] = {}
    for row in range(len(frame)):
        key = ("elsewhere", *(frame[c].iat[row] for c in rule.elsewhere)) if rule.elsewhere else (
            "elsewhere", row)  # fmt: skip
        for parts, row_total in rule.rows:
            if row_total is None:
                elsewhere.setdefault(key, []).append((row, parts))
            else:
                system.relate([*(((row, p), 1) for p in parts), ((row, row_total), -1)])
    for key, uses in elsewhere.items():
        _relate_to_total(system, key, [[(row, p) for p in parts] for row, parts in uses])
    if rule.group and (rule.total_row or rule.group_sums_known):
        keys = frame[list(rule.group)].astype(str).agg("|".join, axis=1)
        blocks = [
            [frame.index.get_loc(r) for r in rows] for rows in keys.groupby(keys).groups.values()
        ]
        for count in rule.counts:
            if rule.group_sums_known:  # every block adds up to the same total, printed elsewhere
                _relate_to_total(
                    system, ("group", count), [[(r, count) for r in b] for b in blocks]
                )
            elif rule.total_row is not None:  # always, here: no group sums known, so a total row
                total_column, total_value = rule.total_row
                for block in blocks:
                    totals = [r for r in block if frame[total_column].iat[r] == total_value]
                    if len(totals) == 1:
                        others = [((r, count), 1) for r in block if r != totals[0]]
                        system.relate([*others, ((totals[0], count), -1)])
    _settle_totals(system)
    return system


def _relate_to_total(system: _System, key: Var, uses: list[list[Var]]) -> None:
    # Each use is a list of variables adding up to the total `key`; a use with a blank cell is
    # no sum at all, and uses that disagree (a case with a question unanswered) get their own.
    uses = [u for u in uses if all(v in system.values for v in u)]
    sums = [sum(system.values[v] for v in u) for u in uses]
    shared = len(set(sums)) == 1
    for i, (use, value) in enumerate(zip(uses, sums, strict=True)):
        total = key if shared else (*key, i)
        if total not in system.values:
            system.add(total, value, printed=False)
        system.relate([*((v, 1) for v in use), (total, -1)])


def _settle_totals(system: _System) -> None:
    # A total printed elsewhere is known to a reader unless the chart that prints it hides it.
    # That chart hides its small totals and whatever gives them back through the sums among
    # the totals (the county's cases less three quadrants' gives the fourth): found here with
    # the same method, every table cell unknown and only the totals printed. The grand total
    # (the county's cases, the cohort) is printed as it is unless it is itself small.
    totals = [v for v in system.values if not isinstance(v[0], int)]
    if not totals:
        return
    grand = {t for t in totals if t[0] == "group" or COUNTY in t}
    other = _System(system.threshold)
    for variable, value in system.values.items():
        other.add(variable, value, printed=variable in totals and variable not in grand)
        if variable not in totals or (variable in grand and 0 < value < system.threshold):
            other.virtual.add(variable)
    other.relations = system.relations
    other.watch = set(totals)
    system.virtual |= other.hide() | (other.virtual & grand)


class _LinprogResult(Protocol):
    """The fields read from scipy's OptimizeResult."""

    status: int
    fun: float
    x: np.ndarray


def _linprog(*args: Any, **kwargs: Any) -> _LinprogResult:
    # scipy loads only when counts are suppressed (about 0.2 s of every page's start-up).
    from scipy.optimize import linprog

    return cast(_LinprogResult, linprog(*args, **kwargs))  # scipy is untyped (Any)


def hidden_cells(frame: pd.DataFrame, chart_name: str, threshold: int) -> set[Cell]:
    """Return the (row position, column) count cells to suppress in a chart's data."""
    rule = rule_for(chart_name) or _generic_rule(frame)
    system = _table_system(frame.reset_index(drop=True), rule, threshold)
    # A variable whose first item is a row position is a table cell (row, column).
    return {cast(Cell, cell) for cell in system.hide() if isinstance(cell[0], int)}


def for_circulation(
    view_or_frame: object, chart_name: str | None = None, threshold: int | None = 5
) -> pd.DataFrame:
    """Return a chart's data with counts under `threshold` and all they would reveal as "c".

    Takes a ChartView (its name is used when chart_name is None) or a frame. A threshold of None
    returns an unchanged copy (the standard, not-for-circulation mode).
    """
    frame = getattr(view_or_frame, "data", view_or_frame)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError("for_circulation takes a ChartView or a DataFrame")
    name = chart_name or cast(str, getattr(view_or_frame, "name", ""))  # a ChartView's name
    out = frame.reset_index(drop=True).copy()
    if threshold is None:
        return out
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, got {threshold}")
    if out.empty:
        return out  # an empty selection: no count to hide
    rule = rule_for(name) or _generic_rule(out)
    hidden = hidden_cells(out, name, threshold)
    mask = {column: np.zeros(len(out), dtype=bool) for column in rule.counts}
    for row, column in hidden:
        mask[column][row] = True
    for column, depends in rule.derived.items():
        if column in out.columns:
            mask[column] = np.logical_or.reduce([mask[d] for d in depends if d in mask])
    for column, hide in mask.items():
        if column in out.columns and hide.any():
            out[column] = out[column].astype(object)
            out.loc[hide, column] = SUPPRESSED
    return out


def mode_text(threshold: int | None) -> str:
    """Return the export mode in words: "standard" or "for circulation: counts under N ..."."""
    if threshold is None:
        return "standard"
    return f"for circulation: counts under {threshold} suppressed"
