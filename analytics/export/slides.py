"""Drawing a 16:9 slide deck with python-pptx: title, chart, table and quotes slides.

Every slide carries the protective marking at top and bottom (as UK government markings are
placed), centred, and along the bottom edge a footer that never meets the marking: on the left
what and when, on the right the mode that made it. What goes into a pack is decided in
analytics.export.pack; this module only draws. Titles are never cut: each is set at the largest
size at which it fits (measured with Arial's widths, analytics.export.fonts), over two or more
lines where it must, and what follows moves down. Tables run onto further slides ("(1 of 2)")
rather than lose a word.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.shapes.autoshape import Shape
from pptx.slide import Slide
from pptx.table import _Cell
from pptx.util import Emu, Inches, Length, Pt

from analytics.export.fonts import LINE_HEIGHT, lines_needed
from analytics.export.text import cut, xml_safe

# python-pptx leaves RGBColor's constructors unannotated; called through these typed names.
_rgb: Callable[[int, int, int], RGBColor] = RGBColor
_rgb_from_hex: Callable[[str], RGBColor] = RGBColor.from_string

SLIDE_WIDTH, SLIDE_HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
CONTENT_WIDTH = SLIDE_WIDTH - 2 * MARGIN
FONT = "Arial"
INK = _rgb(0x0B, 0x0C, 0x0C)
WHITE = _rgb(0xFF, 0xFF, 0xFF)
GREY = _rgb(0x50, 0x5A, 0x5F)
MARKING_RED = _rgb(0xB1, 0x0E, 0x1E)
LAYOUT_TITLE, LAYOUT_TITLE_ONLY = 0, 5
# The bottom edge: footer left, marking centred, mode right; none overlaps another.
EDGE_TOP, EDGE_HEIGHT = SLIDE_HEIGHT - Inches(0.42), Inches(0.34)
MARKING_WIDTH = Inches(3.3)
MARKING_LEFT = (SLIDE_WIDTH - MARKING_WIDTH) // 2
EDGE_GAP = Inches(0.1)
SIDE_WIDTH = MARKING_LEFT - EDGE_GAP - MARGIN
FOOTER_SIZE = 9
FOOTER_CHARACTERS = 75  # what 9 pt Arial fits on one line of SIDE_WIDTH (about 4.4 in)
# A text box's insets (python-pptx's defaults, set explicitly on titles): left/right, top/bottom.
INSET_X, INSET_Y = Inches(0.1), Inches(0.05)
# Measured widths are held to this share of the box: renderers differ a little in spacing.
FIT_SHARE = 0.95
# A slide title: 26 pt on one line; else the largest of 24-20 pt on two; else 18 pt (the floor)
# on as many lines as it takes, the title box growing and what follows moving down.
TITLE_TOP, TITLE_MIN_HEIGHT = Inches(0.45), Inches(0.85)
TITLE_ONE_LINE, TITLE_TWO_LINES, TITLE_SMALLEST = 26, (24, 22, 20), 18
# The opening slide's title: the largest of these on at most two lines, else the last.
OPENING_TITLE_SIZES = (36, 32, 28, 24)
OPENING_TITLE_TOP, OPENING_TITLE_HEIGHT = Inches(1.6), Inches(1.5)
SUBTITLE_TOP, SUBTITLE_SIZE = Inches(1.3), 14
GAP = Inches(0.1)
CONTENT_BOTTOM = EDGE_TOP - Inches(0.05)
# Table text: the largest of these that needs the fewest slides; 10 pt is the floor.
TABLE_SIZES = (12, 11, 10)
CELL_MARGIN_X, CELL_MARGIN_Y = Inches(0.1), Inches(0.03)
QUOTE_CHARACTERS = 320
EMU_PER_POINT = 12700


def _emu(value: float) -> Length:
    # python-pptx takes positions as Length; it writes them with %d, truncating a fraction
    # just as int() does.
    return Emu(int(value))


def _points(emu: int) -> float:
    return emu / EMU_PER_POINT


def _text_height(lines: int, size: float) -> int:
    return math.ceil(lines * size * LINE_HEIGHT * EMU_PER_POINT)


def _fit_width(box_width: int, inset: int = INSET_X) -> float:
    return _points(box_width - 2 * inset) * FIT_SHARE


def title_fit(title: str, width: int = CONTENT_WIDTH) -> tuple[int, int]:
    """Return the size (pt) and the number of lines at which a slide title fits a box `width`
    wide: one line at 26 pt, else two at the largest size that holds it, else the floor."""
    fits = _fit_width(width)
    if lines_needed(title, fits, TITLE_ONE_LINE, bold=True) == 1:
        return TITLE_ONE_LINE, 1
    for size in TITLE_TWO_LINES:
        lines = lines_needed(title, fits, size, bold=True)
        if lines <= 2:
            return size, lines
    return TITLE_SMALLEST, lines_needed(title, fits, TITLE_SMALLEST, bold=True)


@dataclass(frozen=True)
class Header:
    """Where a slide's title, subtitle and content go, worked out from their lengths."""

    title_size: int
    title_height: int
    subtitle_top: int
    subtitle_height: int
    content_top: int


def header(title: str, subtitle: str = "") -> Header:
    """Return the layout of a slide's title and subtitle, and where its content starts."""
    size, lines = title_fit(title)
    title_height = max(TITLE_MIN_HEIGHT, _text_height(lines, size) + 2 * INSET_Y)
    subtitle_top = max(SUBTITLE_TOP, TITLE_TOP + title_height)
    subtitle_height = 0
    if subtitle:
        lines = lines_needed(subtitle, _fit_width(CONTENT_WIDTH), SUBTITLE_SIZE)
        subtitle_height = _text_height(lines, SUBTITLE_SIZE) + 2 * INSET_Y
    return Header(
        size, title_height, subtitle_top, subtitle_height, subtitle_top + subtitle_height + GAP
    )


def chart_area(title: str, subtitle: str) -> tuple[int, int]:
    """Return the width and height (EMU) free for a chart below this title and subtitle."""
    return CONTENT_WIDTH, CONTENT_BOTTOM - header(title, subtitle).content_top


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and, optionally, a fill colour ("D4351C") for RAG."""

    text: str
    fill: str | None = None


def _luminance(colour: RGBColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = colour
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def text_on(fill: str) -> RGBColor:
    """Return white or ink, whichever reads better on the fill (WCAG contrast)."""
    lum = _luminance(_rgb_from_hex(fill))
    return WHITE if (1.05 / (lum + 0.05)) >= (lum + 0.05) / (_luminance(INK) + 0.05) else INK


def row_height(cells: Sequence[str], widths: Sequence[int], size: int, bold: bool = False) -> int:
    """Return the height (EMU) a table row needs at `size` pt: its tallest cell, wrapped."""
    lines = max(
        lines_needed(text, _fit_width(width, CELL_MARGIN_X), size, bold)
        for text, width in zip(cells, widths, strict=True)
    )
    return _text_height(lines, size) + 2 * CELL_MARGIN_Y


def table_pages(
    header_cells: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    widths: Sequence[int],
    available: int,
) -> tuple[int, list[list[int]]]:
    """Return the font size and the rows (by index) of each slide: the largest size that needs
    the fewest slides, every row whole."""
    best: tuple[int, list[list[int]]] | None = None
    for size in TABLE_SIZES:
        room = available - row_height(header_cells, widths, size, bold=True)
        pages: list[list[int]] = [[]]
        used = 0
        for i, row in enumerate(rows):
            height = row_height([c.text for c in row], widths, size)
            if pages[-1] and used + height > room:
                pages.append([])
                used = 0
            pages[-1].append(i)
            used += height
        if best is None or len(pages) < len(best[1]):
            best = (size, pages)
    assert best is not None
    return best


def _set_notes(slide: Slide, notes: str) -> None:
    frame = slide.notes_slide.notes_text_frame
    assert frame is not None  # python-pptx's default notes master has a body placeholder
    frame.text = xml_safe(notes)


class Deck:
    """A slide deck under construction; `save()` returns the PPTX bytes."""

    def __init__(self, marking: str, footer: str, mode: str = ""):
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
        self.marking = xml_safe(marking)
        self.footer = cut(xml_safe(footer), FOOTER_CHARACTERS)
        self.mode = cut(xml_safe(mode), FOOTER_CHARACTERS)

    def _text_box(
        self,
        slide: Slide,
        left: float,
        top: float,
        width: float,
        height: float,
        text: str,
        size: int,
        *,
        bold: bool = False,
        colour: RGBColor = INK,
        align: PP_ALIGN = PP_ALIGN.LEFT,
    ) -> Shape:
        box = slide.shapes.add_textbox(_emu(left), _emu(top), _emu(width), _emu(height))
        frame = box.text_frame
        frame.word_wrap = True
        lines = xml_safe(text).split("\n")
        for i, line in enumerate(lines):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            paragraph.alignment = align
            run = paragraph.add_run()
            run.text = line
            run.font.size, run.font.bold, run.font.name = Pt(size), bold, FONT
            run.font.color.rgb = colour
        return box

    def _furniture(self, slide: Slide) -> None:
        if self.marking:
            top = self._text_box(
                slide, MARGIN, Inches(0.08), CONTENT_WIDTH, EDGE_HEIGHT, self.marking, 12,
                bold=True, colour=MARKING_RED, align=PP_ALIGN.CENTER,
            )  # fmt: skip
            top.name = "Marking (top)"
            bottom = self._text_box(
                slide, MARKING_LEFT, EDGE_TOP, MARKING_WIDTH, EDGE_HEIGHT, self.marking, 12,
                bold=True, colour=MARKING_RED, align=PP_ALIGN.CENTER,
            )  # fmt: skip
            bottom.name = "Marking (bottom)"
        footer = self._text_box(
            slide, MARGIN, EDGE_TOP, SIDE_WIDTH, EDGE_HEIGHT, self.footer, FOOTER_SIZE, colour=GREY
        )
        footer.name = "Footer"
        if self.mode:
            mode = self._text_box(
                slide, SLIDE_WIDTH - MARGIN - SIDE_WIDTH, EDGE_TOP, SIDE_WIDTH, EDGE_HEIGHT,
                self.mode, FOOTER_SIZE, colour=GREY, align=PP_ALIGN.RIGHT,
            )  # fmt: skip
            mode.name = "Mode"

    @staticmethod
    def _set_title(shape: Shape | None, title: str, top: int, height: int, size: int) -> None:
        assert shape is not None  # both layouts used have a title placeholder
        # The default template is 4:3; place the title for 16:9 explicitly.
        shape.left, shape.top = MARGIN, _emu(top)
        shape.width, shape.height = _emu(CONTENT_WIDTH), _emu(height)
        frame = shape.text_frame
        frame.text = xml_safe(title)
        frame.word_wrap = True
        # The size is chosen to fit: no renderer may shrink it further (the master's autofit).
        frame.auto_size = MSO_AUTO_SIZE.NONE
        frame.vertical_anchor = MSO_ANCHOR.TOP
        frame.margin_left = frame.margin_right = INSET_X
        frame.margin_top = frame.margin_bottom = INSET_Y
        for paragraph in frame.paragraphs:
            paragraph.alignment = PP_ALIGN.LEFT
            for run in paragraph.runs:
                run.font.size, run.font.bold, run.font.name = Pt(size), True, FONT
                run.font.color.rgb = INK

    def _slide(self, layout: int, title: str, subtitle: str, notes: str) -> tuple[Slide, int]:
        """Add a slide with its title (and subtitle); return it and where its content starts."""
        slide: Slide = self.prs.slides.add_slide(self.prs.slide_layouts[layout])
        place = header(title, subtitle)
        self._set_title(slide.shapes.title, title, TITLE_TOP, place.title_height, place.title_size)
        if subtitle:
            box = self._text_box(
                slide, MARGIN, place.subtitle_top, CONTENT_WIDTH, place.subtitle_height,
                subtitle, SUBTITLE_SIZE, colour=GREY,
            )  # fmt: skip
            box.name = "Subtitle"
        self._furniture(slide)
        if notes:
            _set_notes(slide, notes)
        return slide, place.content_top

    def title_slide(self, title: str, lines: Sequence[str], notes: str = "") -> Slide:
        """Add the opening slide: the pack's title and what it covers."""
        slide: Slide = self.prs.slides.add_slide(self.prs.slide_layouts[LAYOUT_TITLE])
        fits = _fit_width(CONTENT_WIDTH)
        size = next(
            (s for s in OPENING_TITLE_SIZES if lines_needed(title, fits, s, bold=True) <= 2),
            OPENING_TITLE_SIZES[-1],
        )
        self._set_title(slide.shapes.title, title, OPENING_TITLE_TOP, OPENING_TITLE_HEIGHT, size)
        self._furniture(slide)
        if notes:
            _set_notes(slide, notes)
        body = slide.placeholders[1]
        body.left, body.top, body.width, body.height = (
            MARGIN,
            Inches(3.3),
            CONTENT_WIDTH,
            Inches(3.4),
        )
        frame = body.text_frame
        frame.word_wrap = True
        for i, line in enumerate(lines):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            paragraph.alignment = PP_ALIGN.LEFT
            run = paragraph.add_run()
            run.text = xml_safe(line)
            run.font.size, run.font.name = Pt(18 if i == 0 else 15), FONT
            run.font.color.rgb = INK if i == 0 else GREY
        return slide

    def chart_slide(
        self,
        title: str,
        subtitle: str,
        png: bytes,
        size_px: tuple[int, int],
        alt_text: str,
        notes: str,
    ) -> Slide:
        """Add one chart: the finding as title, n/round/filters below, the picture with alt text,
        as large as the space below the subtitle allows."""
        slide, top = self._slide(LAYOUT_TITLE_ONLY, title, subtitle, notes)
        box_w, box_h = CONTENT_WIDTH, CONTENT_BOTTOM - top
        width_px, height_px = size_px
        scale = min(box_w / width_px, box_h / height_px)
        width, height = Emu(int(width_px * scale)), Emu(int(height_px * scale))
        left = MARGIN + Emu(int((box_w - width) / 2))
        picture = slide.shapes.add_picture(io.BytesIO(png), _emu(left), _emu(top), width, height)
        # Alt text is the picture's cNvPr/@descr, which PowerPoint shows as its description.
        # (python-pptx types p:nvPicPr as its descriptor class; at run time it is the element.)
        properties = cast(Any, picture._element.nvPicPr).cNvPr
        properties.set("descr", xml_safe(alt_text))
        properties.set("title", xml_safe(title))
        return slide

    def table_slides(
        self,
        title: str,
        subtitle: str,
        header_cells: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        widths: Sequence[float],
        notes: str,
    ) -> int:
        """Add a table (widths in inches, summing to about 12.3) under a title, every cell in
        full: at the largest size (12 to 10 pt) that needs the fewest slides, the rows running
        on to further slides titled "(1 of 2)" where they must. Return the number of slides."""
        emus = [Inches(w) for w in widths]
        # Room below the longest title this table may get, so every slide has the same.
        numbered = f"{title} (99 of 99)"
        available = CONTENT_BOTTOM - max(
            header(title, subtitle).content_top, header(numbered, subtitle).content_top
        )
        size, pages = table_pages(header_cells, rows, emus, available)
        for number, page in enumerate(pages, start=1):
            suffix = f" ({number} of {len(pages)})" if len(pages) > 1 else ""
            self._table_slide(
                title + suffix, subtitle, header_cells, [rows[i] for i in page], emus, notes, size
            )
        return len(pages)

    def _table_slide(
        self,
        title: str,
        subtitle: str,
        header_cells: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        widths: Sequence[int],
        notes: str,
        size: int,
    ) -> Slide:
        slide, top = self._slide(LAYOUT_TITLE_ONLY, title, subtitle, notes)
        heights = [row_height(header_cells, widths, size, bold=True)]
        heights += [row_height([c.text for c in row], widths, size) for row in rows]
        shape = slide.shapes.add_table(
            len(rows) + 1,
            len(header_cells),
            MARGIN,
            _emu(top),
            _emu(sum(widths)),
            _emu(sum(heights)),
        )
        shape.name = "Table"
        table = shape.table
        for column, width in enumerate(widths):
            table.columns[column].width = width
        for r, height in enumerate(heights):
            table.rows[r].height = height
        for column, heading in enumerate(header_cells):
            self._fill_cell(table.cell(0, column), Cell(heading), size, bold=True)
        for r, row in enumerate(rows, start=1):
            for column, cell in enumerate(row):
                self._fill_cell(table.cell(r, column), cell, size)
        return slide

    @staticmethod
    def _fill_cell(cell: _Cell, content: Cell, size: int, bold: bool = False) -> None:
        cell.text = xml_safe(content.text)
        cell.margin_left = cell.margin_right = CELL_MARGIN_X
        cell.margin_top = cell.margin_bottom = CELL_MARGIN_Y
        for paragraph in cell.text_frame.paragraphs:
            for run in paragraph.runs:
                run.font.size, run.font.name, run.font.bold = Pt(size), FONT, bold
        if content.fill:
            cell.fill.solid()  # type: ignore[no-untyped-call]  # python-pptx: solid() is untyped
            cell.fill.fore_color.rgb = _rgb_from_hex(content.fill)
            for paragraph in cell.text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.color.rgb = text_on(content.fill)
                    run.font.bold = True

    def quotes_slide(
        self, title: str, quotes: Sequence[tuple[str, str]], notes: str, empty: str = ""
    ) -> Slide:
        """Add up to four quotes, each with who said it (or `empty` when there are none)."""
        slide, content_top = self._slide(LAYOUT_TITLE_ONLY, title, "", notes)
        if not quotes:
            self._text_box(
                slide, MARGIN, content_top, CONTENT_WIDTH, Inches(0.6), empty, 18, colour=GREY
            )
            return slide
        height = (EDGE_TOP - Inches(0.1) - content_top) / len(quotes)
        top: float = content_top
        size = 16 if len(quotes) <= 3 else 14
        for text, who in quotes:
            self._text_box(
                slide, MARGIN, top, CONTENT_WIDTH, height - Inches(0.1),
                f"“{cut(text, QUOTE_CHARACTERS)}”\n— {who}", size,
            )  # fmt: skip
            top += height
        return slide

    def save(self) -> bytes:
        """Return the deck as PPTX bytes."""
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()
