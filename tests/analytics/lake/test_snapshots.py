"""Snapshots as the unit of truth: the `snapshots` listing, `--as-of`, the read-only `sql`
command, every export naming its snapshot, and the dashboard's `?as_of=`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from filter_bar import filter_bar
from ingest_helpers import ANALYST, round_tables, xlsx
from paths import ROOT
from PIL import Image
from streamlit.testing.v1 import AppTest

from analytics import audit_trail, cli, ingest, views
from analytics.domain import Filters
from analytics.export.formats import view_bytes
from analytics.export.pack import build_pack
from analytics.images import with_description
from analytics.lake.catalog import Lake
from analytics.narrative import escape_markdown
from analytics.report_doc.document import build_report
from analytics.store import Store, write_new_store
from tests.conftest import tiny_tables

ANALYST_EMAIL = "qa.analyst@council.example"
# The tiny store as conftest writes it: 0 the catalog, 1 its tables with the tiny rows (the
# first write creates the tables in its own transaction).
CREATED_AND_FILLED = (
    "created actions, area_case_counts, audit_trail, case_counts, cases, imports, questions, "
    "quotes, response_counts, responses, round_acceptances, round_completeness, rounds, "
    "store_manifest, themes, tracker_mappings; inserted into actions, area_case_counts, "
    "case_counts, cases, questions, quotes, response_counts, responses, rounds, store_manifest, "
    "themes; altered area_case_counts, case_counts, cases, response_counts, responses"
)
TINY_SNAPSHOTS = [
    [0, "created schema main", "", ""],
    [1, CREATED_AND_FILLED, "audit-insight", "a new store"],
]
TINY_DATA_SNAPSHOT = 1


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command line in this process; return (exit code, stdout, stderr)."""
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def add_two_ne_cases(data_dir: Path) -> int:
    """Append two NE cases of round r2 (both questions met) and drop quote QT2, as one snapshot
    by the analyst; return its id."""
    cases = pd.DataFrame(
        [
            {"audit_id": a, "theme_id": "alpha", "round_id": "r2", "quadrant": "NE", "team": "T1",
             "child_ref": f"SYN-{a}", "audit_date": dt.date(2020, 4, 3), "gender": "Male",
             "age_band": "5-9", "overall_grade": "Good"}
            for a in ("A5", "A6")
        ]
    )  # fmt: skip
    responses = pd.DataFrame(
        [
            {"audit_id": a, "theme_id": "alpha", "round_id": "r2", "question_id": q,
             "response": "Met", "comment": "", "quadrant": "NE", "team": "T1"}
            for a in ("A5", "A6")
            for q in ("Q1", "Q2")
        ]
    )  # fmt: skip

    def change(writer) -> None:
        writer.append("cases", cases)
        writer.append("responses", responses)
        writer.delete("quotes", "quote_id = $id", {"id": "QT2"})

    lake = Lake(data_dir)
    try:
        _, snapshot = lake.write(change, author=ANALYST_EMAIL, message="two NE cases in round two")
    finally:
        lake.close()
    return snapshot


# --- the listing -------------------------------------------------------------------------------


def test_snapshots_lists_each_change_in_words_by_whom(tiny_dir, capsys):
    before = pd.Timestamp.now("UTC").tz_localize(None)
    added = add_two_ne_cases(tiny_dir)
    after = pd.Timestamp.now("UTC").tz_localize(None)
    code, out, err = run(capsys, "snapshots", "--data-dir", tiny_dir, "--format", "json")
    assert (code, err) == (0, "")
    listed = json.loads(out)
    assert [list(row) for row in listed] == [["snapshot_id", "time_utc", "changes", "author",
                                             "message"]] * 3  # fmt: skip
    assert added == 2
    assert [[r["snapshot_id"], r["changes"], r["author"], r["message"]] for r in listed] == [
        *TINY_SNAPSHOTS,
        # r2's area case counts are recomputed with its new responses: deleted, then inserted
        [2, "inserted into area_case_counts, case_counts, cases, response_counts, responses; "
            "deleted from area_case_counts, quotes", ANALYST_EMAIL, "two NE cases in round two"],
    ]  # fmt: skip
    times = [pd.Timestamp(r["time_utc"]) for r in listed]
    assert times == sorted(times)
    assert before <= times[-1] <= after

    code, out, _ = run(capsys, "snapshots", "--data-dir", tiny_dir, "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["snapshot_id", "time_utc", "changes", "author", "message"]
    assert rows[3] == [
        "2", listed[2]["time_utc"], listed[2]["changes"], ANALYST_EMAIL, "two NE cases in round two"
    ]  # fmt: skip

    _, out, _ = run(capsys, "snapshots", "--data-dir", tiny_dir)  # the plain table
    lines = out.splitlines()
    assert lines[0].split() == ["snapshot_id", "time_utc", "changes", "author", "message"]
    assert " ".join(lines[3].split()) == " ".join(
        [
            "2",
            listed[2]["time_utc"],
            listed[2]["changes"],
            ANALYST_EMAIL,
            "two NE cases in round two",
        ]
    )
    assert lines[3].index(ANALYST_EMAIL) == lines[0].index("author")  # text aligned left


def test_snapshots_help_says_how_long_they_are_kept(capsys):
    with pytest.raises(SystemExit):
        cli.main(["snapshots", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert "never expires them" in said
    assert "ducklake_expire_snapshots" in said and "ducklake_cleanup_old_files" in said


# --- --as-of ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["report", "--theme", "alpha"],
        ["export", "--theme", "alpha", "--format", "csv", "--out", "OUT"],
        ["report-doc", "--no-charts", "--out", "OUT"],
        ["sql", "SELECT 1"],
    ],
)
def test_as_of_an_unknown_snapshot_is_refused(tiny_dir, tmp_path, capsys, command):
    argv = [str(tmp_path / "out.file") if a == "OUT" else a for a in command]
    code, out, err = run(capsys, *argv, "--data-dir", tiny_dir, "--as-of", "9")
    assert (code, out) == (2, "")
    assert err == (
        f"error: The store has no snapshot 9: its snapshots run from 0 to {TINY_DATA_SNAPSHOT} "
        "(`python -m analytics snapshots` lists them).\n"
    )
    assert not (tmp_path / "out.file").exists()


def test_as_of_a_time_before_the_store_or_no_time_is_refused(tiny_dir, capsys):
    first = Lake(tiny_dir)
    created = first.snapshots()[0].time
    first.close()
    code, _, err = run(capsys, "report", "--theme", "alpha", "--data-dir", tiny_dir,
                       "--as-of", "2001-02-03T04:05")  # fmt: skip
    assert (code, err) == (
        2,
        f"error: The store did not exist yet at 2001-02-03 04:05:00 (its first snapshot: "
        f"{created}).\n",
    )
    code, _, err = run(capsys, "report", "--theme", "alpha", "--data-dir", tiny_dir,
                       "--as-of", "last tuesday")  # fmt: skip
    assert (code, err) == (
        2,
        "error: --as-of 'last tuesday' is neither a snapshot id nor a date and time (2026-12-07 "
        "or 2026-12-07T09:30).\n",
    )


def test_report_as_of_a_snapshot_or_a_time_shows_the_store_then(tiny_dir, capsys):
    report = ["report", "--theme", "alpha", "--round", "r2", "--quadrant", "NE", "--format", "csv",
              "--data-dir", tiny_dir]  # fmt: skip
    _, before, _ = run(capsys, *report)
    add_two_ne_cases(tiny_dir)
    _, newest, _ = run(capsys, *report)
    _, then, _ = run(capsys, *report, "--as-of", TINY_DATA_SNAPSHOT)
    lake = Lake(tiny_dir)
    at = lake.snapshot_time(TINY_DATA_SNAPSHOT)
    lake.close()
    _, by_time, _ = run(capsys, *report, "--as-of", at.isoformat())
    # NE in r2: A3 alone (Q1 met, Q2 not met); then A5 and A6 met both.
    header = "theme_id,round_id,question_id,quadrant,n,met,partially_met,not_met,pct_met"
    assert before.splitlines() == [
        header,
        "alpha,r2,Q1,NE,1,1,0,0,1.0",
        "alpha,r2,Q2,NE,1,0,0,1,0.0",
    ]
    assert newest.splitlines() == [
        header, "alpha,r2,Q1,NE,3,3,0,0,1.0", "alpha,r2,Q2,NE,3,2,0,1,0.6666666666666666"
    ]  # fmt: skip
    assert then == before and by_time == before


# --- sql --------------------------------------------------------------------------------------


def test_sql_runs_a_select_at_a_snapshot(tiny_dir, capsys):
    add_two_ne_cases(tiny_dir)
    query = (
        "SELECT quadrant, count(*) AS cases FROM cases WHERE round_id = 'r2' "
        "GROUP BY quadrant ORDER BY quadrant"
    )
    code, out, err = run(capsys, "sql", query, "--data-dir", tiny_dir, "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out) == [
        {"quadrant": "NE", "cases": 3}, {"quadrant": "NW", "cases": 2},
        {"quadrant": "SW", "cases": 1},
    ]  # fmt: skip
    first = str(TINY_DATA_SNAPSHOT)
    _, out, _ = run(
        capsys, "sql", query, "--data-dir", tiny_dir, "--format", "csv", "--as-of", first
    )
    assert out.splitlines() == ["quadrant,cases", "NE,1", "NW,2", "SW,1"]
    # Every contract table under its own name; the quote deleted since is gone in the newest only.
    quotes = "SELECT quote_id FROM quotes ORDER BY quote_id"
    _, out, _ = run(capsys, "sql", quotes, "--data-dir", tiny_dir, "--format", "csv")
    assert out.splitlines() == ["quote_id", "QT1"]
    _, out, _ = run(capsys, "sql", quotes, "--data-dir", tiny_dir, "--format", "csv",
                    "--as-of", first)  # fmt: skip
    assert out.splitlines() == ["quote_id", "QT1", "QT2"]


OUTSIDE = (
    "error: sql reads the store's tables only (themes, rounds, questions, cases, responses, "
    "actions, quotes, imports, round_completeness, round_acceptances, response_counts, "
    "case_counts, area_case_counts): the query tried to reach something else (Permission Error: Cannot access "
)


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("DELETE FROM cases", "error: sql is read-only: it runs one SELECT statement, not DELETE. "
         "Nothing was run.\n"),
        ("INSERT INTO quotes SELECT * FROM quotes", "error: sql is read-only: it runs one SELECT "
         "statement, not INSERT. Nothing was run.\n"),
        ("SELECT 1; DROP TABLE cases", "error: sql runs one statement; this holds 2. Run them one "
         "at a time.\n"),
        ("ATTACH 'ducklake:sqlite:STORE/catalog.sqlite' AS lake", "error: sql is read-only: it "
         "runs one SELECT statement, not ATTACH. Nothing was run.\n"),
        ("COPY cases TO 'TMP/copied.csv'", "error: sql is read-only: it runs one SELECT "
         "statement, not COPY. Nothing was run.\n"),
        ("SET enable_external_access = true", "error: sql is read-only: it runs one SELECT "
         "statement, not SET. Nothing was run.\n"),
        ("INSTALL httpfs", "error: sql is read-only: it runs one SELECT statement, not LOAD. "
         "Nothing was run.\n"),
        ("SELECT * FROM read_csv('/etc/passwd')", OUTSIDE + 'file "/etc/passwd" - file system '
         "operations are disabled by configuration).\n"),
        ("SELECT * FROM read_text('/etc/hostname')", OUTSIDE + 'file "/etc/hostname" - file '
         "system operations are disabled by configuration).\n"),
        ("SELECT * FROM read_blob('STORE/catalog.sqlite')", OUTSIDE + 'file "STORE/catalog.sqlite"'
         " - file system operations are disabled by configuration).\n"),
        ("SELECT count(*) FROM glob('STORE/files/*')", OUTSIDE + 'file "STORE/files/*" - file '
         "system operations are disabled by configuration).\n"),
        ("SELECT * FROM query('COPY cases TO ''TMP/copied.csv''')", "error: The query failed: "
         "Parser Error: Expected a single SELECT statement\n"),
    ],
)  # fmt: skip
def test_sql_refuses_writes_and_files_outside_the_store(tiny_dir, tmp_path, capsys, query, said):
    def placed(text: str) -> str:
        return text.replace("STORE", str(tiny_dir)).replace("TMP", str(tmp_path))

    code, out, err = run(capsys, "sql", placed(query), "--data-dir", tiny_dir)
    assert (code, out, err) == (2, "", placed(said))
    assert not (tmp_path / "copied.csv").exists()
    lake = Lake(tiny_dir)
    assert lake.latest_snapshot() == TINY_DATA_SNAPSHOT  # nothing written
    lake.close()


def test_sql_on_a_postgres_catalog_reads_the_bucket_and_nothing_else(
    postgres_database, s3_service, s3_bucket, monkeypatch, capsys
):
    for name, value in {
        "AWS_ACCESS_KEY_ID": s3_service.key_id,
        "AWS_SECRET_ACCESS_KEY": s3_service.secret,
        "AWS_REGION": s3_service.region,
        "AWS_ENDPOINT_URL": s3_service.endpoint_url,
    }.items():
        monkeypatch.setenv(name, value)
    setting = f"postgres:{postgres_database.libpq} data_path=s3://{s3_bucket}/lake/"
    write_new_store(setting, tiny_tables().items(), {"synthetic": True, "notice": "tiny"})
    query = "SELECT quadrant, count(*) AS cases FROM cases GROUP BY quadrant ORDER BY quadrant"
    code, out, err = run(capsys, "sql", query, "--data-dir", setting, "--format", "csv")
    assert (code, err) == (0, "")
    assert out.splitlines() == ["quadrant,cases", "NE,2", "NW,3", "SW,1"]
    # Another object of the bucket is out of reach, like any file outside the store.
    s3_service.client().put_object(Bucket=s3_bucket, Key="other/secret.csv", Body=b"a\n1\n")
    outside = f"SELECT * FROM read_csv('s3://{s3_bucket}/other/secret.csv')"
    code, out, err = run(capsys, "sql", outside, "--data-dir", setting)
    assert (code, out) == (2, "")
    assert err == (
        f'{OUTSIDE}file "s3://{s3_bucket}/other/secret.csv" - file system operations are '
        "disabled by configuration).\n"
    )


# --- exports name their snapshot --------------------------------------------------------------


def csv_parts(path: Path) -> tuple[dict[str, str], list[list[str]]]:
    """Return an exported CSV's header block (label -> value) and its data rows."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    blank = rows.index([])
    return dict(rows[:blank]), rows[blank + 1 :]


def test_export_as_of_the_first_snapshot_after_an_import_has_the_same_rows(tiny_dir, tmp_path,
                                                                         capsys):  # fmt: skip
    export = ["export", "--data-dir", tiny_dir, "--theme", "alpha", "--chart",
              "quadrant_comparison", "--format", "csv"]  # fmt: skip
    first = tmp_path / "first.csv"
    assert run(capsys, *export, "--out", first)[0] == 0
    imported = ingest.import_files(
        tiny_dir, [xlsx(round_tables("alpha", "r9", ["Q1", "Q2"]))], actor=ANALYST
    )
    assert imported.changed
    again = tmp_path / "again.csv"
    assert run(capsys, *export, "--out", again, "--as-of", TINY_DATA_SNAPSHOT)[0] == 0
    newest = tmp_path / "newest.csv"
    assert run(capsys, *export, "--out", newest)[0] == 0

    first_header, first_rows = csv_parts(first)
    again_header, again_rows = csv_parts(again)
    newest_header, newest_rows = csv_parts(newest)
    assert again_rows == first_rows
    assert first_header["Round"] == again_header["Round"] == "Round two"
    assert first_header["Data source"].endswith(f"; store snapshot {TINY_DATA_SNAPSHOT}")
    assert again_header["Data source"] == first_header["Data source"]
    with Store(tiny_dir) as store:
        import_snapshot = store.snapshot
    assert import_snapshot > TINY_DATA_SNAPSHOT
    assert newest_header["Data source"].endswith(f"; store snapshot {import_snapshot}")
    assert newest_header["Round"] != "Round two" and newest_rows != first_rows
    trail = audit_trail.read_trail(tiny_dir)
    exports = trail[trail["action"] == "export"].sort_values("at")
    assert exports[["what", "snapshot_id"]].values.tolist() == [
        ["first.csv", TINY_DATA_SNAPSHOT], ["again.csv", TINY_DATA_SNAPSHOT],
        ["newest.csv", import_snapshot],
    ]  # fmt: skip


def test_xlsx_pptx_and_docx_name_their_snapshot(tiny_dir):
    add_two_ne_cases(tiny_dir)
    from openpyxl import load_workbook

    with Store(tiny_dir, as_of=TINY_DATA_SNAPSHOT) as store:
        view = views.chart_view(store, "quadrant_comparison", "alpha", Filters())
        book = load_workbook(io.BytesIO(view_bytes(store, view, "xlsx")))
        header = {row[0]: row[1] for row in book.active.iter_rows(max_col=2, values_only=True)
                  if row[0]}  # fmt: skip
        assert header["Data source"].endswith(f"; store snapshot {TINY_DATA_SNAPSHOT}")

        pack = build_pack(store, "alpha", charts=[])
        with zipfile.ZipFile(io.BytesIO(pack)) as parts:
            core = parts.read("docProps/core.xml").decode()
            slides = parts.read("ppt/slides/slide1.xml").decode()
        assert f"<dc:identifier>store snapshot {TINY_DATA_SNAPSHOT}</dc:identifier>" in core
        assert (
            f"; store snapshot {TINY_DATA_SNAPSHOT}</" in slides
        )  # the title slide's data-source line

        from docx import Document

        report = Document(io.BytesIO(build_report(store, ["alpha"], Filters(), charts=False)))
        assert report.core_properties.identifier == f"store snapshot {TINY_DATA_SNAPSHOT}"
        assert (
            f"Read from store snapshot {TINY_DATA_SNAPSHOT}: `python -m analytics report-doc "
            f"--as-of {TINY_DATA_SNAPSHOT}` drafts it "
            "again from the same data." in [p.text for p in report.paragraphs]
        )


def test_png_carries_its_snapshot_in_its_metadata(tiny_dir):
    with Store(tiny_dir) as store:
        view = views.chart_view(store, "quadrant_comparison", "alpha", Filters())
        png = Image.open(io.BytesIO(view_bytes(store, view, "png")))
    png.load()  # every chunk's CRC checked
    assert png.text["Description"] == (
        "Data source: Audit Insight store: synthetic sample data; no real child is described; "
        f"store snapshot {TINY_DATA_SNAPSHOT}"
    )
    assert png.size == (2 * 1100, 2 * view.figure.layout.height)


def test_svg_carries_its_snapshot_in_a_metadata_element():
    # The SVG path of view_bytes is the PNG's (one browser start per test module is enough).
    svg = b'<?xml version="1.0"?><svg class="main-svg" width="10"><g/></svg>'
    assert with_description(svg, "svg", "store <snapshot> 2 & more") == (
        b'<?xml version="1.0"?><svg class="main-svg" width="10"><metadata>store &lt;snapshot&gt; '
        b"2 &amp; more</metadata><g/></svg>"
    )


# --- the dashboard's ?as_of= ------------------------------------------------------------------


def test_dashboard_as_of_shows_the_store_then_with_a_way_back(tiny_dir, monkeypatch):
    add_two_ne_cases(tiny_dir)
    monkeypatch.setenv("AUDIT_DATA_DIR", str(tiny_dir))
    lake = Lake(tiny_dir)
    then = lake.snapshot_time(TINY_DATA_SNAPSHOT)
    lake.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["as_of"] = str(TINY_DATA_SNAPSHOT)
    at.run()
    assert not at.exception
    notes = [info.value for info in at.info]
    assert f"Showing the store as of snapshot {TINY_DATA_SNAPSHOT} ({then:%d %B %Y %H:%M:%S} UTC), not the newest " \
           "data." in notes  # fmt: skip
    assert overview_cases(at) == "4"  # alpha's latest round r2: A1-A4, A5 and A6 not yet there
    at.button(key="as_of_newest").click().run()
    assert "as_of" not in at.query_params
    assert not [info for info in at.info if "Showing the store as of" in info.value]
    assert overview_cases(at) == "6"


def test_dashboard_ignores_an_as_of_that_names_no_snapshot(tiny_dir, monkeypatch):
    monkeypatch.setenv("AUDIT_DATA_DIR", str(tiny_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["as_of"] = "99"
    at.run()
    assert not at.exception
    assert filter_bar(at).warning[-1].value == escape_markdown(
        "Ignored from the link: as_of 99 (not a snapshot of this store, or a time before it "
        "existed: the newest data shown)."
    )
    assert not [info for info in at.info if "Showing the store as of" in info.value]


def overview_cases(at: AppTest) -> str:
    """Return the Overview table's cases for the alpha theme (in its latest audited round)."""
    table = at.dataframe[0].value.set_index("Theme")
    return str(table.loc["Alpha theme", "Cases"])
