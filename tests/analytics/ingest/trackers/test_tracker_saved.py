"""Tracker mappings saved in the store, and recognising a tracker's layout next round."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from paths import ROOT, TESTS

from analytics import audit_trail
from analytics.access import AccessRefused, Actor
from analytics.errors import AuditDataError
from analytics.ingest.problems import Problems
from analytics.ingest.reading import sources_from_paths
from analytics.ingest.trackers.layout import TrackerColumn, TrackerRead, TrackerSheet, read_trackers
from analytics.ingest.trackers.model import (
    MAX_MAPPING_BYTES,
    MappingRefused,
    SheetLayout,
    TrackerMapping,
    parse_mapping,
)
from analytics.ingest.trackers.saved import (
    NO_LAYOUT,
    SaveResult,
    load_mapping,
    read_saved,
    recognise,
    save_mapping,
    saved_mappings,
    slug,
    write_into,
)
from analytics.lake.catalog import Lake
from analytics.store import Store
from tests.ingest_helpers import ANALYST

READER = Actor("reader@council.example", "A reader", "reader", signed_in=True)

NW_HEADERS = [
    "Child ref", "Date of audit", "Team",
    "1. Permanency planning meetings are managed effectively", "Comments", "Overall Grade",
]  # fmt: skip
NE_HEADERS = ["Case reference", "Audited on", "PERM-01 (Y/N)", "PERM-02 (Y/N)"]


def layout(source: str, headers: list[str], **extra) -> SheetLayout:
    return SheetLayout(source=source, headers=headers, **extra)


def mapping(name: str, *layouts: SheetLayout, **extra) -> TrackerMapping:
    return TrackerMapping(name=name, theme_id="permanency", layouts=list(layouts), **extra)


NW_MAPPING = mapping(
    "NW permanency tracker",
    layout(
        "North West", NW_HEADERS,
        fields={"case_ref": "Child ref", "audit_date": "Date of audit", "team": "Team",
                "overall_grade": "Overall Grade"},
        standards={"1. Permanency planning meetings are managed effectively": "PERM-01"},
        comments={"Comments": "PERM-01"}, quadrant="NW",
    ),
    answers={"Yes": "Met", "No": "Not met"}, grades={"RI": "Requires improvement"},
)  # fmt: skip


def sheet(label: str, headers: list[str], sheet_name: str | None = None) -> TrackerSheet:
    """A tracker sheet as the reader gives it: one header row (row 1), no body rows."""
    columns = [
        TrackerColumn(number=i, letter=chr(64 + i), header=h, upper=h, lower=None)
        for i, h in enumerate(headers, start=1)
    ]
    return TrackerSheet(
        file_name="tracker.xlsx", sheet_name=label if sheet_name is None else sheet_name,
        label=label, header_rows=(1,), columns=columns, body=pd.DataFrame(),
    )  # fmt: skip


def tracker(*sheets: TrackerSheet) -> TrackerRead:
    return TrackerRead(sheets=list(sheets), problems=Problems(), ignored_sheets=[], sha256="0")


# --- saving ------------------------------------------------------------------------------------


def test_slug_is_the_name_in_lower_case_with_dashes():
    assert slug("NW permanency tracker") == "nw-permanency-tracker"
    assert slug("  S.E. / Permanency (2021)!  ") == "s-e-permanency-2021"
    assert slug("✓✓") == "mapping"


def saved_rows(data_dir: Path) -> list[list[str]]:
    """The store's tracker_mappings rows as they are now: slug, name, JSON."""
    lake = Lake(data_dir)
    try:
        rows = lake.con.execute(
            f"SELECT slug, name, mapping FROM {lake.alias}.tracker_mappings ORDER BY slug"
        )
        return [list(row) for row in rows.fetchall()]
    finally:
        lake.close()


def test_save_writes_the_mapping_row_and_records_who_in_one_snapshot(tiny_dir):
    cases_before = Store(tiny_dir).query("SELECT count(*) AS n FROM cases")["n"].iloc[0]
    before = Lake(tiny_dir).latest_snapshot()
    result = save_mapping(tiny_dir, NW_MAPPING, ANALYST)
    assert result == SaveResult(
        "NW permanency tracker", "nw-permanency-tracker", None,
        "Saved the mapping 'NW permanency tracker' in the store (as nw-permanency-tracker).",
    )  # fmt: skip
    # the pure mapping, exactly as downloaded: no who or when
    assert saved_rows(tiny_dir) == [
        ["nw-permanency-tracker", "NW permanency tracker", NW_MAPPING.to_json()]
    ]
    assert saved_mappings(tiny_dir) == [NW_MAPPING]
    trail = audit_trail.read_trail(tiny_dir)
    saved = trail[trail["action"] == "save mapping"]
    assert saved[["user", "role", "what", "theme_id", "outcome"]].values.tolist() == [
        ["qa.analyst@council.example", "analyst", "NW permanency tracker", "permanency", "done"]
    ]
    assert saved["detail"].iloc[0].startswith("nw-permanency-tracker; layouts: North West;")
    # the row and its event are one snapshot, by the analyst
    snapshots = Lake(tiny_dir).snapshots()
    assert [(s.snapshot_id, s.author, s.message) for s in snapshots if s.snapshot_id > before] == [
        (before + 1, "qa.analyst@council.example", "save mapping NW permanency tracker")
    ]
    # the data is untouched
    assert Store(tiny_dir).query("SELECT count(*) AS n FROM cases")["n"].iloc[0] == cases_before


def test_saving_under_a_saved_name_replaces_it_and_the_earlier_snapshot_keeps_the_old(tiny_dir):
    save_mapping(tiny_dir, NW_MAPPING, ANALYST)
    first = Lake(tiny_dir).latest_snapshot()
    revised = NW_MAPPING.model_copy(update={"name": "NW Permanency Tracker", "blank_answer":
                                            "Not applicable"})  # fmt: skip
    result = save_mapping(tiny_dir, revised, ANALYST)
    assert (result.name, result.slug, result.replaced) == (
        "NW Permanency Tracker",
        "nw-permanency-tracker",
        "NW permanency tracker",
    )
    assert "replaces the saved mapping 'NW permanency tracker'" in result.message
    assert saved_rows(tiny_dir) == [
        ["nw-permanency-tracker", "NW Permanency Tracker", revised.to_json()]
    ]
    assert saved_mappings(tiny_dir) == [revised]
    assert saved_mappings(Store(tiny_dir, as_of=first)) == [NW_MAPPING]  # what a reader held


def test_a_reader_may_not_save_a_mapping_and_the_refusal_is_recorded(tiny_dir):
    with pytest.raises(AccessRefused, match="may not save mapping NW permanency tracker"):
        save_mapping(tiny_dir, NW_MAPPING, READER)
    assert saved_rows(tiny_dir) == []
    trail = audit_trail.read_trail(tiny_dir)
    assert trail[["user", "action", "outcome"]].values.tolist() == [
        ["reader@council.example", "save mapping", "refused"]
    ]


def test_saving_needs_a_store(tmp_path):
    with pytest.raises(AuditDataError, match=r"No audit store at .*import a round first"):
        save_mapping(tmp_path / "none", NW_MAPPING, ANALYST)
    assert not (tmp_path / "none").exists()
    with pytest.raises(AccessRefused):  # a refusal with no store to record it in creates none
        save_mapping(tmp_path / "none", NW_MAPPING, READER)
    assert not (tmp_path / "none").exists()


def test_a_damaged_saved_row_is_reported_and_the_others_still_read(tiny_dir):
    save_mapping(tiny_dir, NW_MAPPING, ANALYST)
    damaged = pd.DataFrame(
        {
            "slug": ["broken", "huge", "wrong"],
            "name": ["broken", "huge", "wrong"],
            "mapping": ["{not json", " " * (MAX_MAPPING_BYTES + 1),
                        '{"name": "x", "theme_id": "t", "layouts": []}'],
        }
    )  # fmt: skip
    lake = Lake(tiny_dir)
    lake.write(lambda writer: writer.append("tracker_mappings", damaged), author="t", message="t")
    lake.close()
    saved = read_saved(tiny_dir)
    assert saved.mappings == [NW_MAPPING] and saved.slugs == ["nw-permanency-tracker"]
    assert [d.split(":")[0] for d in saved.damaged] == ["broken", "huge", "wrong"]
    assert "not a JSON file" in saved.damaged[0]
    assert f"the file is {MAX_MAPPING_BYTES + 1:,} bytes" in saved.damaged[1]
    assert "layouts: List should have at least 1 item" in saved.damaged[2]


def test_write_into_saves_inside_a_transaction_once_and_refuses_a_mapping_too_big(tiny_dir):
    wide = [f"{i:03d} " + "x" * 290 for i in range(500)]  # 500 headers of 294 characters
    big = mapping("Wide", layout("A", wide), layout("B", wide))
    lake = Lake(tiny_dir)
    before = lake.latest_snapshot()
    with pytest.raises(MappingRefused, match="a mapping is at most 256,000"):
        lake.write(lambda writer: write_into(writer, big, ANALYST), author="t", message="t")
    assert lake.latest_snapshot() == before and saved_rows(tiny_dir) == []  # nothing committed
    first, _ = lake.write(lambda writer: write_into(writer, NW_MAPPING, ANALYST), author="t",
                          message="t")  # fmt: skip
    assert (first.name, first.slug, first.replaced) == (
        "NW permanency tracker",
        "nw-permanency-tracker",
        None,
    )
    again, _ = lake.write(lambda writer: write_into(writer, NW_MAPPING, ANALYST), author="t",
                          message="t")  # fmt: skip
    lake.close()
    assert again is None  # saved as it is already: no row, no event
    assert saved_rows(tiny_dir) == [
        ["nw-permanency-tracker", "NW permanency tracker", NW_MAPPING.to_json()]
    ]
    assert audit_trail.read_trail(tiny_dir)["action"].tolist() == ["save mapping"]


def test_load_mapping_takes_a_file_or_a_saved_name(tiny_dir, tmp_path):
    save_mapping(tiny_dir, NW_MAPPING, ANALYST)
    assert load_mapping(tiny_dir, "nw permanency TRACKER") == NW_MAPPING
    assert load_mapping(tiny_dir, "nw-permanency-tracker") == NW_MAPPING
    edited = tmp_path / "edited.json"
    edited.write_text(NW_MAPPING.to_json().replace('"Met"', '"Not met"', 1), encoding="utf-8")
    assert load_mapping(tiny_dir, str(edited)).answers == {"Yes": "Not met", "No": "Not met"}
    with pytest.raises(AuditDataError, match="Saved mappings: 'NW permanency tracker'"):
        load_mapping(tiny_dir, "SE tracker")
    with pytest.raises(AuditDataError, match="file not found"):
        load_mapping(tiny_dir, str(tmp_path / "missing.json"))
    slashed = NW_MAPPING.model_copy(update={"name": "NW / NE tracker"})
    save_mapping(tiny_dir, slashed, ANALYST)
    assert load_mapping(tiny_dir, "NW / NE tracker") == slashed  # a name, though it has a "/"


# --- recognition -------------------------------------------------------------------------------


def test_the_same_headers_in_another_case_spacing_and_order_are_recognised_exactly():
    shown = ["OVERALL GRADE", "child  ref", "Date of Audit", "team",
             "1 Permanency planning meetings are managed effectively.", "comments"]  # fmt: skip
    result = recognise(tracker(sheet("NW round 2", shown)), [NW_MAPPING])
    assert result.mapping == NW_MAPPING and result.exact
    assert result.differences.empty
    assert result.layouts == {"NW round 2": "North West"}
    assert result.message == "The layout is that of the saved mapping 'NW permanency tracker'."


def test_a_column_added_and_one_removed_is_offered_with_the_differences():
    shown = [h for h in NW_HEADERS if h != "Team"] + ["Social worker visits"]
    result = recognise(tracker(sheet("North West", shown)), [NW_MAPPING])
    assert result.mapping == NW_MAPPING and not result.exact
    assert result.differences.to_dict("records") == [
        {"sheet": "North West", "layout": "North West", "added": "Social worker visits",
         "removed": "Team"}
    ]  # fmt: skip
    assert "added Social worker visits, removed Team" in result.message
    wider = recognise(tracker(sheet("NW", [*NW_HEADERS, "A", "B", "C", "D"])), [NW_MAPPING])
    assert wider.differences["added"].tolist() == ["A; B; C; D"]
    assert wider.message == (
        "The layout is close to the saved mapping 'NW permanency tracker', but differs: NW: added "
        "A; B; C and 1 more."
    )


def test_an_unrelated_layout_is_not_recognised():
    shown = ["Reference", "Date", "Standard A", "Standard B", "Notes"]
    result = recognise(tracker(sheet("Sheet1", shown)), [NW_MAPPING])
    assert result.mapping is None and not result.exact
    assert result.message == "No saved mapping fits this tracker's layout."
    assert recognise(tracker(sheet("NW", NW_HEADERS)), []).mapping is None


def test_the_best_of_several_mappings_is_picked_and_a_tie_is_never_exact():
    near = mapping("NW old", layout("North West", [*NW_HEADERS, "Extra"]))
    ne = mapping("NE tracker", layout("NE", NE_HEADERS))
    read = tracker(sheet("North West", NW_HEADERS))
    result = recognise(read, [near, ne, NW_MAPPING])
    assert result.mapping == NW_MAPPING and result.exact and result.tied == ()
    twin = NW_MAPPING.model_copy(update={"name": "NW copy"})
    tied = recognise(read, [NW_MAPPING, twin])
    assert tied.mapping == NW_MAPPING and tied.tied == ("NW copy",) and not tied.exact
    assert "several saved mappings exactly" in tied.message


def test_a_workbook_of_two_sheets_uses_each_sheets_layout():
    both = mapping("County", layout("NW", NW_HEADERS), layout("NE", NE_HEADERS))
    read = tracker(sheet("NE", NE_HEADERS), sheet("NW", NW_HEADERS))
    result = recognise(read, [both])
    assert result.exact and result.layouts == {"NE": "NE", "NW": "NW"}
    with_summary = tracker(sheet("NE", NE_HEADERS), sheet("Summary", ["Quadrant", "Met %"]))
    partial = recognise(with_summary, [both])
    assert partial.mapping == both and not partial.exact
    assert partial.differences.to_dict("records") == [
        {"sheet": "Summary", "layout": None, "added": NO_LAYOUT, "removed": ""}
    ]
    assert partial.message == (
        "The layout is close to the saved mapping 'County', but differs: Summary: no layout of "
        "the mapping fits it."
    )


def test_two_sheets_with_one_layout_each_pick_theirs_by_name_when_headers_are_equal():
    twice = mapping("Two", layout("NW", NE_HEADERS, quadrant="NW"), layout("NE", NE_HEADERS,
                                                                          quadrant="NE"))  # fmt: skip
    result = recognise(tracker(sheet("NE", NE_HEADERS), sheet("NW", NE_HEADERS)), [twice])
    assert result.exact and result.layouts == {"NE": "NE", "NW": "NW"}


def test_a_saved_mapping_survives_a_round_trip_through_a_downloaded_file(tiny_dir, tmp_path):
    save_mapping(tiny_dir, NW_MAPPING, ANALYST)
    downloaded = tmp_path / "nw-permanency-tracker.json"
    downloaded.write_text(saved_rows(tiny_dir)[0][2], encoding="utf-8")
    again = load_mapping(tiny_dir, str(downloaded))
    assert again == NW_MAPPING and again.digest == NW_MAPPING.digest


FIXTURES = TESTS / "fixtures" / "trackers"


def read_fixture(name: str) -> TrackerRead:
    return read_trackers(sources_from_paths([FIXTURES / name]))


def test_next_rounds_workbook_is_recognised_and_an_added_column_is_offered():
    first = read_fixture("four_quadrants.xlsx")
    layouts = [layout(s.label, s.headers) for s in first.sheets]
    saved = mapping("County permanency trackers", *layouts)
    assert [x.source for x in saved.layouts] == ["North West", "NE tracker", "SW_permanency", "SE"]
    next_round = recognise(read_fixture("four_quadrants_2021-08.xlsx"), [saved])
    assert next_round.exact and next_round.mapping == saved
    assert list(next_round.layouts.values()) == ["North West", "NE tracker", "SW_permanency", "SE"]
    added = recognise(read_fixture("four_quadrants_2021-08_added_column.xlsx"), [saved])
    assert added.mapping == saved and not added.exact
    assert added.differences.to_dict("records") == [
        {"sheet": "North West", "layout": "North West", "added": "Review due", "removed": ""}
    ]
    # one quadrant's own file is the same layout as that quadrant's sheet
    alone = recognise(read_fixture("SW_permanency.csv"), [saved])
    assert alone.exact and alone.layouts == {"SW_permanency.csv": "SW_permanency"}


def test_the_readmes_example_mapping_is_a_valid_mapping():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Importing a tracker", 1)[1].split("\n## ", 1)[0]
    example = section.split("```json\n", 1)[1].split("```", 1)[0]
    documented = parse_mapping(example, "README.md")
    assert documented.name == "NW permanency tracker"
    assert f"`{slug(documented.name)}`" in section  # the slug the README gives
    assert documented.layouts[0].comments == {"Comments": "PERM-01"}


def test_one_mapping_per_quadrant_against_the_county_workbook_is_a_tie_never_applied():
    singles = [
        mapping(f"{quadrant} tracker", layout(s.label, s.headers))
        for quadrant, name in (("NW", "north_west.xlsx"), ("NE", "ne_tracker.xlsx"),
                               ("SW", "SW_permanency.csv"), ("SE", "se.xlsx"))
        for s in read_fixture(name).sheets
    ]  # fmt: skip
    result = recognise(read_fixture("four_quadrants.xlsx"), singles)
    assert result.mapping == singles[0] and not result.exact
    assert result.tied == ("NE tracker", "SW tracker", "SE tracker")
    assert result.message == (
        "The layout fits several saved mappings as closely: 'NW tracker', 'NE tracker', "
        "'SW tracker', 'SE tracker'. Choose one by name."
    )
    assert result.differences["sheet"].tolist() == ["NE tracker", "SW_permanency", "SE"]
