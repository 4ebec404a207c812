"""The executive slide pack, opened with python-pptx: slides, titles, alt text, notes, marking."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re

import pandas as pd
import pytest
from fixtures_export import HOSTILE, hostile, hostile_dir, image_server  # noqa: F401
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from analytics import queries
from analytics.domain import Filters
from analytics.errors import AuditDataError
from analytics.export import NO_QUOTES, build_pack, pack_charts
from analytics.views import chart_view

MADE_ON = dt.date(2020, 6, 1)


def texts(slide) -> list[str]:
    return [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]


def pictures(slide) -> list:
    return [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]


@pytest.fixture(scope="module")
def theme_pack(sample, image_server):  # noqa: F811
    steps = []
    data = build_pack(sample, "permanency", Filters(quadrants=("NE",)), made_on=MADE_ON,
                      progress=lambda f, m: steps.append((f, m)))  # fmt: skip
    return Presentation(io.BytesIO(data)), steps


def test_theme_pack_slides_and_titles(theme_pack, sample):
    deck, _ = theme_pack
    chosen = Filters(quadrants=("NE",))
    charts = [chart_view(sample, name, "permanency", chosen) for name, _ in
              pack_charts(sample, "permanency")]  # fmt: skip
    assert [c.name for c in charts] == ["quadrant_comparison", "finding_frequency",
                                        "round_trend", "cohort_profile"]  # fmt: skip
    titles = [slide.shapes.title.text for slide in deck.slides]
    actions = queries.action_status(sample, theme="permanency")
    overdue = int((actions["rag"] == "Overdue").sum())
    # A slide names the most often unmet standard in full, where the chart's own title cuts it.
    top = charts[1].data.query("scope == 'Selection'").iloc[0]
    whole = f"Most often not met: {top['text']} ({top['pct_not_met']:.0%} not met)"
    assert "…" in charts[1].title and "…" not in whole
    assert titles == [
        "Permanency for children",
        charts[0].title,
        whole,
        *(c.title for c in charts[2:]),
        "Findings by standard: share of cases met, NE and the county",
        f"Actions: {overdue} of {len(actions)} overdue",
        "What practitioners and managers said",
    ]
    assert re.fullmatch(r"NE met \d+ of 10 standards less often than the county", titles[1])


def test_every_picture_has_alt_text_and_every_slide_notes_and_marking(theme_pack, sample):
    deck, _ = theme_pack
    alts = [
        pic._element.nvPicPr.cNvPr.get("descr") for slide in deck.slides for pic in pictures(slide)
    ]
    assert len(alts) == 4 and all(alts)
    assert alts[0] == chart_view(sample, "quadrant_comparison", "permanency",
                                 Filters(quadrants=("NE",))).alt_text  # fmt: skip
    for slide in deck.slides:
        assert slide.has_notes_slide and slide.notes_slide.notes_text_frame.text.strip()
        assert texts(slide).count("OFFICIAL-SENSITIVE") == 2  # top and bottom
        assert "Audit Insight · 1 Jun 2020 · Permanency for children" in texts(slide)
        assert "Mode: standard" in texts(slide)


def test_chart_notes_state_findings_with_numbers(theme_pack, sample):
    deck, _ = theme_pack
    notes = [slide.notes_slide.notes_text_frame.text for slide in deck.slides]
    comparison = notes[1]
    assert comparison.startswith(deck.slides[1].shapes.title.text + ".")
    assert "since the Interim (January 2020) round" in comparison
    assert "beyond chance" in comparison
    for text in notes[1:5]:
        assert re.search(r"\d", text), text
    county = queries.quadrant_comparison(sample, "permanency").query("quadrant == 'County'")
    met, n = int(county["met"].sum()), int(county["n"].sum())
    assert f"({met} of {n})" in comparison  # the county's met of applicable answers


def test_title_slide_and_tables(theme_pack, sample):
    deck, _ = theme_pack
    title = "\n".join(texts(deck.slides[0]))
    for expected in ("Round: Final (April 2020)", "Filters: NE; all teams", "Date: 1 Jun 2020",
                     "Data source:", "synthetic", "Mode: standard"):  # fmt: skip
        assert expected in title
    findings = next(s for s in deck.slides if s.shapes.title.text.startswith("Findings"))
    table = next(s for s in findings.shapes if s.has_table).table
    assert [c.text for c in table.rows[0].cells] == ["Standard", "NE", "County"]
    assert len(table.rows) == 11
    first = queries.quadrant_comparison(sample, "permanency").iloc[[1, 4]]  # NE, County
    assert [table.cell(1, 1).text, table.cell(1, 2).text] == [
        f"{p:.0%} (n={n})" for p, n in zip(first["pct_met"], first["n"], strict=True)
    ]
    actions = next(s for s in deck.slides if s.shapes.title.text.startswith("Actions"))
    header = [c.text for c in next(s for s in actions.shapes if s.has_table).table.rows[0].cells]
    assert header == ["Action", "Owner", "Due", "Status (RAG)"]


def test_progress_rises_to_one(theme_pack):
    _, steps = theme_pack
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in steps)


@pytest.fixture(scope="module")
def overview_pack(sample, image_server):  # noqa: F811
    return Presentation(io.BytesIO(build_pack(sample, None, Filters(), made_on=MADE_ON)))


def test_overview_pack_covers_every_audited_theme(overview_pack, sample):
    deck = overview_pack
    titles = [slide.shapes.title.text for slide in deck.slides]
    themes = queries.themes(sample).set_index("theme_id")["title"]
    audited = [t for t in themes.index if queries.audited_rounds(sample, t)]
    assert len(audited) == 5
    charts = [s for s in deck.slides if pictures(s)]
    assert len(charts) == 2 + len(audited)
    for theme in audited:
        # One separator between the theme and its finding (a finding may hold a colon).
        assert any(t.startswith(f"{themes[theme]} — ") for t in titles)
        assert not any(t.startswith(f"{themes[theme]}: ") for t in titles)
    assert "Every audited theme: share of standards met by quadrant" in titles
    # 30 actions: the first 16, in full, on as many slides as they take ("(1 of 2)").
    actions = [t for t in titles if t.startswith("Actions")]
    assert len(actions) >= 2
    assert actions == [f"{actions[0].rsplit(' (', 1)[0]} ({i} of {len(actions)})"
                       for i in range(1, len(actions) + 1)]  # fmt: skip
    assert len(deck.slides) == 1 + len(charts) + 1 + len(actions) + 1


def test_circulation_pack_suppresses_tables_and_says_so(tiny, image_server):  # noqa: F811
    data = build_pack(tiny, "alpha", Filters(), threshold=5, marking="OFFICIAL", made_on=MADE_ON)
    deck = Presentation(io.BytesIO(data))
    assert "Mode: for circulation: counts under 5 suppressed" in "\n".join(texts(deck.slides[0]))
    for slide in deck.slides:
        assert texts(slide).count("OFFICIAL") == 2
        assert "Mode: for circulation: counts under 5 suppressed" in texts(slide)  # footer
    findings = next(s for s in deck.slides if s.shapes.title.text.startswith("Findings"))
    table = next(s for s in findings.shapes if s.has_table).table
    cells = [c.text for row in list(table.rows)[1:] for c in row.cells][1:]
    assert "c" in cells and not any("%" in c for c in cells)


def test_a_theme_without_results_has_no_pack(tiny):
    with pytest.raises(AuditDataError, match="no audited round"):
        build_pack(tiny, "beta", Filters())


def test_hostile_text_goes_into_a_pack_as_plain_text(hostile, image_server):  # noqa: F811
    deck = Presentation(io.BytesIO(build_pack(hostile, "alpha", Filters(), made_on=MADE_ON)))
    findings = next(s for s in deck.slides if s.shapes.title.text.startswith("Findings"))
    table = next(s for s in findings.shapes if s.has_table).table
    assert table.cell(1, 0).text.startswith("Q1 · =HYPERLINK")
    quotes = "\n".join(texts(deck.slides[-1]))
    assert "=cmd|" in quotes and "@SUM(1)" in quotes
    assert HOSTILE not in quotes


def box(shape) -> tuple[int, int, int, int]:
    return shape.left, shape.top, shape.left + shape.width, shape.top + shape.height


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_footer_mode_and_marking_never_overlap(theme_pack):
    deck, _ = theme_pack
    width, height = deck.slide_width, deck.slide_height
    for slide in deck.slides:
        named = {s.name: s for s in slide.shapes}
        edge = [named["Footer"], named["Marking (bottom)"], named["Mode"]]
        boxes = [box(s) for s in edge]
        for i, a in enumerate(boxes):
            assert a[0] >= 0 and a[2] <= width and a[3] <= height, edge[i].name
            for b in boxes[i + 1 :]:
                assert not overlap(a, b), [s.name for s in edge]
        # Left to right: footer, marking (centred), mode; all on the bottom edge.
        assert boxes[0][2] < boxes[1][0] and boxes[1][2] < boxes[2][0]
        assert abs((boxes[1][0] + boxes[1][2]) / 2 - width / 2) < 2
        for picture in pictures(slide):
            assert box(picture)[3] <= min(b[1] for b in boxes)  # the chart stays above them
        assert named["Marking (bottom)"].text_frame.text == "OFFICIAL-SENSITIVE"


def test_every_theme_pack_ends_with_quotes_or_says_there_are_none(sample, image_server):  # noqa: F811
    deck = Presentation(io.BytesIO(build_pack(sample, "placed_at_home", Filters(),
                                              made_on=MADE_ON)))  # fmt: skip
    assert queries.quotes(sample, "placed_at_home", Filters()).empty
    last = deck.slides[-1]
    assert last.shapes.title.text == "What practitioners and managers said"
    assert NO_QUOTES in texts(last)
    assert last.notes_slide.notes_text_frame.text.strip()


def test_quotes_are_cut_at_a_sentence_not_mid_word():
    from analytics.export.slides import QUOTE_CHARACTERS
    from analytics.export.text import cut

    long = "Plans are reviewed. " * 20 + "The last sentence runs on and on."
    out = cut(long, QUOTE_CHARACTERS)
    assert len(out) <= QUOTE_CHARACTERS and out.endswith("reviewed. …")
    words = "word " * 100
    assert cut(words, 30) == "word word word word word word…"
    assert cut("Short enough.", 30) == "Short enough."


def test_long_titles_step_down_in_size_to_a_floor_then_take_more_lines():
    from analytics.export.slides import TITLE_SMALLEST, title_fit

    assert title_fit("Actions: 3 of 6 overdue") == (26, 1)
    fits = [title_fit("word " * k) for k in range(4, 89)]
    sizes = [size for size, _ in fits]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] == 26
    assert set(sizes) == {26, 24, 22, 20, TITLE_SMALLEST}
    assert all(lines <= 2 for size, lines in fits if size > TITLE_SMALLEST)
    assert fits[-1] == (TITLE_SMALLEST, 6)  # 88 words: never smaller, never cut


def test_the_pack_uses_the_pages_compare_round(sample, image_server, monkeypatch):  # noqa: F811
    from analytics.export import pack

    asked = []
    real = pack.views.chart_view

    def spy(store, name, theme, filters=queries.ALL, compare_round=None):
        asked.append((name, compare_round))
        return real(store, name, theme, filters, compare_round=compare_round)

    monkeypatch.setattr(pack.views, "chart_view", spy)
    build_pack(sample, "permanency", Filters(), compare_round="2020-01-interim")
    assert ("round_trend", "2020-01-interim") in asked
    assert all(c == "2020-01-interim" for _, c in asked)


def test_the_pack_button_builds_with_progress_then_offers_the_download(
    sample_dir,
    image_server,  # noqa: F811
    monkeypatch,
):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("AUDIT_DATA_DIR", str(sample_dir))

    def page() -> None:
        from ui.exports import pack_button

        pack_button("placed_at_home", key="t")

    app = AppTest.from_function(page, default_timeout=120).run()
    assert not app.exception and not app.get("download_button")
    app.button(key="t_build").click().run()
    assert not app.exception
    assert [s.label for s in app.status] == ["Slide pack ready"]
    downloads = app.get("download_button")
    assert len(downloads) == 1 and downloads[0].proto.label == "Download slide pack (PPTX)"


# --- fit to present: whole titles, whole labels, whole tables, one date style ----------------

EMU_PER_PT = 12700


def assert_title_fits(slide) -> None:
    """The title is whole, fits its box at its size (Arial's widths, as the pack measures them)
    and nothing below it starts inside its box."""
    from analytics.export.fonts import LINE_HEIGHT, lines_needed

    title = slide.shapes.title
    frame = title.text_frame
    text = frame.text
    assert "…" not in text, text
    size = frame.paragraphs[0].runs[0].font.size.pt
    width = (title.width - frame.margin_left - frame.margin_right) / EMU_PER_PT
    height = (title.height - frame.margin_top - frame.margin_bottom) / EMU_PER_PT
    assert lines_needed(text, width, size, bold=True) * size * LINE_HEIGHT <= height, text
    for shape in slide.shapes:
        if shape.shape_id != title.shape_id and shape.top >= title.top:
            assert shape.top >= title.top + title.height, (text, shape.name)


def assert_tables_fit(slide) -> None:
    """Every table's rows, each as tall as its wrapped text needs, end above the footer."""
    from analytics.export.fonts import LINE_HEIGHT, lines_needed

    for shape in slide.shapes:
        if not shape.has_table:
            continue
        bottom = shape.top
        for row in shape.table.rows:
            tallest = 0.0
            for cell, column in zip(row.cells, shape.table.columns, strict=True):
                run = next((r for p in cell.text_frame.paragraphs for r in p.runs), None)
                size = run.font.size.pt if run is not None else 12
                width = (column.width - cell.margin_left - cell.margin_right) / EMU_PER_PT
                lines = lines_needed(cell.text_frame.text, width, size, bold=bool(run.font.bold))
                needed = lines * size * LINE_HEIGHT * EMU_PER_PT + cell.margin_top
                tallest = max(tallest, needed + cell.margin_bottom)
            assert row.height >= tallest
            bottom += row.height
        named = {s.name: s for s in slide.shapes}
        assert bottom <= named["Footer"].top, slide.shapes.title.text_frame.text


def test_no_title_is_cut_and_each_fits_its_box(theme_pack, overview_pack):
    deck, _ = theme_pack
    for slide in [*deck.slides, *overview_pack.slides]:
        assert_title_fits(slide)
        assert_tables_fit(slide)


def test_the_longest_titles_and_cells_fit_on_their_own_slides():
    from PIL import Image

    from analytics.export.slides import Cell, Deck

    png = io.BytesIO()
    Image.new("RGB", (1100, 300), "white").save(png, format="PNG")
    deck = Deck("OFFICIAL", "footer", "Mode: standard")
    long = "Most often not met: " + "the assessment explores the carer's capacity " * 8 + "(56%)"
    deck.chart_slide(long, "n=61 cases · a subtitle", png.getvalue(), (1100, 300), "alt", "notes")
    rows = [[Cell(f"A{i}: " + "a long action text that wraps " * (i + 1)), Cell("Quality")]
            for i in range(14)]  # fmt: skip
    pages = deck.table_slides(long, "subtitle", ["Action", "Owner"], rows, [9.0, 3.3], "notes")
    out = Presentation(io.BytesIO(deck.save()))
    assert pages == len(out.slides) - 1 >= 2
    cells = []
    for slide in out.slides:
        assert_title_fits(slide)
        assert_tables_fit(slide)
        for shape in slide.shapes:
            if shape.has_table:
                cells += [row.cells[0].text for row in list(shape.table.rows)[1:]]
    assert cells == [row[0].text for row in rows]  # every row once, whole, in order
    picture = pictures(out.slides[0])[0]
    assert picture.top >= out.slides[0].shapes.title.top + out.slides[0].shapes.title.height


def test_actions_table_holds_every_action_whole_with_its_status_once(
    theme_pack, overview_pack, sample
):
    from analytics.domain import RAG_COLOURS

    for deck, theme in ((theme_pack[0], "permanency"), (overview_pack, None)):
        actions = queries.action_status(sample, theme=theme).head(16)
        rows = []
        for slide in deck.slides:
            if slide.shapes.title.text.startswith("Actions"):
                table = next(s for s in slide.shapes if s.has_table).table
                assert [c.text for c in table.rows[0].cells] == [
                    "Action", "Owner", "Due", "Status (RAG)"]  # fmt: skip
                rows += list(table.rows)[1:]
        assert [[c.text for c in r.cells][:2] for r in rows] == [
            [f"{a.action_id}: {a.text}", a.owner] for a in actions.itertuples()
        ]
        for row, action in zip(rows, actions.itertuples(), strict=True):
            status = row.cells[3]
            words = [w.strip().lower() for w in status.text.split("·")]
            assert len(words) == len(set(words)), status.text  # no "Complete · Complete"
            assert words[-1] == action.rag.lower() and words[0] == action.status.lower()
            assert str(status.fill.fore_color.rgb) == RAG_COLOURS[action.rag].lstrip("#")
            due = action.due_date
            expected = f"{due.day} {due:%b %Y}" if pd.notna(due) else "no date"
            assert row.cells[2].text == expected


DATE_LIKE = re.compile(
    r"\b\d{1,2}(?:st|nd|rd|th)? [A-Z][a-z]+ \d{4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
)
ONE_STYLE = re.compile(r"[1-9]\d? (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}")


def slide_text(slide) -> list[str]:
    found = texts(slide)
    for shape in slide.shapes:
        if shape.has_table:
            found += [cell.text for row in shape.table.rows for cell in row.cells]
    return found


def test_one_date_style_across_the_pack(theme_pack, overview_pack):
    deck, _ = theme_pack
    dates = [
        match
        for slide in [*deck.slides, *overview_pack.slides]
        for text in slide_text(slide)
        for match in DATE_LIKE.findall(text)
    ]
    assert "1 Jun 2020" in dates and any("Apr 2020" in d for d in dates)  # title, footer, dues
    assert [d for d in dates if not ONE_STYLE.fullmatch(d)] == []


def test_chart_labels_on_a_slide_are_whole_and_the_cohort_fills_the_slide(theme_pack, sample):
    from analytics.export.pack import slide_figure
    from analytics.export.slides import CONTENT_BOTTOM, CONTENT_WIDTH, chart_area

    view = chart_view(sample, "finding_frequency", "permanency")
    shown = slide_figure(view, area=chart_area(view.title, view.subtitle))
    labels = [t.replace("<br>", " ") for t in shown.layout.yaxis.ticktext]
    expected = view.data.query("scope == 'Selection'")
    assert labels == [f"{q} · {t}" for q, t in zip(expected["question_id"], expected["text"],
                                                    strict=True)]  # fmt: skip
    assert any("…" in y for y in view.figure.data[0].y)  # the dashboard's chart shortens them
    lines = max(t.count("<br>") + 1 for t in shown.layout.yaxis.ticktext)
    assert lines == 2 and shown.layout.height >= len(labels) * lines * 15  # 13 px text

    deck, _ = theme_pack
    cohort = next(s for s in deck.slides if s.shapes.title.text.endswith("cases audited")
                  or "cases audited" in s.shapes.title.text)  # fmt: skip
    picture = pictures(cohort)[0]
    assert picture.width >= 0.99 * CONTENT_WIDTH
    assert picture.top + picture.height >= 0.99 * CONTENT_BOTTOM  # no empty lower third
    figure = slide_figure(chart_view(sample, "cohort_profile", "permanency"))
    axes = [figure.layout[f"xaxis{i if i > 1 else ''}"] for i in range(1, 6)]
    assert all(a.tickangle == 0 for a in axes)
    assert all(a.domain[1] < b.domain[0] for a, b in itertools.pairwise(axes))  # side by side
