"""The Data page's tracker flow through AppTest: a QA team's own tracker is proposed a mapping,
imported unedited (which saves the mapping), and recognised next round with no mapping step;
edits rebuild the mapping; a broken mapping file is refused with its reasons."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from ingest_helpers import copy_store
from openpyxl import Workbook
from paths import ROOT
from streamlit.testing.v1 import AppTest
from table_helpers import read_as_words

from analytics import queries
from analytics.ingest import Source
from analytics.ingest.trackers import layout, propose, saved
from analytics.ingest.trackers.apply import audit_id_for
from analytics.ingest.trackers.model import TrackerMapping
from analytics.store import Store
from ui import tracker_mapping

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QUADRANTS = ("NW", "NE", "SW", "SE")
WORDS = ("Yes", "No", "Partially", "N/A")  # Met, Not met, Partially met, Not applicable


@pytest.fixture
def store_copy(sample_dir, tmp_path, monkeypatch) -> Path:
    data_dir = copy_store(sample_dir, tmp_path / "data")
    monkeypatch.setenv("AUDIT_DATA_DIR", str(data_dir))
    return data_dir


def tracker(wording: dict[str, str], day: str, prefix: str, extra: str | None = None) -> bytes:
    """A permanency tracker as a QA team keeps one: a title row and a blank row above the
    header, one row per child (8: two per quadrant), a column per standard headed "1. <its
    wording>", a Comments column after the third, UK dates, answers Yes/No/Partially/N/A
    (case i, standard j answers WORDS[(i + j) % 4])."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Permanency tracker"
    sheet.append(["Permanency audit tracker (synthetic)"])
    sheet.append([])
    standards = [f"{n}. {text}" for n, text in enumerate(wording.values(), start=1)]
    headers = ["Child ref", "Quadrant", "Date of audit", *standards[:3], "Comments",
               *standards[3:]]  # fmt: skip
    if extra:
        headers.append(extra)
    sheet.append(headers)
    for i in range(8):
        answers = [WORDS[(i + j) % 4] for j in range(len(standards))]
        row = [f"{prefix}-{i:03d}", QUADRANTS[i % 4], day, *answers[:3], "seen on file",
               *answers[3:]]  # fmt: skip
        if extra:
            row.append("Yes")
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def data_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/data.py").run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, name: str, data: bytes) -> None:
    at.file_uploader[0].set_value([(name, data, XLSX)]).run()
    assert not at.exception, at.exception


def frame_with(at: AppTest, *columns: str) -> pd.DataFrame | None:
    for element in at.dataframe:
        if set(columns) <= set(element.value.columns):
            return element.value
    return None


def texts(at: AppTest) -> str:
    return "\n".join(t.value for t in at.text)


def choose_round(at: AppTest, theme: str | None, round_id: str) -> None:
    if theme is not None:
        at.selectbox(key="tracker_theme").set_value(theme).run()
    at.text_input(key="tracker_new_round_permanency").input(round_id).run()
    assert not at.exception, at.exception


def test_a_tracker_is_mapped_unedited_imported_and_recognised_next_round(store_copy, sample):
    wording = queries.questions(sample, "permanency")
    at = data_page()
    upload(at, "march_tracker.xlsx", tracker(wording, "05/03/2021", "MAR"))
    assert "A tracker: its columns are mapped" in at.subheader[0].value
    assert at.selectbox(key="tracker_theme").value == "permanency"  # from the headers' wording
    # The mapping step: fields, standards (every one matched, none unmatched) and answer words.
    choose_round(at, "permanency", "2021-03")
    fields = frame_with(at, "Field", "Column")
    assert dict(zip(fields["Field"], fields["Column"], strict=True)) == {
        "Case reference": "Child ref", "Quadrant": "Quadrant", "Team": "(no column)",
        "Audit date": "Date of audit", "Gender": "(no column)", "Age band": "(no column)",
        "Overall grade": "(no column)",
    }  # fmt: skip
    standards = frame_with(at, "Maps to", "Match")
    expected = [f"{q} · {t}" for q, t in wording.items()]
    assert sorted(standards["Maps to"]) == sorted([*expected, "comment on PERM-03"])
    assert "unmatched" not in set(standards["Match"])
    assert any(
        c.value == "11 columns besides the fields: 10 standards, 1 comments, 0 unmatched, "
        "0 not imported."
        for c in at.caption
    )
    words = frame_with(at, "Word", "Means")
    assert dict(zip(words["Word"], words["Means"], strict=True)) == {
        "Yes": "Met", "No": "Not met", "Partially": "Partially met", "N/A": "Not applicable"
    }  # fmt: skip
    assert sorted(words["Seen"].astype(int)) == [20, 20, 20, 20]  # 8 cases x 10 standards / 4
    # The preview: 8 cases, 80 responses, every standard answered.
    counts = frame_with(at, "What", "Rows").set_index("What")["Rows"]
    assert (counts["cases"], counts["responses"], counts["rounds created"]) == ("8", "80", "1")
    completeness = frame_with(at, "Standards per case", "Share answered")
    assert completeness[["Cases", "Answered", "Complete"]].values.tolist() == [
        ["8", "80 of 80", "yes"]
    ]
    # The first rows as they will be stored, in words, with the tracker's sheet and row.
    first = audit_id_for("permanency", "2021-03", "MAR-000")
    cases = frame_with(at, "Tracker sheet", "Case ref")
    assert cases.iloc[0].tolist() == [
        "Permanency tracker", "4", first, "NW", "—", "MAR-000", "5 Mar 2021", "—", "—", "—"
    ]  # fmt: skip
    responses = frame_with(at, "Tracker sheet", "Question")
    assert responses.iloc[:3].values.tolist() == [
        ["Permanency tracker", "4", first, "PERM-01", "Met", "—"],
        ["Permanency tracker", "4", first, "PERM-02", "Not met", "—"],
        ["Permanency tracker", "4", first, "PERM-03", "Partially met", "seen on file"],
    ]
    theme_ids = set(queries.themes(sample)["theme_id"])
    for table in (cases, responses, frame_with(at, "Kind", "Word", "From")):
        read_as_words(table, theme_ids)
    at.button(key="import_confirm").click().run()
    assert not at.exception, at.exception
    assert "8 cases, 80 responses" in texts(at)
    store = Store(store_copy)
    assert queries.audited_rounds(store, "permanency")[-1] == "2021-03"
    assert [m.name for m in saved.saved_mappings(store_copy)] == ["march tracker"]

    # Next round: the same layout is recognised, no mapping step, straight to the preview.
    at = data_page()
    upload(at, "september_tracker.xlsx", tracker(wording, "10/09/2021", "SEP"))
    assert any(s.value.startswith("Recognised: march tracker, saved ") for s in at.success)
    assert frame_with(at, "Maps to", "Match") is None
    at.checkbox(key="tracker_edit_saved").check().run()  # the saved mapping, editable
    standards = frame_with(at, "Maps to", "Match")
    assert sorted(standards["Maps to"]) == sorted([*expected, "comment on PERM-03"])
    at.checkbox(key="tracker_edit_saved").uncheck().run()
    # No round typed: the round is named from the audit dates (September 2021), said so.
    assert any(c.value.startswith("Round: none typed") for c in at.caption)
    rounds = frame_with(at, "Starts", "Ends", "Change")
    assert rounds[["Round id", "Starts", "Ends", "Cases", "Change"]].values.tolist() == [
        ["2021-09", "10 Sep 2021", "10 Sep 2021", "8", "new round"]
    ]
    counts = frame_with(at, "What", "Rows").set_index("What")["Rows"]
    assert (counts["cases"], counts["responses"]) == ("8", "80")
    at.button(key="import_confirm").click().run()
    assert not at.exception, at.exception
    assert queries.audited_rounds(Store(store_copy), "permanency")[-2:] == ["2021-03", "2021-09"]


FIXTURES = ROOT / "tests" / "fixtures" / "trackers"


def test_a_column_added_is_offered_the_saved_mapping_with_the_difference(store_copy):
    """four_quadrants.xlsx imported unedited; next round's workbook has a "Review due" column
    added to its North West sheet: the saved mapping is offered, the difference listed, the
    new column not imported, and importing saves the mapping with it."""
    at = data_page()
    upload(at, "four_quadrants.xlsx", (FIXTURES / "four_quadrants.xlsx").read_bytes())
    choose_round(at, "permanency", "2021-03")
    at.button(key="import_confirm").click().run()
    assert "Imported four_quadrants.xlsx as imp-0001: 30 cases, 294 responses." in texts(at)

    added = (FIXTURES / "four_quadrants_2021-08_added_column.xlsx").read_bytes()
    upload(at, "four_quadrants_2021-08_added_column.xlsx", added)
    assert any(
        w.value.startswith("Nearly the layout of the saved mapping four quadrants, saved ")
        for w in at.warning
    ), [w.value for w in at.warning]
    differences = frame_with(at, "Sheet", "Columns added", "Columns removed")
    assert differences[["Sheet", "Columns added", "Columns removed"]].values.tolist() == [
        ["North West", "Review due", "—"]
    ]
    assert at.radio(key="tracker_near_choice").value == "The saved mapping four quadrants"
    standards = frame_with(at, "Maps to", "Match").set_index("Column")
    assert standards.loc["Review due", "Maps to"] == tracker_mapping.IGNORED
    choose_round(at, None, "2021-08")
    counts = frame_with(at, "What", "Rows").set_index("What")["Rows"]
    assert (counts["cases"], counts["responses"]) == ("30", "294")
    assert "North West: Review due" in texts(at)  # listed as a column not imported
    at.button(key="import_confirm").click().run()
    assert not at.exception, at.exception
    [mapping] = saved.saved_mappings(store_copy)
    north_west = next(layout for layout in mapping.layouts if layout.source == "North West")
    assert north_west.headers[-1] == "Review due" and "Review due" in north_west.ignored


def edit_standards(at: AppTest, edits: dict[int, str]) -> None:
    """Choose what standard-table rows map to, as a person does in the table's select boxes."""
    key = next(k for k in at.session_state if k.startswith("tracker_standards_"))
    rows = {row: {"Maps to": target} for row, target in edits.items()}
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception


def test_an_unmatched_column_says_so_and_an_edit_rebuilds_the_mapping(store_copy, sample):
    wording = queries.questions(sample, "permanency")
    at = data_page()
    upload(at, "march_tracker.xlsx", tracker(wording, "05/03/2021", "MAR", "Sibling contact"))
    choose_round(at, "permanency", "2021-03")
    standards = frame_with(at, "Maps to", "Match")
    first = standards.iloc[0]  # unmatched first, in words (not only by colour)
    assert (first["Column"], first["Maps to"], first["Match"]) == (
        "Sibling contact", tracker_mapping.IGNORED, "unmatched",
    )  # fmt: skip
    assert (standards["Match"] == "unmatched").sum() == 1
    assert "Permanency tracker: Sibling contact" in texts(at)  # listed as not imported
    counts = frame_with(at, "What", "Rows").set_index("What")["Rows"]
    assert (counts["cases"], counts["responses"]) == ("8", "80")

    # Map it to PERM-10 as well: two columns answer PERM-10, which the check refuses.
    perm_10 = f"PERM-10 · {wording['PERM-10']}"
    edit_standards(at, {0: perm_10})
    assert at.error and "problem" in at.error[0].value
    assert not any(b.key == "import_confirm" for b in at.button)
    # Then ignore the old PERM-10 column: 80 responses again, the old column not imported.
    old = int(standards.index[standards["Maps to"] == perm_10][0])
    edit_standards(at, {0: perm_10, old: tracker_mapping.IGNORED})
    assert not at.error, [e.value for e in at.error]
    counts = frame_with(at, "What", "Rows").set_index("What")["Rows"]
    assert (counts["cases"], counts["responses"]) == ("8", "80")
    assert f"Permanency tracker: 10. {wording['PERM-10']}" in texts(at)
    assert "Sibling contact" not in texts(at)


def test_an_uploaded_mapping_is_used_a_broken_one_refused(store_copy, sample):
    wording = queries.questions(sample, "permanency")
    data = tracker(wording, "05/03/2021", "MAR")
    at = data_page()
    upload(at, "march_tracker.xlsx", data)
    broken = json.dumps({"format": "audit-insight/tracker-mapping/1", "name": "x",
                         "layouts": [], "answers": {"Yes": "Maybe"}}).encode()  # fmt: skip
    mapping_upload = at.file_uploader(key="tracker_mapping_upload")
    mapping_upload.set_value([("edited.json", broken, "application/json")]).run()
    assert not at.exception, at.exception
    assert any("The mapping edited.json cannot be used: 3 problems." in e.value for e in at.error)
    reasons = texts(at)
    for where in ("theme_id", "layouts", "answers.Yes"):
        assert where in reasons

    # A mapping made elsewhere (the command line's proposal, renamed): used as it is, its theme
    # taken from it, and the tracker previewed with it.
    read = layout.read_trackers([Source("march_tracker.xlsx", data)])
    questions = pd.DataFrame({"question_id": list(wording), "text": list(wording.values())})
    made = propose.propose(read, questions, "permanency", "edited mapping").mapping
    mapping_upload = at.file_uploader(key="tracker_mapping_upload")
    mapping_upload.set_value([("edited.json", made.to_json().encode(), "application/json")]).run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Using the uploaded mapping: edited mapping."]
    assert "Theme: Permanency for children (from the mapping)" in texts(at)
    assert frame_with(at, "Maps to", "Match") is None  # no mapping step unless asked
    choose_round(at, None, "2021-03")
    counts = frame_with(at, "What", "Rows").set_index("What")["Rows"]
    assert (counts["cases"], counts["responses"]) == ("8", "80")


def test_edits_make_the_mapping():
    """mapping_from_edits: fields, standards, comments, ignored, words, a sheet's quadrant."""
    start = TrackerMapping(
        name="NW tracker", theme_id="permanency",
        layouts=[{"source": "NW", "headers": ["Ref", "Date", "Q1", "Q1 notes", "Other"]}],
    )  # fmt: skip
    edited = tracker_mapping.EditedLayout(
        source="NW",
        headers=["Ref", "Date", "Q1", "Q1 notes", "Other"],
        fields={"case_ref": "Ref", "audit_date": "Date"},
        targets={"Q1": "PERM-01", "Q1 notes": "comment:PERM-01", "Other": "ignored", "Ref": ""},
        quadrant="NW",
        team=None,
    )
    mapping = tracker_mapping.mapping_from_edits(
        start, [edited], {"answers": {"Y": "Met", "N": "Not met"}}, "not answered"
    )
    layout = mapping.layouts[0]
    assert layout.model_dump() == {
        "source": "NW", "headers": ["Ref", "Date", "Q1", "Q1 notes", "Other"],
        "fields": {"case_ref": "Ref", "audit_date": "Date"}, "standards": {"Q1": "PERM-01"},
        "comments": {"Q1 notes": "PERM-01"}, "ignored": ["Other"], "quadrant": "NW", "team": None,
    }  # fmt: skip
    assert mapping.answers == {"Y": "Met", "N": "Not met"}
    assert (mapping.name, mapping.theme_id) == ("NW tracker", "permanency")
