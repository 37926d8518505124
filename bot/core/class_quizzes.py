"""Running class quizzes: one registry owns each quiz and its task, picks the
questions, enforces the limits, keeps time, saves scores and tells a presenter.

A frontend supplies only a ``ClassQuizPresenter`` (a channel message in Discord, printed
lines in the console); stopping a quiz is cancelling its task, which closes the open
question at once, saves everyone's points and shows the results.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable
from typing import Protocol

from bot.core.classquiz import Answer, ClassQuiz, Player, QuestionResult, Verdict
from bot.core.clock import Sleep
from bot.core.context import CoreContext, Learner
from bot.core.option_order import shuffled
from bot.core.quiz import record_answer
from bot.core.tasks import TaskKeeper
from bot.curriculum.models import Question

MIN_QUESTIONS, MAX_QUESTIONS, DEFAULT_QUESTIONS = 1, 20, 5
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 10, 120, 20
# One edit of the question message every 5 s stays far below Discord's per-channel
# limit (5 edits / 5 s) even with several quizzes running in one guild.
TICK_SECONDS = 5
PAUSE_BETWEEN_QUESTIONS = 4


class ClassQuizRefused(Exception):
    """The quiz cannot start; the message is fit to show the teacher."""


class ClassQuizPresenter(Protocol):
    """What a frontend shows; the driver decides when. ``announce`` comes first: if it
    fails (e.g. the command's reply could not be sent) the quiz ends without a trace."""

    async def announce(self, quiz: ClassQuiz) -> None: ...
    async def question_opened(self, quiz: ClassQuiz, question: Question) -> None: ...
    async def tick(self, quiz: ClassQuiz, remaining: int) -> None: ...
    async def question_closed(self, quiz: ClassQuiz, result: QuestionResult) -> None: ...
    async def finished(self, quiz: ClassQuiz, podium: list[Player], stopped: bool) -> None: ...


class ClassQuizzes:
    """The running class quizzes, at most one per channel, each with its task."""

    def __init__(
        self,
        ctx: CoreContext,
        pool: Callable[[str | None], list[Question]],
        tasks: TaskKeeper,
        rng: random.Random,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.sleep = sleep  # public so tests can drive time
        self._ctx = ctx
        self._pool = pool
        self._tasks = tasks
        self._rng = rng
        self._running: dict[int, tuple[ClassQuiz, asyncio.Task[None]]] = {}

    def start(
        self,
        guild_id: int,
        channel_id: int,
        teacher_id: int,
        presenter: ClassQuizPresenter,
        lesson_id: str | None = None,
        questions: int = DEFAULT_QUESTIONS,
        seconds: int = DEFAULT_SECONDS,
    ) -> ClassQuiz:
        if not MIN_QUESTIONS <= questions <= MAX_QUESTIONS:
            raise ClassQuizRefused(f"questions must be {MIN_QUESTIONS}-{MAX_QUESTIONS}.")
        if not MIN_SECONDS <= seconds <= MAX_SECONDS:
            raise ClassQuizRefused(f"seconds must be {MIN_SECONDS}-{MAX_SECONDS}.")
        if channel_id in self._running:
            raise ClassQuizRefused(
                "A class quiz is already running here; /class-quiz stop ends it."
            )
        pool = self._pool(lesson_id)
        if not pool:
            raise ClassQuizRefused("There are no questions for that choice.")
        picked = tuple(self._rng.sample(pool, min(questions, len(pool))))
        orders = tuple(shuffled(question, self._rng).order for question in picked)
        quiz = ClassQuiz(guild_id, channel_id, teacher_id, picked, seconds, orders)
        task = self._tasks.spawn(self._run(quiz, presenter), name=f"class-quiz-{channel_id}")
        self._running[channel_id] = (quiz, task)
        # Whichever way the task ends (even cancelled before it ran), the channel is free.
        task.add_done_callback(lambda _: self._forget(channel_id, task))
        return quiz

    def _forget(self, channel_id: int, task: asyncio.Task[None]) -> None:
        if channel_id in self._running and self._running[channel_id][1] is task:
            del self._running[channel_id]

    def get(self, channel_id: int) -> ClassQuiz | None:
        running = self._running.get(channel_id)
        return running[0] if running else None

    def running(self) -> list[ClassQuiz]:
        return [quiz for quiz, _ in self._running.values()]

    def answer(
        self, channel_id: int, who: Learner, question_index: int, option: int
    ) -> tuple[Verdict, Answer | None]:
        """Judge one click at once (no await: a thousand clicks are each judged once)."""
        quiz = self.get(channel_id)
        if quiz is None:
            return Verdict.over, None
        return quiz.submit(who.user_id, who.name, question_index, option, self._ctx.now())

    async def stop(self, channel_id: int) -> bool:
        """Close the open question now, save, show the results; False if none ran."""
        running = self._running.get(channel_id)
        if running is None:
            return False
        task = running[1]
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        self._forget(channel_id, task)
        return True

    async def stop_all(self) -> None:
        for channel_id in list(self._running):
            await self.stop(channel_id)

    async def _run(self, quiz: ClassQuiz, presenter: ClassQuizPresenter) -> None:
        await presenter.announce(quiz)
        await drive(quiz, presenter, self._ctx, self.sleep)


async def drive(
    quiz: ClassQuiz,
    presenter: ClassQuizPresenter,
    ctx: CoreContext,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Run the quiz to the end; cancelling this task is how a teacher stops it.

    Either way the open question is closed, everyone's points are saved to their
    progress and the podium is shown before the task ends.
    """
    stopped = False
    try:
        while quiz.has_next:
            question = quiz.open_next(ctx.now())
            await presenter.question_opened(quiz, question)
            assert quiz.opened_at is not None
            deadline = quiz.opened_at.timestamp() + quiz.seconds
            while (remaining := deadline - ctx.now().timestamp()) > 0:
                await sleep(min(TICK_SECONDS, remaining))
                left = math.ceil(deadline - ctx.now().timestamp())
                if left > 0:
                    await presenter.tick(quiz, left)
            await presenter.question_closed(quiz, quiz.close())
            if quiz.has_next:
                await sleep(PAUSE_BETWEEN_QUESTIONS)
    except asyncio.CancelledError:
        stopped = True
        raise
    finally:
        # Scores are saved before anything is shown: a failing presenter (message
        # deleted, permission lost) must never cost students their points.
        last = quiz.close() if quiz.is_open else None
        await save_results(ctx, quiz)
        if last is not None:
            await presenter.question_closed(quiz, last)
        await presenter.finished(quiz, quiz.podium(), stopped)


async def save_results(ctx: CoreContext, quiz: ClassQuiz) -> None:
    """Record every answer given (with its class-quiz points) in each student's progress."""
    for player in quiz.players.values():
        who = Learner(quiz.guild_id, player.user_id, player.name)
        async with ctx.activity(who) as act:
            for index, answers in enumerate(quiz.answers):
                answer = answers.get(player.user_id)
                if answer is not None:
                    await record_answer(
                        act, quiz.shown(index), answer.option, answer.points, "class"
                    )
