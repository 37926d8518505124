"""A small progress chart (PNG) for /progress: cards studied and quiz accuracy per lesson.

Drawing is CPU work, so callers run ``render`` in a thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from bot.core.progress import LessonProgress

WIDTH = 720
ROW = 26
TOP = 44
LABEL_W = 230
BAR_W = (WIDTH - LABEL_W - 40) // 2
BACKGROUND = (43, 45, 49)
TEXT = (230, 230, 230)
TRACK = (70, 73, 79)
CARDS = (88, 101, 242)
ACCURACY = (59, 165, 93)


def _bar(draw: ImageDraw.ImageDraw, x: int, y: int, fraction: float, colour: tuple) -> None:
    draw.rectangle((x, y, x + BAR_W, y + ROW - 10), fill=TRACK)
    if fraction > 0:
        draw.rectangle((x, y, x + round(BAR_W * min(fraction, 1.0)), y + ROW - 10), fill=colour)


def render(title: str, rows: list[LessonProgress]) -> bytes:
    height = TOP + ROW * len(rows) + 16
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((12, 10), title, fill=TEXT)
    draw.text((LABEL_W, 26), "cards studied", fill=CARDS)
    draw.text((LABEL_W + BAR_W + 20, 26), "quiz accuracy", fill=ACCURACY)
    for i, row in enumerate(rows):
        y = TOP + i * ROW
        draw.text((12, y), row.lesson_id[:32], fill=TEXT)
        _bar(draw, LABEL_W, y, row.cards_seen / row.cards_total if row.cards_total else 0, CARDS)
        accuracy = row.correct / row.answered if row.answered else 0
        _bar(draw, LABEL_W + BAR_W + 20, y, accuracy, ACCURACY)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
