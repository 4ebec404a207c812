"""Drawing a 16:9 slide deck with python-pptx: title, chart, table and quotes slides.

Every slide carries the protective marking at top and bottom (as UK government markings are
placed) and a footer saying when and in which mode it was made. What goes into a pack is decided
in analytics.export.pack; this module only draws.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

SLIDE_WIDTH, SLIDE_HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
CONTENT_WIDTH = SLIDE_WIDTH - 2 * MARGIN
FONT = "Arial"
INK = RGBColor(0x0B, 0x0C, 0x0C)
GREY = RGBColor(0x50, 0x5A, 0x5F)
MARKING_RED = RGBColor(0xB1, 0x0E, 0x1E)
LAYOUT_TITLE, LAYOUT_TITLE_ONLY = 0, 5
# XML 1.0 cannot hold these control characters; text from the store might.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean(text: object) -> str:
    """Return text safe to put in a slide's XML."""
    return _ILLEGAL_XML.sub("", str(text))


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and, optionally, a fill colour ("D4351C") for RAG."""

    text: str
    fill: str | None = None


class Deck:
    """A slide deck under construction; `save()` returns the PPTX bytes."""

    def __init__(self, marking: str, footer: str):
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
        self.marking = clean(marking)
        self.footer = clean(footer)

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
        lines = clean(text).split("\n")
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
            for top in (Inches(0.08), SLIDE_HEIGHT - Inches(0.42)):
                self._text_box(
                    slide,
                    MARGIN,
                    top,
                    CONTENT_WIDTH,
                    Inches(0.34),
                    self.marking,
                    12,
                    bold=True,
                    colour=MARKING_RED,
                    align=PP_ALIGN.CENTER,
                )
        self._text_box(
            slide,
            MARGIN,
            SLIDE_HEIGHT - Inches(0.42),
            Inches(7.5),
            Inches(0.34),
            self.footer,
            9,
            colour=GREY,
        )

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
        shape.text_frame.text = clean(title)
        shape.text_frame.word_wrap = True
        shape.text_frame.vertical_anchor = MSO_ANCHOR.TOP
        for paragraph in shape.text_frame.paragraphs:
            paragraph.alignment = PP_ALIGN.LEFT
            for run in paragraph.runs:
                run.font.size, run.font.bold, run.font.name = Pt(26), True, FONT
                run.font.color.rgb = INK
        self._furniture(slide)
        if notes:
            slide.notes_slide.notes_text_frame.text = clean(notes)
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
            run.text = clean(line)
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
        top, bottom = Inches(1.85), SLIDE_HEIGHT - Inches(0.5)
        box_w, box_h = CONTENT_WIDTH, bottom - top
        width_px, height_px = size_px
        scale = min(box_w / width_px, box_h / height_px)
        width, height = Emu(int(width_px * scale)), Emu(int(height_px * scale))
        left = MARGIN + Emu(int((box_w - width) / 2))
        picture = slide.shapes.add_picture(io.BytesIO(png), left, top, width, height)
        # Alt text is the picture's cNvPr/@descr, which PowerPoint shows as its description.
        picture._element.nvPicPr.cNvPr.set("descr", clean(alt_text))
        picture._element.nvPicPr.cNvPr.set("title", clean(title))
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
        cell.text = clean(content.text)
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

    def quotes_slide(self, title: str, quotes: Sequence[tuple[str, str]], notes: str):
        """Add up to four quotes, each with who said it."""
        slide = self._slide(LAYOUT_TITLE_ONLY, title, notes)
        top = Inches(1.5)
        height = (SLIDE_HEIGHT - Inches(0.6) - top) / max(len(quotes), 1)
        for text, who in quotes:
            self._text_box(
                slide, MARGIN, top, CONTENT_WIDTH, height - Inches(0.1), f"“{text}”\n— {who}", 16
            )
            top += height
        return slide

    def save(self) -> bytes:
        """Return the deck as PPTX bytes."""
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()
