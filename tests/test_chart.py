"""The /progress chart, as a specification: what a learner sees in the PNG."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from bot.core.progress import LessonProgress
from bot.render import chart

ANSWERED = LessonProgress("tasks-id", "Tasks", 3, 5, answered=3, correct=2)
ZERO_OF_THREE = LessonProgress("futures-id", "Futures", 1, 4, answered=3, correct=0)
NOT_ANSWERED = LessonProgress("loop-id", "The event loop", 0, 6, answered=0, correct=0)
ROWS = [ANSWERED, ZERO_OF_THREE, NOT_ANSWERED]


@dataclass
class Drawn:
    text: str
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont | None


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Drawn]]:
    """Every string the chart draws, with the font it is drawn in."""
    seen: list[Drawn] = []
    original = ImageDraw.ImageDraw.text

    def spy(self: ImageDraw.ImageDraw, xy: Any, text: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(Drawn(str(text), kwargs.get("font")))
        original(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", spy)
    yield seen


def picture(rows: list[LessonProgress], title: str = "Ada: progress") -> Image.Image:
    image = Image.open(io.BytesIO(chart.render(title, rows)))
    image.load()
    return image


def pixels(image: Image.Image) -> list[tuple[int, ...]]:
    """The RGB pixels of ``image``, row by row."""
    data = image.convert("RGB").tobytes()
    return [tuple(data[i : i + 3]) for i in range(0, len(data), 3)]


def texts(drawn: list[Drawn]) -> list[str]:
    return [d.text for d in drawn]


def test_it_is_a_png_of_fixed_width_whose_height_grows_with_the_lessons() -> None:
    images = [picture(ROWS[:n]) for n in (1, 2, 3)]
    assert all(image.format == "PNG" for image in images)
    assert {image.width for image in images} == {chart.WIDTH}
    heights = [image.height for image in images]
    assert heights[0] < heights[1] < heights[2]
    assert heights[1] - heights[0] == heights[2] - heights[1] == chart.ROW


def test_it_is_pure_the_same_rows_give_the_same_bytes() -> None:
    assert chart.render("Ada: progress", ROWS) == chart.render("Ada: progress", ROWS)


def test_all_text_is_drawn_in_the_scalable_font_at_14_px_or_more(drawn: list[Drawn]) -> None:
    assert min(chart.TITLE_FONT_SIZE, chart.FONT_SIZE, chart.SMALL_FONT_SIZE) >= 14
    chart.render("Ada: progress", ROWS)
    assert drawn
    for d in drawn:
        assert isinstance(d.font, ImageFont.FreeTypeFont), d.text
        assert d.font.size >= chart.MIN_FONT_SIZE >= 14, d.text


def test_the_title_glyphs_are_at_least_14_px_tall_on_the_image() -> None:
    image = picture(ROWS, title="Ada: progress").convert("RGB")
    title_band = range(chart.TOP - 40)  # above the legend
    near = 40

    def is_text(pixel: tuple[int, ...]) -> bool:
        return all(abs(a - b) <= near for a, b in zip(pixel, chart.TEXT, strict=True))

    def line(y: int) -> Image.Image:
        return image.crop((0, y, chart.WIDTH, y + 1))

    rows_with_text = [y for y in title_band if any(map(is_text, pixels(line(y))))]
    assert rows_with_text, "no title drawn"
    assert max(rows_with_text) - min(rows_with_text) + 1 >= 14


def test_lesson_titles_and_numbers_are_drawn_not_ids(drawn: list[Drawn]) -> None:
    chart.render("Ada: progress", ROWS)
    strings = texts(drawn)
    everything = " ".join(strings)
    assert "Ada: progress" in strings
    assert {"Tasks", "Futures", "The event loop"} <= set(strings)
    assert not any(row.lesson_id in everything for row in ROWS)
    # cards studied as n/m
    assert {"3/5", "1/4", "0/6"} <= set(strings)
    # quiz accuracy as a percentage with (correct/answered)
    assert "67%" in strings and "(2/3)" in everything
    assert "0%" in strings and "(0/3)" in everything
    assert "not answered yet" in strings
    # the legend names both bars
    assert "cards studied" in everything and "quiz accuracy" in everything


def test_not_answered_yet_is_shown_as_such_not_as_zero_percent(drawn: list[Drawn]) -> None:
    chart.render("Ada: progress", [NOT_ANSWERED])
    assert "0%" not in texts(drawn)
    assert not any("/0" in s for s in texts(drawn))


def test_not_answered_yet_looks_different_from_zero_percent_in_the_accuracy_cell() -> None:
    zero = picture([ZERO_OF_THREE])
    none = picture([replace(ZERO_OF_THREE, answered=0, correct=0)])
    row = (chart.TOP, chart.TOP + chart.ROW)
    left_part = (0, row[0], chart.ACCURACY_X - 1, row[1])
    accuracy_cell = (chart.ACCURACY_X, row[0], chart.WIDTH, row[1])

    assert zero.crop(left_part).tobytes() == none.crop(left_part).tobytes()
    a, b = zero.crop(accuracy_cell), none.crop(accuracy_cell)
    differing = sum(p != q for p, q in zip(pixels(a), pixels(b), strict=True))
    assert differing > 500  # a whole different drawing, not a stray pixel


def test_a_long_title_is_cut_with_an_ellipsis_to_fit_the_label_column(
    drawn: list[Drawn],
) -> None:
    long_title = "Async iterators, async generators and async for, explained at great length"
    chart.render("Ada: progress", [LessonProgress("it", long_title, 0, 3, 0, 0)])
    [label] = [d for d in drawn if d.text.endswith("…")]
    assert isinstance(label.font, ImageFont.FreeTypeFont)
    assert long_title.startswith(label.text.removesuffix("…"))
    assert len(label.text) > 10
    assert label.font.getlength(label.text) <= chart.LABEL_W


def test_no_lessons_still_draws_a_titled_chart(drawn: list[Drawn]) -> None:
    image = picture([])
    assert image.width == chart.WIDTH and image.height > 0
    assert "Ada: progress" in texts(drawn)
