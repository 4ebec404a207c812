"""Drawing a 16:9 slide deck with python-pptx: title, chart, table and quotes slides.

Every slide carries the protective marking at top and bottom (as UK government markings are
placed), centred, and along the bottom edge a footer that never meets the marking: on the left
what and when, on the right the mode that made it. What goes into a pack is decided in
analytics.export.pack; this module only draws.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from analytics.export.text import cut, xml_safe

SLIDE_WIDTH, SLIDE_HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
CONTENT_WIDTH = SLIDE_WIDTH - 2 * MARGIN
FONT = "Arial"
INK = RGBColor(0x0B, 0x0C, 0x0C)
GREY = RGBColor(0x50, 0x5A, 0x5F)
MARKING_RED = RGBColor(0xB1, 0x0E, 0x1E)
LAYOUT_TITLE, LAYOUT_TITLE_ONLY = 0, 5
# The bottom edge: footer left, marking centred, mode right; none overlaps another.
EDGE_TOP, EDGE_HEIGHT = SLIDE_HEIGHT - Inches(0.42), Inches(0.34)
MARKING_WIDTH = Inches(3.3)
MARKING_LEFT = (SLIDE_WIDTH - MARKING_WIDTH) // 2
EDGE_GAP = Inches(0.1)
SIDE_WIDTH = MARKING_LEFT - EDGE_GAP - MARGIN
FOOTER_SIZE = 9
FOOTER_CHARACTERS = 75  # what 9 pt Arial fits on one line of SIDE_WIDTH (about 4.4 in)
# Title sizes by length: one line of 26 pt holds about 60 characters across the slide, two
# lines of 22 pt about 140, and both fit above the subtitle.
TITLE_SIZES = ((60, 26), (140, 22))
TITLE_SMALLEST = 18
QUOTE_CHARACTERS = 320


def title_size(title: str) -> int:
    """Return the font size (pt) at which a slide title fits above the subtitle."""
    return next((size for limit, size in TITLE_SIZES if len(title) <= limit), TITLE_SMALLEST)


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and, optionally, a fill colour ("D4351C") for RAG."""

    text: str
    fill: str | None = None


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
        slide,
        left,
        top,
        width,
        height,
        text: str,
        size: int,
        *,
        bold: bool = False,
        colour: RGBColor = INK,
        align: PP_ALIGN = PP_ALIGN.LEFT,
    ):
        box = slide.shapes.add_textbox(left, top, width, height)
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

    def _furniture(self, slide) -> None:
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

    def _slide(self, layout: int, title: str, notes: str):
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[layout])
        shape = slide.shapes.title
        # The default template is 4:3; place the title for 16:9 explicitly.
        shape.left, shape.top, shape.width, shape.height = (
            MARGIN,
            Inches(0.45),
            CONTENT_WIDTH,
            Inches(0.85),
        )
        shape.text_frame.text = xml_safe(title)
        shape.text_frame.word_wrap = True
        shape.text_frame.vertical_anchor = MSO_ANCHOR.TOP
        for paragraph in shape.text_frame.paragraphs:
            paragraph.alignment = PP_ALIGN.LEFT
            for run in paragraph.runs:
                run.font.size, run.font.bold, run.font.name = Pt(title_size(title)), True, FONT
                run.font.color.rgb = INK
        self._furniture(slide)
        if notes:
            slide.notes_slide.notes_text_frame.text = xml_safe(notes)
        return slide

    def title_slide(self, title: str, lines: Sequence[str], notes: str = ""):
        """Add the opening slide: the pack's title and what it covers."""
        slide = self._slide(LAYOUT_TITLE, title, notes)
        shape = slide.shapes.title
        shape.top, shape.height = Inches(1.6), Inches(1.5)
        for run in shape.text_frame.paragraphs[0].runs:
            run.font.size = Pt(36)
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

    def _subtitle(self, slide, subtitle: str) -> None:
        if subtitle:
            self._text_box(
                slide, MARGIN, Inches(1.3), CONTENT_WIDTH, Inches(0.45), subtitle, 14, colour=GREY
            )

    def chart_slide(
        self,
        title: str,
        subtitle: str,
        png: bytes,
        size_px: tuple[int, int],
        alt_text: str,
        notes: str,
    ):
        """Add one chart: the finding as title, n/round/filters below, the picture with alt text."""
        slide = self._slide(LAYOUT_TITLE_ONLY, title, notes)
        self._subtitle(slide, subtitle)
        top, bottom = Inches(1.85), EDGE_TOP - Inches(0.05)
        box_w, box_h = CONTENT_WIDTH, bottom - top
        width_px, height_px = size_px
        scale = min(box_w / width_px, box_h / height_px)
        width, height = Emu(int(width_px * scale)), Emu(int(height_px * scale))
        left = MARGIN + Emu(int((box_w - width) / 2))
        picture = slide.shapes.add_picture(io.BytesIO(png), left, top, width, height)
        # Alt text is the picture's cNvPr/@descr, which PowerPoint shows as its description.
        picture._element.nvPicPr.cNvPr.set("descr", xml_safe(alt_text))
        picture._element.nvPicPr.cNvPr.set("title", xml_safe(title))
        return slide

    def table_slide(
        self,
        title: str,
        subtitle: str,
        header: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        widths: Sequence[float],
        notes: str,
        font_size: int = 12,
    ):
        """Add a table (widths in inches, summing to about 12.3) under a title."""
        slide = self._slide(LAYOUT_TITLE_ONLY, title, notes)
        self._subtitle(slide, subtitle)
        row_height = Inches(0.36)
        shape = slide.shapes.add_table(
            len(rows) + 1,
            len(header),
            MARGIN,
            Inches(1.85),
            CONTENT_WIDTH,
            row_height * (len(rows) + 1),
        )
        table = shape.table
        for column, inches in enumerate(widths):
            table.columns[column].width = Inches(inches)
        for column, heading in enumerate(header):
            self._fill_cell(table.cell(0, column), Cell(heading), font_size, bold=True)
        for r, row in enumerate(rows, start=1):
            for column, cell in enumerate(row):
                self._fill_cell(table.cell(r, column), cell, font_size)
        return slide

    @staticmethod
    def _fill_cell(cell, content: Cell, size: int, bold: bool = False) -> None:
        cell.text = xml_safe(content.text)
        cell.margin_top = cell.margin_bottom = Inches(0.03)
        for paragraph in cell.text_frame.paragraphs:
            for run in paragraph.runs:
                run.font.size, run.font.name, run.font.bold = Pt(size), FONT, bold
        if content.fill:
            cell.fill.solid()
            cell.fill.fore_color.rgb = RGBColor.from_string(content.fill)
            for run in cell.text_frame.paragraphs[0].runs:
                run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
                run.font.bold = True

    def quotes_slide(
        self, title: str, quotes: Sequence[tuple[str, str]], notes: str, empty: str = ""
    ):
        """Add up to four quotes, each with who said it (or `empty` when there are none)."""
        slide = self._slide(LAYOUT_TITLE_ONLY, title, notes)
        top = Inches(1.5)
        if not quotes:
            self._text_box(slide, MARGIN, top, CONTENT_WIDTH, Inches(0.6), empty, 18, colour=GREY)
            return slide
        height = (EDGE_TOP - Inches(0.1) - top) / len(quotes)
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
