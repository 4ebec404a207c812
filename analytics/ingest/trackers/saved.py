"""Tracker mappings saved in the store, and recognising a tracker's layout next round.

A saved mapping is a row of the store's `tracker_mappings` table: its slug (the name in lower
case with every run of other characters made one "-": "NW permanency tracker" ->
nw-permanency-tracker), its name, and its JSON exactly as a person downloads it
(analytics.ingest.trackers.model). Saving under a name whose slug is saved replaces that row
(earlier snapshots keep the old one). Who saved it and when is in the audit trail
("save mapping"), so the JSON stays exactly what a person downloads, edits and uploads again.

Saving is one transaction with its audit-trail event (save_mapping); an import that confirms a
mapping writes it inside its own transaction (write_into), so the two land together.

Recognition compares NORMALISED headers (analytics.ingest.spec.normalise_header: case,
punctuation and spacing aside), as a multiset, so a column moved elsewhere is the same layout.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import duckdb
import pandas as pd

from analytics import audit_trail
from analytics.access import Actor, Permission
from analytics.errors import AuditDataError
from analytics.ingest.spec import normalise_header
from analytics.ingest.trackers.model import (
    MAX_MAPPING_BYTES,
    MappingRefused,
    SheetLayout,
    TrackerMapping,
    parse_mapping,
)
from analytics.ingest.trackers.vocabulary import quadrant_named
from analytics.lake.catalog import Lake, Writer, first_line
from analytics.lake.location import StoreLocation, is_store, parse_location
from analytics.store import Store

if TYPE_CHECKING:
    from analytics.ingest.trackers.layout import TrackerRead, TrackerSheet

TABLE = "tracker_mappings"
SAVE_ACTION = "save mapping"
MAX_SLUG_CHARS = 80
# A sheet near-matches a layout when the headers they share are at least this share of all the
# headers either has: one column swapped for another in a 4-column sheet (3 of 5) still
# qualifies; two trackers of one team that share only their case columns do not.
NEAR_MATCH_MIN_SHARED = 0.6
DIFFERENCE_COLUMNS = ["sheet", "layout", "added", "removed"]
# Where saved mappings are read from: a store folder or setting, a Store (its snapshot), or an
# open transaction (its own writes included).
Source = Store | Writer | StoreLocation | str | os.PathLike[str]


def slug(name: str) -> str:
    """Return a mapping's key in the store: 'NW permanency tracker' -> nw-permanency-tracker."""
    text = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:MAX_SLUG_CHARS].strip("-")
    return text or "mapping"


def read_mapping_file(path: Path) -> TrackerMapping:
    """Return the mapping in a file; MappingRefused for one that is not a regular file, is too
    big (never read into memory) or is not a valid mapping."""
    status = path.stat()
    if not stat.S_ISREG(status.st_mode):  # a pipe or a device: reading could never end
        raise MappingRefused(path.name, ["not a regular file"])
    if status.st_size > MAX_MAPPING_BYTES:
        limit = f"a mapping is at most {MAX_MAPPING_BYTES:,}"
        raise MappingRefused(path.name, [f"the file is {status.st_size:,} bytes; {limit}"])
    with path.open("rb") as file:
        data = file.read(MAX_MAPPING_BYTES + 1)  # parse_mapping refuses one that grew meanwhile
    return parse_mapping(data, path.name)


@dataclass(frozen=True)
class SavedMappings:
    """The mappings a store holds, and the saved rows that could not be read (with why)."""

    mappings: list[TrackerMapping]
    slugs: list[str]  # beside each mapping, its key in the store
    damaged: list[str]  # "<slug>: reason"


def _rows(source: Source) -> pd.DataFrame:
    """Return the saved rows (slug, name, mapping) as the source sees them."""
    columns = "slug, name, mapping"
    if isinstance(source, Writer):
        return source.read(TABLE)[["slug", "name", "mapping"]]
    if isinstance(source, Store):
        return source.query(f"SELECT {columns} FROM {TABLE}")
    location = source if isinstance(source, StoreLocation) else parse_location(source)
    if not is_store(location):
        return pd.DataFrame(columns=["slug", "name", "mapping"])
    lake = Lake(location)
    cursor = lake.con.cursor()
    try:
        return cursor.execute(f"SELECT {columns} FROM {lake.alias}.{TABLE}").df()
    except duckdb.CatalogException:  # a store no one has written to yet
        return pd.DataFrame(columns=["slug", "name", "mapping"])
    except duckdb.Error as error:
        raise AuditDataError(
            f"The saved tracker mappings of the store at {location.shown()} could not be read: "
            f"{first_line(error)}"
        ) from error
    finally:
        cursor.close()
        lake.close()


def read_saved(source: Source) -> SavedMappings:
    """Return every saved mapping, by name; a row that is not a valid mapping is listed as
    damaged, never fatal."""
    found: list[tuple[TrackerMapping, str]] = []
    damaged = []
    for row in _rows(source).sort_values("slug").itertuples(index=False):
        try:
            found.append((parse_mapping(row.mapping or "", f"{row.slug}"), row.slug))
        except MappingRefused as refused:
            damaged.append(f"{row.slug}: " + "; ".join(refused.reasons))
    found.sort(key=lambda pair: (pair[0].name.casefold(), pair[1]))
    return SavedMappings([m for m, _ in found], [s for _, s in found], damaged)


def saved_mappings(source: Source) -> list[TrackerMapping]:
    """Return every readable saved mapping, sorted by name (read_saved lists damaged rows)."""
    return read_saved(source).mappings


def find_saved(source: Source, name: str) -> TrackerMapping:
    """Return the saved mapping with this name (or slug), ignoring case; AuditDataError
    naming the saved ones otherwise."""
    saved = read_saved(source)
    wanted = name.strip().casefold()
    for mapping, key in zip(saved.mappings, saved.slugs, strict=True):
        if wanted in (mapping.name.casefold(), key):
            return mapping
    for mapping in saved.mappings:
        if slug(name) == slug(mapping.name):
            return mapping
    names = ", ".join(repr(m.name) for m in saved.mappings) or "none yet"
    raise AuditDataError(f"No saved mapping is called {name!r}. Saved mappings: {names}.")


def load_mapping(source: Source, path_or_name: str) -> TrackerMapping:
    """Return the mapping in a JSON file on disk, or else the saved mapping of that name.

    Raises MappingRefused for a file that is not a valid mapping, AuditDataError for an unknown
    name.
    """
    path = Path(path_or_name)
    if path.exists() and not path.is_dir():  # a pipe or device is refused by name, not read
        return read_mapping_file(path)
    try:
        return find_saved(source, path_or_name)
    except AuditDataError as unknown:
        if path.suffix.lower() == ".json" or os.sep in path_or_name:  # meant as a file
            raise AuditDataError(f"file not found: {path}. {unknown}") from None
        raise


# --- recognition -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=65_536)  # the same few hundred headers, compared many times
def header_key(header: str) -> str:
    """Return the form headers are compared in: normalised, or folded when only symbols."""
    return normalise_header(header) or " ".join(str(header).split()).casefold()


@dataclass(frozen=True)
class _Fit:
    layout: SheetLayout | None
    exact: bool
    near: bool
    added: list[str]  # the sheet's headers the layout does not have (as the sheet shows them)
    removed: list[str]  # the layout's headers the sheet does not have (as the layout has them)


def _missing(headers: Sequence[str], other: Counter[str]) -> list[str]:
    left = Counter(other)
    out = []
    for header in headers:
        key = header_key(header)
        if left[key] > 0:
            left[key] -= 1
        else:
            out.append(header)
    return out


def _names(sheet: TrackerSheet) -> set[str]:
    return {n.casefold() for n in (sheet.sheet_name, sheet.file_name, sheet.label) if n}


def _fit(sheet: TrackerSheet, mapping: TrackerMapping) -> _Fit:
    """Return the layout of `mapping` closest to the sheet's headers (same name breaks ties)."""
    headers = list(sheet.headers)
    keys = Counter(header_key(h) for h in headers)
    best: tuple[tuple[int, int, int], _Fit] | None = None
    for layout in mapping.layouts:
        layout_keys = Counter(header_key(h) for h in layout.headers)
        added = _missing(headers, layout_keys)
        removed = _missing(layout.headers, keys)
        shared = sum((keys & layout_keys).values())
        union = sum((keys | layout_keys).values())
        fit = _Fit(
            layout,
            exact=not added and not removed,
            near=union > 0 and shared / union >= NEAR_MATCH_MIN_SHARED,
            added=added,
            removed=removed,
        )
        # Ties (several layouts with the same headers): the same name, then the same quadrant.
        named = quadrant_named(sheet.sheet_name, sheet.file_name)
        rank = (
            len(added) + len(removed),
            0 if layout.source.casefold() in _names(sheet) else 1,
            0 if layout.quadrant and layout.quadrant == named else 1,
        )
        if best is None or rank < best[0]:
            best = (rank, fit)
    assert best is not None  # a mapping has at least one layout
    return best[1]


@dataclass(frozen=True)
class Recognition:
    """Which saved mapping a tracker's layout is, and how well it fits.

    exact: every sheet's headers equal one layout's, and no other saved mapping fits as well;
    the mapping can be applied without asking. Otherwise `mapping` (if any) is offered, with
    `differences` (one row per sheet that differs: sheet, layout, added, removed headers, each
    "; "-joined) and `tied` (other mappings that fit equally well).
    """

    mapping: TrackerMapping | None
    exact: bool
    differences: pd.DataFrame
    tied: tuple[str, ...] = ()
    layouts: dict[str, str] = field(default_factory=dict)  # sheet label -> layout source

    @property
    def message(self) -> str:
        """Return one sentence saying what was recognised."""
        if self.mapping is None:
            return "No saved mapping fits this tracker's layout."
        name = repr(self.mapping.name)
        if self.tied:
            others = ", ".join(repr(t) for t in self.tied)
            how = "exactly" if self.differences.empty else "as closely"
            return (
                f"The layout fits several saved mappings {how}: {name}, {others}. "
                "Choose one by name."
            )
        if self.exact:
            return f"The layout is that of the saved mapping {name}."
        sheets = "; ".join(_summary(r) for r in self.differences.itertuples(index=False))
        return f"The layout is close to the saved mapping {name}, but differs: {sheets}."


SHOWN_HEADERS = 3  # a message names at most this many headers per sheet added or removed
NO_LAYOUT = "(the whole sheet: no layout of the mapping fits it)"


class _DifferenceRow(Protocol):
    """One row of Recognition.differences, as itertuples gives it."""

    sheet: str
    layout: str | None
    added: str
    removed: str


def _summary(row: _DifferenceRow) -> str:
    """Return one sheet's differences in a few words ("North West: added Review due")."""
    if row.layout is None:
        return f"{row.sheet}: no layout of the mapping fits it"
    parts = []
    for verb, listed in (("added", row.added), ("removed", row.removed)):
        headers = [h for h in listed.split("; ") if h] if listed else []
        if headers:
            more = len(headers) - SHOWN_HEADERS
            shown = "; ".join(headers[:SHOWN_HEADERS]) + (f" and {more} more" if more > 0 else "")
            parts.append(f"{verb} {shown}")
    return f"{row.sheet}: " + ", ".join(parts)


def _no_match() -> Recognition:
    return Recognition(None, False, pd.DataFrame(columns=DIFFERENCE_COLUMNS))


def _differences(sheets: Sequence[TrackerSheet], fits: list[_Fit]) -> pd.DataFrame:
    rows = [
        {
            "sheet": sheet.label,
            "layout": fit.layout.source if fit.near and fit.layout else None,
            "added": "; ".join(fit.added) if fit.near else NO_LAYOUT,
            "removed": "; ".join(fit.removed) if fit.near else "",
        }
        for sheet, fit in zip(sheets, fits, strict=True)
        if not fit.exact
    ]
    return pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)


def recognise(read: TrackerRead, saved: Sequence[TrackerMapping]) -> Recognition:
    """Return the saved mapping whose layouts fit the tracker's sheets best, exact or offered.

    Each sheet is compared with each layout of a mapping by normalised headers. A mapping is
    offered when at least one sheet matches or near-matches one of its layouts (at least
    NEAR_MATCH_MIN_SHARED of their headers shared); the best is the one with the most sheets
    matched exactly, then near-matched, then the fewest headers added or removed in the sheets
    that fit (a sheet no layout fits counts once, whatever its size). Equally good
    mappings are `tied`, and a tie is never exact (a person chooses).
    """
    sheets = list(read.sheets)
    if not sheets or not saved:
        return _no_match()
    scored = []
    for mapping in saved:
        fits = [_fit(sheet, mapping) for sheet in sheets]
        if not any(f.exact or f.near for f in fits):
            continue
        score = (
            sum(f.exact for f in fits),
            sum(f.near or f.exact for f in fits),
            -sum(len(f.added) + len(f.removed) for f in fits if f.near),
        )
        scored.append((score, mapping, fits))
    if not scored:
        return _no_match()
    scored.sort(key=lambda item: item[0], reverse=True)  # stable: saved order breaks ties
    score, mapping, fits = scored[0]
    tied = tuple(m.name for s, m, _ in scored[1:] if s == score)
    exact = all(f.exact for f in fits)
    layouts = {
        sheet.label: fit.layout.source
        for sheet, fit in zip(sheets, fits, strict=True)
        if fit.layout is not None and (fit.exact or fit.near)
    }
    return Recognition(
        mapping,
        exact and not tied,
        _differences(sheets, fits),
        tied,
        layouts,
    )


# --- saving ----------------------------------------------------------------------------------


def mapping_bytes(mapping: TrackerMapping) -> bytes:
    """Return the JSON a mapping is saved as, checked to read back as the same mapping."""
    data = mapping.to_json().encode("utf-8")
    if len(data) > MAX_MAPPING_BYTES:
        raise MappingRefused(
            mapping.name,
            [f"the mapping is {len(data):,} bytes; a mapping is at most {MAX_MAPPING_BYTES:,}"],
        )
    if parse_mapping(data, slug(mapping.name)) != mapping:  # never save what won't load
        raise MappingRefused(mapping.name, ["the mapping does not read back as itself"])
    return data


def save_event(
    actor: Actor, mapping: TrackerMapping, replaced: str | None = None
) -> audit_trail.Event:
    """Return the audit-trail event of saving a mapping."""
    layouts = ", ".join(layout.source for layout in mapping.layouts)
    detail = f"{slug(mapping.name)}; layouts: {layouts}; digest {mapping.digest[:12]}"
    if replaced is not None:
        detail += f"; replaces the saved mapping {replaced!r}"
    return audit_trail.Event(actor, SAVE_ACTION, mapping.name, theme_id=mapping.theme_id,
                             detail=detail)  # fmt: skip


def replaced_name(source: Source, mapping: TrackerMapping) -> str | None:
    """Return the name of the saved mapping that saving `mapping` would replace, if any."""
    key = slug(mapping.name)
    rows = _rows(source)
    same = rows[rows["slug"] == key]
    if same.empty:
        return None
    return str(same["name"].iloc[-1] or key)


@dataclass(frozen=True)
class SaveResult:
    """The outcome of saving a mapping: its name and key in the store, and what it replaced."""

    name: str
    slug: str
    replaced: str | None
    message: str


def _write(writer: Writer, mapping: TrackerMapping, actor: Actor | None) -> SaveResult:
    data = mapping_bytes(mapping)
    key = slug(mapping.name)
    replaced = replaced_name(writer, mapping)
    writer.delete(TABLE, "slug = $slug", {"slug": key})
    writer.append(
        TABLE, pd.DataFrame({"slug": [key], "name": [mapping.name], "mapping": [data.decode()]})
    )
    if actor is not None:
        audit_trail.append_event(writer, save_event(actor, mapping, replaced))
    said = f" It replaces the saved mapping {replaced!r}." if replaced else ""
    message = f"Saved the mapping {mapping.name!r} in the store (as {key}).{said}"
    return SaveResult(mapping.name, key, replaced, message)


def write_into(
    writer: Writer, mapping: TrackerMapping, actor: Actor | None = None
) -> SaveResult | None:
    """Save the mapping inside an open transaction (an import's), with its audit-trail event
    when `actor` is given; None, and nothing written, if exactly this mapping is saved already.
    MappingRefused for a mapping that cannot be saved (too big, or not reading back)."""
    data = mapping_bytes(mapping)
    rows = _rows(writer)
    same = rows[rows["slug"] == slug(mapping.name)]
    if len(same) == 1 and same["mapping"].iloc[0] == data.decode():
        return None
    return _write(writer, mapping, actor)


def save_mapping(
    location: StoreLocation | str | os.PathLike[str], mapping: TrackerMapping, actor: Actor
) -> SaveResult:
    """Save a mapping in the store under its name (replacing one of that name); recorded.

    Only an actor with the import permission may (AccessRefused otherwise, recorded). The store
    must exist: a mapping saved with a store's first import goes through write_into instead.
    """
    where = location if isinstance(location, StoreLocation) else parse_location(location)
    mapping_bytes(mapping)  # refuse a mapping that cannot be saved before anything else
    audit_trail.require_recorded(
        where,
        Permission.IMPORT,
        audit_trail.Event(actor, SAVE_ACTION, mapping.name, theme_id=mapping.theme_id),
    )
    if not is_store(where):
        raise AuditDataError(
            f"No audit store at {where.shown()}: import a round first (the mapping used is saved "
            "with it)."
        )
    lake = Lake(where)
    try:
        result, _ = lake.write(
            lambda writer: _write(writer, mapping, actor),
            author=actor.user,
            message=f"{SAVE_ACTION} {mapping.name}",
        )
    finally:
        lake.close()
    return result


def pair_layouts(read: TrackerRead, mapping: TrackerMapping) -> dict[str, str]:
    """Return sheet label -> layout source for the sheets that fit a layout of `mapping`
    exactly or nearly (for a mapping given by name, whose sheets may have been renamed)."""
    return dict(recognise(read, [mapping]).layouts)
