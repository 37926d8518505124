"""The /progress chart: a PNG with, per lesson, cards studied and quiz accuracy.

``render`` is pure and synchronous: it takes the rows, returns PNG bytes and touches nothing
else (no files, no network, no shared state; even the fonts are loaded per call, so concurrent
renders never share a FreeType face). Drawing and PNG encoding are CPU work that would stall
the event loop, so async callers run it in a thread with ``asyncio.to_thread``.

The text uses Pillow's bundled scalable font (``ImageFont.load_default(size=...)``, needs
Pillow >= 10.1 built with FreeType), because the Docker image has no system fonts.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from bot.core.progress import LessonProgress

Colour = tuple[int, int, int]

# Font sizes in pixels; nothing is drawn smaller than MIN_FONT_SIZE.
TITLE_FONT_SIZE = 24
FONT_SIZE = 16
SMALL_FONT_SIZE = 14
MIN_FONT_SIZE = 14

# Geometry, in pixels. The height grows with the number of lessons.
WIDTH = 800
PAD = 20
TOP = 98  # title line and legend
ROW = 34
BOTTOM = 14
BAR_H = 16
RADIUS = 4
LABEL_X = PAD
LABEL_W = 306
CARDS_X = LABEL_X + LABEL_W + 14
CARDS_W = 110
ACCURACY_X = CARDS_X + CARDS_W + 60
ACCURACY_W = 150
NUMBER_GAP = 8

# Dark theme that sits well inside a Discord embed.
BACKGROUND: Colour = (30, 31, 34)
STRIPE: Colour = (39, 40, 45)
TEXT: Colour = (236, 237, 240)
MUTED: Colour = (150, 155, 164)
TRACK: Colour = (62, 64, 71)
OUTLINE: Colour = (110, 114, 123)
RULE: Colour = (62, 64, 71)
CARDS: Colour = (88, 101, 242)
ACCURACY: Colour = (67, 181, 129)

ELLIPSIS = "…"


def font_of(size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):  # pragma: no cover - build without FreeType
        raise RuntimeError("the progress chart needs Pillow with FreeType (Pillow >= 10.1)")
    return font


def fit(text: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """``text``, cut short with an ellipsis if it is wider than ``width`` pixels."""
    if font.getlength(text) <= width:
        return text
    cut = len(text)
    while cut > 0 and font.getlength(text[:cut].rstrip(" ,.:;-") + ELLIPSIS) > width:
        cut -= 1
    return text[:cut].rstrip(" ,.:;-") + ELLIPSIS


def track(draw: ImageDraw.ImageDraw, x: int, y: int, width: int) -> tuple[int, int, int, int]:
    box = (x, y - BAR_H // 2, x + width, y + BAR_H // 2)
    draw.rounded_rectangle(box, radius=RADIUS, fill=TRACK)
    return box


def bar(
    draw: ImageDraw.ImageDraw, x: int, y: int, width: int, fraction: float, colour: Colour
) -> None:
    """A filled track; the coloured part is ``fraction`` of it (a sliver stays visible)."""
    x0, y0, _, y1 = track(draw, x, y, width)
    if fraction > 0:
        filled = max(round(width * min(fraction, 1.0)), 2 * RADIUS)
        draw.rounded_rectangle((x0, y0, x0 + filled, y1), radius=RADIUS, fill=colour)


def empty_track(
    draw: ImageDraw.ImageDraw, x: int, y: int, width: int, words: str, font: ImageFont.FreeTypeFont
) -> None:
    """An outlined, unfilled track with muted words in it: there is nothing to measure yet."""
    box = (x, y - BAR_H // 2 - 2, x + width, y + BAR_H // 2 + 2)
    draw.rounded_rectangle(box, radius=RADIUS, outline=OUTLINE, width=1)
    draw.text((x + width // 2, y), fit(words, font, width - 8), fill=MUTED, font=font, anchor="mm")


LegendEntry = tuple[Colour | None, str]  # None: drawn like the empty track it stands for


def row_start(
    draw: ImageDraw.ImageDraw, index: int, label: str, font: ImageFont.FreeTypeFont
) -> int:
    """Row ``index`` of a lesson chart: its stripe (every other row) and its label, cut to
    fit; returns the row's middle, where its bars go."""
    top = TOP + index * ROW
    if index % 2:
        draw.rectangle((0, top, WIDTH, top + ROW - 1), fill=STRIPE)
    y = top + ROW // 2
    draw.text((LABEL_X, y), fit(label, font, LABEL_W), fill=TEXT, font=font, anchor="lm")
    return y


def legend(
    draw: ImageDraw.ImageDraw,
    y: int,
    font: ImageFont.FreeTypeFont,
    entries: Sequence[LegendEntry],
) -> None:
    """Colour swatches and their words in one line (the class report's chart uses it too)."""
    x = PAD
    swatch = 14
    for colour, words in entries:
        box = (x, y - swatch // 2, x + swatch, y + swatch // 2)
        if colour is None:
            draw.rounded_rectangle(box, radius=3, outline=OUTLINE, width=1)
        else:
            draw.rounded_rectangle(box, radius=3, fill=colour)
        draw.text((x + swatch + 6, y), words, fill=MUTED, font=font, anchor="lm")
        x += swatch + 6 + round(font.getlength(words)) + 24


PROGRESS_LEGEND: tuple[LegendEntry, ...] = (
    (CARDS, "cards studied"),
    (ACCURACY, "quiz accuracy"),
    (None, "not answered yet"),
)


def render(title: str, rows: Sequence[LessonProgress]) -> bytes:
    """The chart as PNG bytes: a title line, a legend, then one row per lesson."""
    title_font = font_of(TITLE_FONT_SIZE)
    font = font_of(FONT_SIZE)
    small = font_of(SMALL_FONT_SIZE)

    height = TOP + ROW * len(rows) + BOTTOM
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)

    draw.text(
        (PAD, 30), fit(title, title_font, WIDTH - 2 * PAD), fill=TEXT, font=title_font, anchor="lm"
    )
    legend(draw, 66, small, PROGRESS_LEGEND)
    draw.line((PAD, TOP - 10, WIDTH - PAD, TOP - 10), fill=RULE, width=1)

    for i, row in enumerate(rows):
        y = row_start(draw, i, row.title, font)

        if row.cards_total:
            bar(draw, CARDS_X, y, CARDS_W, row.cards_seen / row.cards_total, CARDS)
            count = f"{row.cards_seen}/{row.cards_total}"
            draw.text((CARDS_X + CARDS_W + NUMBER_GAP, y), count, fill=TEXT, font=font, anchor="lm")
        else:
            empty_track(draw, CARDS_X, y, CARDS_W, "no cards", small)

        if row.answered:
            bar(draw, ACCURACY_X, y, ACCURACY_W, row.correct / row.answered, ACCURACY)
            percent = f"{round(100 * row.correct / row.answered)}%"
            x = ACCURACY_X + ACCURACY_W + NUMBER_GAP
            draw.text((x, y), percent, fill=TEXT, font=font, anchor="lm")
            x += round(font.getlength(percent)) + 5
            draw.text(
                (x, y), f"({row.correct}/{row.answered})", fill=MUTED, font=small, anchor="lm"
            )
        else:
            empty_track(draw, ACCURACY_X, y, ACCURACY_W, "not answered yet", small)

    return png_bytes(image)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
