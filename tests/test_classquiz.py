"""Class-wide quizzes: Kahoot scoring, first answer counts, timer driver, saved scores."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta

import pytest

from bot.core import class_quizzes
from bot.core.class_quizzes import ClassQuizRefused, Interrupted
from bot.core.classquiz import ClassQuiz, Verdict, kahoot_points, streak_bonus
from bot.core.context import Learner
from bot.core.shards import ShardRange
from bot.storage import learners
from tests.conftest import both_engines
from tests.factories import open_tutor

pytestmark = both_engines


def make_quiz(tutor, n: int = 2, seconds: int = 20) -> ClassQuiz:
    return ClassQuiz(1, 500, 9, tuple(tutor.quiz.pool(0)[:n]), seconds)


def test_kahoot_rule_gives_1000_at_once_and_500_at_the_buzzer() -> None:
    assert kahoot_points(0, 20) == 1000
    assert kahoot_points(10, 20) == 750
    assert kahoot_points(20, 20) == 500
    assert kahoot_points(25, 20) == 500  # clamped


def test_streak_bonus_grows_by_100_and_is_capped() -> None:
    assert [streak_bonus(n) for n in range(1, 9)] == [0, 100, 200, 300, 400, 500, 500, 500]


def test_first_answer_counts_and_later_clicks_are_refused(tutor, clock) -> None:
    quiz = make_quiz(tutor)
    quiz.open_next(clock.now)
    right = quiz.current.answer_index
    clock.advance(seconds=2)
    verdict, answer = quiz.submit(7, "ada", 0, right, clock.now)
    assert verdict is Verdict.accepted and answer is not None and answer.points == 950
    again, first = quiz.submit(7, "ada", 0, 1 - right, clock.now)
    assert again is Verdict.already_answered and first == answer


def test_no_answers_after_time_up_or_for_another_question(tutor, clock) -> None:
    quiz = make_quiz(tutor, seconds=10)
    quiz.open_next(clock.now)
    assert quiz.submit(1, "a", 1, 0, clock.now)[0] is Verdict.stale
    assert quiz.submit(1, "a", 0, 9, clock.now)[0] is Verdict.bad_option
    clock.advance(seconds=10.5)
    assert quiz.submit(1, "a", 0, 0, clock.now)[0] is Verdict.closed
    quiz.close()
    assert quiz.submit(1, "a", 0, 0, clock.now)[0] is Verdict.closed


def test_results_split_in_option_order_and_fastest_correct(tutor, clock) -> None:
    quiz = make_quiz(tutor)
    quiz.open_next(clock.now)
    right = quiz.current.answer_index
    for uid, (delay, option) in enumerate([(3, right), (1, right), (2, 1 - right)]):
        quiz.submit(uid, f"p{uid}", 0, option, clock.now + timedelta(seconds=delay))
    result = quiz.close()
    assert result.split[right] == 2 and result.split[1 - right] == 1
    assert [p.user_id for p, _ in result.fastest] == [1, 0]


def test_unanswered_questions_count_as_full_time_in_the_podium(tutor, clock) -> None:
    quiz = make_quiz(tutor, n=2, seconds=20)
    for index in range(2):
        quiz.open_next(clock.now)
        right = quiz.current.answer_index
        quiz.submit(1, "steady", index, right, clock.now + timedelta(seconds=5))
        if index == 0:
            quiz.submit(2, "once", index, right, clock.now + timedelta(seconds=5))
        quiz.close()
    steady, once = quiz.podium()
    assert (steady.user_id, steady.total_time) == (1, 10)
    assert (once.user_id, once.total_time) == (2, 25)
    assert steady.points == 875 + 875 + 100  # second correct in a row: +100


def test_fifty_students_clicking_in_the_same_second_each_count_once(tutor, clock) -> None:
    quiz = make_quiz(tutor)
    quiz.open_next(clock.now)
    verdicts = [
        quiz.submit(uid % 50, f"s{uid % 50}", 0, uid % 2, clock.now + timedelta(milliseconds=uid))
        for uid in range(150)
    ]
    assert sum(v is Verdict.accepted for v, _ in verdicts) == 50
    assert sum(v is Verdict.already_answered for v, _ in verdicts) == 100
    assert quiz.close().answered == 50


async def test_one_class_quiz_per_channel_until_it_is_stopped(tutor) -> None:
    tutor.class_quizzes.sleep = lambda seconds: asyncio.Event().wait()  # time stands still
    quizzes = tutor.class_quizzes
    quizzes.start(1, 500, 9, Recorder())
    with pytest.raises(ClassQuizRefused, match="already running"):
        quizzes.start(1, 500, 9, Recorder())
    quizzes.start(1, 501, 9, Recorder())  # another channel is fine
    assert await quizzes.stop(500) and quizzes.get(500) is None
    quizzes.start(1, 500, 9, Recorder())
    await quizzes.stop_all()
    assert quizzes.running() == []


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        ({"questions": 0}, "questions must be 1-20"),
        ({"questions": 21}, "questions must be 1-20"),
        ({"seconds": 9}, "seconds must be 10-120"),
        ({"lesson_id": "nope"}, "no questions for that choice"),
    ],
)
def test_the_core_refuses_quizzes_outside_its_limits(tutor, options, refusal) -> None:
    with pytest.raises(ClassQuizRefused, match=refusal):
        tutor.class_quizzes.start(1, 500, 9, Recorder(), **options)
    assert tutor.class_quizzes.running() == []


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple] = []

    async def announce(self, quiz) -> None:
        self.events.append(("announce", len(quiz.questions)))

    async def question_opened(self, quiz, question) -> None:
        self.events.append(("open", quiz.index))

    async def tick(self, quiz, remaining) -> None:
        self.events.append(("tick", remaining))

    async def question_closed(self, quiz, result) -> None:
        self.events.append(("closed", result.index, result.answered))

    async def finished(self, quiz, podium, stopped) -> None:
        self.events.append(("finished", [p.user_id for p in podium], stopped))


ADA, BO, CY = Learner(1, 7, "ada"), Learner(1, 8, "bo"), Learner(1, 9, "cy")


def quiz_task(tutor, channel_id: int = 500) -> asyncio.Task:
    [task] = [t for t in tutor.tasks._tasks if t.get_name() == f"class-quiz-{channel_id}"]
    return task


async def answer_right(tutor, who: Learner) -> Verdict:
    quiz = tutor.class_quizzes.get(500)
    verdict, _ = await tutor.class_quizzes.answer(500, who, quiz.index, quiz.current.answer_index)
    return verdict


async def test_the_driver_runs_every_question_and_saves_points(tutor, clock) -> None:
    recorder = Recorder()

    async def sleep(seconds: float) -> None:
        if quiz.is_open and seconds < 5:  # a student answers near the end
            await answer_right(tutor, ADA)
        clock.advance(seconds=seconds)

    tutor.class_quizzes.sleep = sleep
    quiz = tutor.class_quizzes.start(1, 500, 9, recorder, questions=2, seconds=12)
    await quiz_task(tutor)
    assert recorder.events == [
        ("announce", 2),
        ("open", 0), ("tick", 7), ("tick", 2), ("closed", 0, 1),
        ("open", 1), ("tick", 7), ("tick", 2), ("closed", 1, 1),
        ("finished", [7], False),
    ]  # fmt: skip
    async with tutor.ctx.db.transaction() as conn:
        ada = await learners.get(conn, 1, 7)
        rows = await (await conn.execute("SELECT source, points FROM quiz_answers")).fetchall()
    assert ada is not None and ada.points >= quiz.players[7].points
    assert [r[0] for r in rows] == ["class", "class"]
    assert sum(r[1] for r in rows) == quiz.players[7].points


async def test_stopping_closes_the_question_and_still_saves(tutor, clock) -> None:
    recorder = Recorder()
    answered = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await answer_right(tutor, ADA)
        answered.set()
        await asyncio.Event().wait()  # the timer waits until the teacher stops

    tutor.class_quizzes.sleep = sleep
    tutor.class_quizzes.start(1, 500, 9, recorder, questions=3, seconds=30)
    await answered.wait()
    assert await tutor.class_quizzes.stop(500)
    assert recorder.events == [
        ("announce", 3), ("open", 0), ("closed", 0, 1), ("finished", [7], True)
    ]  # fmt: skip
    rows = await tutor.ctx.db.fetchall("SELECT points FROM quiz_answers")
    assert rows == [(1000,)]


async def test_a_failing_display_never_loses_the_scores(tutor, clock) -> None:
    class Broken(Recorder):
        async def tick(self, quiz, remaining) -> None:
            raise ConnectionError("message deleted")

    async def sleep(seconds: float) -> None:
        await answer_right(tutor, ADA)
        clock.advance(seconds=seconds)

    tutor.class_quizzes.sleep = sleep
    tutor.class_quizzes.start(1, 500, 9, Broken(), questions=2, seconds=10)
    with pytest.raises(ConnectionError):
        await quiz_task(tutor)
    rows = await tutor.ctx.db.fetchall("SELECT user_id, points FROM quiz_answers")
    assert rows == [(7, 1000)]


async def saved_answers(tutor) -> list[tuple]:
    return await tutor.ctx.db.fetchall(
        "SELECT user_id, question_index, points FROM class_quiz_answers ORDER BY user_id"
    )


def stand_still(tutor) -> None:
    tutor.class_quizzes.sleep = lambda seconds: asyncio.Event().wait()


async def open_question(tutor, recorder: Recorder, questions: int = 3) -> None:
    """Start a quiz whose timer never runs out, and wait until its first question is open."""
    opened = asyncio.Event()

    class Opening(type(recorder)):
        async def question_opened(self, quiz, question):
            await super().question_opened(quiz, question)
            opened.set()
            return 4242  # the message showing it

    recorder.__class__ = Opening
    stand_still(tutor)
    tutor.class_quizzes.start(1, 500, 9, recorder, questions=questions, seconds=30)
    await opened.wait()


async def test_an_answer_is_in_the_database_before_it_is_acknowledged(tutor) -> None:
    await open_question(tutor, Recorder())
    assert await answer_right(tutor, ADA) is Verdict.accepted
    assert await saved_answers(tutor) == [(7, 0, 1000)]
    assert await answer_right(tutor, ADA) is Verdict.already_answered
    assert await saved_answers(tutor) == [(7, 0, 1000)]
    await tutor.class_quizzes.stop_all()


async def test_a_thousand_clicks_at_once_share_a_few_commits(tutor) -> None:
    await open_question(tutor, Recorder())
    commits = []
    answers = tutor.class_quizzes._answers
    write = answers._write

    async def counting(conn, rows) -> None:
        commits.append(len(rows))
        await write(conn, rows)

    answers._write = counting
    students = [Learner(1, uid, f"s{uid}") for uid in range(1000, 2000)]
    verdicts = await asyncio.gather(*(answer_right(tutor, s) for s in students))
    assert verdicts == [Verdict.accepted] * 1000
    assert sum(commits) == 1000 and len(commits) <= 3
    assert len(await saved_answers(tutor)) == 1000
    await tutor.class_quizzes.stop_all()


async def test_an_answer_that_cannot_be_saved_is_not_acknowledged(tutor) -> None:
    await open_question(tutor, Recorder())
    answers = tutor.class_quizzes._answers
    write = answers._write

    async def locked(conn, rows) -> None:
        raise sqlite3.OperationalError("database is locked")

    answers._write = locked
    assert await answer_right(tutor, ADA) is Verdict.not_saved
    answers._write = write
    assert await answer_right(tutor, ADA) is Verdict.accepted  # the retry counts
    assert await saved_answers(tutor) == [(7, 0, 1000)]
    await tutor.class_quizzes.stop_all()


async def test_after_a_crash_every_acknowledged_answer_counts_and_the_channel_is_told(
    tmp_path, tutor, clock, database_target
) -> None:
    await open_question(tutor, Recorder())
    for student in (ADA, BO, CY):
        assert await answer_right(tutor, student) is Verdict.accepted
    # The process dies here: nothing of the quiz's end runs. The next one opens the file.
    successor = await open_tutor(tmp_path, clock, database=database_target)
    told: list[Interrupted] = []

    async def tell(quiz: Interrupted) -> None:
        told.append(quiz)

    try:
        assert await successor.class_quizzes.recover(lambda guild: True, tell) == 1
        [quiz] = told
        assert (quiz.channel_id, quiz.message_id, quiz.reached) == (500, 4242, 1)
        assert [s.name for s in quiz.standings] == ["ada", "bo", "cy"]
        assert all(s.correct == 1 and s.points > 0 for s in quiz.standings)
        rows = await successor.ctx.db.fetchall(
            "SELECT user_id, points FROM quiz_answers WHERE source = 'class' ORDER BY user_id"
        )
        assert [r[0] for r in rows] == [7, 8, 9]
        assert await successor.class_quizzes.recover(lambda guild: True, tell) == 0  # once
        assert len(told) == 1
    finally:
        await successor.close()
    await tutor.class_quizzes.stop_all()  # the "dead" one: counts nothing twice
    assert len(await tutor.ctx.db.fetchall("SELECT 1 FROM quiz_answers")) == 3


async def test_a_process_starting_on_other_shards_leaves_a_running_quiz_alone(
    tmp_path, tutor, clock, database_target
) -> None:
    await open_question(tutor, Recorder())  # in guild 1: on shard 0 of 2
    assert await answer_right(tutor, ADA) is Verdict.accepted
    # A process serving shard 1 of 2, on the same database.
    other_shard = await open_tutor(tmp_path, clock, database=database_target)
    told: list[Interrupted] = []

    async def tell(quiz: Interrupted) -> None:
        told.append(quiz)

    try:
        assert await other_shard.class_quizzes.recover(ShardRange(1, 1, 2).holds, tell) == 0
    finally:
        await other_shard.close()
    assert told == []
    assert await answer_right(tutor, BO) is Verdict.accepted  # it runs on, unharmed
    await tutor.class_quizzes.stop_all()
    assert len(await tutor.ctx.db.fetchall("SELECT 1 FROM quiz_answers")) == 2


async def test_a_channel_that_cannot_be_told_is_told_at_the_next_start(tutor) -> None:
    await open_question(tutor, Recorder())
    await answer_right(tutor, ADA)
    tutor.class_quizzes._running.clear()  # as after a crash: the registry is empty

    async def unreachable(quiz: Interrupted) -> None:
        raise ConnectionError("Discord is down")

    told: list[Interrupted] = []

    async def tell(quiz: Interrupted) -> None:
        told.append(quiz)

    assert await tutor.class_quizzes.recover(lambda guild: True, unreachable) == 0
    assert await tutor.class_quizzes.recover(lambda guild: True, tell) == 1
    assert len(told) == 1 and len(await tutor.ctx.db.fetchall("SELECT 1 FROM quiz_answers")) == 1


async def test_one_failing_student_never_stops_the_others_being_saved(tutor, monkeypatch) -> None:
    monkeypatch.setattr(class_quizzes, "RETRY_DELAYS_S", (0.0, 0.0))
    store = class_quizzes.store_answer
    attempts = []

    async def failing_for_ada(act, answer, points, source):
        if act.learner.user_id == ADA.user_id:
            attempts.append(1)
            raise sqlite3.OperationalError("disk I/O error")
        return await store(act, answer, points, source)

    monkeypatch.setattr(class_quizzes, "store_answer", failing_for_ada)
    await open_question(tutor, Recorder())
    for student in (ADA, BO, CY):
        await answer_right(tutor, student)
    await tutor.class_quizzes.stop_all()
    users = await tutor.ctx.db.fetchall("SELECT user_id FROM quiz_answers ORDER BY user_id")
    assert users == [(8,), (9,)] and len(attempts) == 3  # tried, retried, left for later
    monkeypatch.setattr(class_quizzes, "store_answer", store)
    await tutor.class_quizzes.recover(lambda guild: True, lambda quiz: asyncio.sleep(0))
    users = await tutor.ctx.db.fetchall("SELECT user_id FROM quiz_answers ORDER BY user_id")
    assert users == [(7,), (8,), (9,)]


class FailingAt(Recorder):
    """A presenter whose announcement or first post fails (Discord's 10062, a lost channel)."""

    def __init__(self, step: str) -> None:
        super().__init__()
        self.step = step

    async def announce(self, quiz) -> None:
        if self.step == "announce":
            raise ConnectionError("the reply to /class-quiz start failed")

    async def question_opened(self, quiz, question) -> None:
        if self.step == "first post":
            raise ConnectionError("the channel is gone")


@pytest.mark.parametrize("step", ["announce", "first post"])
async def test_a_quiz_whose_start_fails_does_not_stay_registered(tutor, step) -> None:
    tutor.class_quizzes.sleep = lambda seconds: asyncio.Event().wait()
    tutor.class_quizzes.start(1, 500, 9, FailingAt(step))
    [task] = [t for t in tutor.tasks._tasks if t.get_name() == "class-quiz-500"]
    await asyncio.gather(task, return_exceptions=True)
    assert tutor.class_quizzes.running() == []
    tutor.class_quizzes.start(1, 500, 9, Recorder())  # the channel is free again
    await tutor.class_quizzes.stop_all()
