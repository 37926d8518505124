"""Running class quizzes: one registry owns each quiz and its task, picks the
questions, enforces the limits, keeps time, saves scores and tells a presenter.

A frontend supplies only a ``ClassQuizPresenter`` (a channel message in Discord, printed
lines in the console); stopping a quiz is cancelling its task, which closes the open
question at once, saves everyone's points and shows the results.

Nothing a student was told is lost: an accepted answer is committed (group commit: the
clicks of the same few milliseconds share one transaction) before "Locked in" is said,
and counts in the student's progress when the quiz ends, or, after a crash, when the
next process recovers the quiz and tells the channel it ended early.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.core.classquiz import Answer, ClassQuiz, Player, QuestionResult, Verdict
from bot.core.clock import Sleep
from bot.core.context import CoreContext, Learner
from bot.core.option_order import shuffled
from bot.core.quiz import Recorded, store_answer
from bot.core.tasks import TaskKeeper
from bot.curriculum.models import Question
from bot.storage import class_quiz_log as log_store
from bot.storage.class_quiz_log import AnswerRow, QuizQuestion, QuizRow
from bot.storage.group_commit import GroupCommit

log = logging.getLogger(__name__)

MIN_QUESTIONS, MAX_QUESTIONS, DEFAULT_QUESTIONS = 1, 20, 5
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 10, 120, 20
# One edit of the question message every 5 s stays far below Discord's per-channel
# limit (5 edits / 5 s) even with several quizzes running in one guild.
TICK_SECONDS = 5
PAUSE_BETWEEN_QUESTIONS = 4
# Saving a student's points is retried after these pauses; what still fails is saved by
# the next start's recovery (the answers themselves are already in the database).
RETRY_DELAYS_S = (0.2, 1.0, 3.0)


class ClassQuizRefused(Exception):
    """The quiz cannot start; the message is fit to show the teacher."""


class ClassQuizPresenter(Protocol):
    """What a frontend shows; the driver decides when. ``announce`` comes first: if it
    fails (e.g. the command's reply could not be sent) the quiz ends without a trace."""

    async def announce(self, quiz: ClassQuiz) -> None: ...
    async def question_opened(self, quiz: ClassQuiz, question: Question) -> int | None:
        """Show the question; return the id of the message showing it, if any (it is
        edited after a crash to say the quiz ended early)."""
        ...

    async def tick(self, quiz: ClassQuiz, remaining: int) -> None: ...
    async def question_closed(self, quiz: ClassQuiz, result: QuestionResult) -> None: ...
    async def finished(self, quiz: ClassQuiz, podium: list[Player], stopped: bool) -> None: ...


@dataclass(frozen=True)
class Standing:
    user_id: int
    name: str
    points: int
    correct: int


@dataclass(frozen=True)
class Interrupted:
    """A class quiz a crash cut short, to be shown as ended early with its standings."""

    guild_id: int
    channel_id: int
    message_id: int | None
    questions: int
    reached: int  # questions shown
    options: int  # of the question that was open, for its (disabled) buttons
    standings: tuple[Standing, ...]  # best first


Tell = Callable[[Interrupted], Awaitable[None]]


class ClassQuizzes:
    """The running class quizzes, at most one per channel, each with its task."""

    def __init__(
        self,
        ctx: CoreContext,
        pool: Callable[[int, str | None], list[Question]],
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
        self._answers: GroupCommit[AnswerRow] = GroupCommit(ctx.db, log_store.add_answers)

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
        pool = self._pool(guild_id, lesson_id)
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

    async def answer(
        self, channel_id: int, who: Learner, question_index: int, option: int
    ) -> tuple[Verdict, Answer | None]:
        """Judge one click (at once, without awaiting: a thousand clicks are each judged
        once) and return when an accepted answer is committed; ``not_saved`` if it could
        not be (the answer is withdrawn, so the student may click again)."""
        for _ in range(2):
            quiz = self.get(channel_id)
            if quiz is None:
                return Verdict.over, None
            now = self._ctx.now()
            verdict, given = quiz.submit(who.user_id, who.name, question_index, option, now)
            if verdict is Verdict.already_answered:
                await self._answers.drain()  # the first click may still be saving
                first = quiz.answers[question_index].get(who.user_id)
                if first is not None:
                    return verdict, first
                continue  # the first click's save failed: this one counts instead
            if verdict is not Verdict.accepted or given is None:
                return verdict, given
            row = AnswerRow(quiz.record_id, question_index, who.user_id, who.name,
                            given.option, given.elapsed, given.correct, given.points,
                            now.timestamp())  # fmt: skip
            try:
                await self._answers.submit(row)
            except Exception:
                log.exception("could not save a class quiz answer in %s", channel_id)
                quiz.withdraw(question_index, who.user_id)
                return Verdict.not_saved, None
            return verdict, given
        return Verdict.not_saved, None

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
        questions = [
            QuizQuestion(q.id, q.lesson, ",".join(map(str, quiz.shown(i).order)))
            for i, q in enumerate(quiz.questions)
        ]
        async with self._ctx.db.transaction() as conn:
            quiz.record_id = await log_store.create(
                conn, quiz.guild_id, quiz.channel_id, quiz.started_by, quiz.seconds,
                questions, self._ctx.now().timestamp(),
            )  # fmt: skip
        await presenter.announce(quiz)
        await self._drive(quiz, presenter)

    async def _drive(self, quiz: ClassQuiz, presenter: ClassQuizPresenter) -> None:
        """Run the quiz to the end; cancelling this task is how a teacher stops it.

        Either way the open question is closed, everyone's points are saved to their
        progress and the podium is shown before the task ends.
        """
        ctx = self._ctx
        stopped = False
        try:
            while quiz.has_next:
                question = quiz.open_next(ctx.now())
                message_id = await presenter.question_opened(quiz, question)
                async with ctx.db.transaction() as conn:
                    await log_store.showing(conn, quiz.record_id, quiz.index, message_id)
                assert quiz.opened_at is not None
                deadline = quiz.opened_at.timestamp() + quiz.seconds
                while (remaining := deadline - ctx.now().timestamp()) > 0:
                    await self.sleep(min(TICK_SECONDS, remaining))
                    left = math.ceil(deadline - ctx.now().timestamp())
                    if left > 0:
                        await presenter.tick(quiz, left)
                await presenter.question_closed(quiz, await self._close(quiz))
                if quiz.has_next:
                    await self.sleep(PAUSE_BETWEEN_QUESTIONS)
        except asyncio.CancelledError:
            stopped = True
            raise
        finally:
            # Scores are saved before anything is shown: a failing presenter (message
            # deleted, permission lost) must never cost students their points.
            last = await self._close(quiz) if quiz.is_open else None
            await self._record(quiz.record_id)
            await self._set_state(quiz.record_id, "finished")
            if last is not None:
                await presenter.question_closed(quiz, last)
            await presenter.finished(quiz, quiz.podium(), stopped)

    async def _close(self, quiz: ClassQuiz) -> QuestionResult:
        """Time-up: no new answers, the ones in flight saved (or withdrawn), then scored."""
        quiz.stop_answers()
        await self._answers.drain()
        return quiz.close()

    async def _set_state(self, record_id: int, state: str) -> None:
        try:
            async with self._ctx.db.transaction() as conn:
                await log_store.set_state(conn, record_id, state)
        except Exception:  # a quiz left "running" is recovered at the next start
            log.exception("could not mark class quiz %s %s", record_id, state)

    async def _record(self, record_id: int) -> None:
        """Count the quiz's saved answers in each student's progress, one student at a
        time, so one failing student never stops the others."""
        try:
            quiz = await log_store.quiz(self._ctx.db, record_id)
            unrecorded = await log_store.unrecorded(self._ctx.db, record_id)
        except Exception:  # they stay in the database, counted at the next start
            log.exception("class quiz %s: cannot read its answers to count them", record_id)
            return
        by_user: dict[int, list[AnswerRow]] = defaultdict(list)
        for answer in unrecorded:
            by_user[answer.user_id].append(answer)
        for answers in by_user.values():
            await self._record_student(quiz, answers)

    async def _record_student(self, quiz: QuizRow, answers: list[AnswerRow]) -> None:
        who = Learner(quiz.guild_id, answers[0].user_id, answers[-1].name)
        for pause in (*RETRY_DELAYS_S, None):
            try:
                async with self._ctx.activity(who) as act:
                    for answer in answers:
                        asked = quiz.questions[answer.question_index]
                        order = tuple(int(i) for i in asked.order.split(","))
                        recorded = Recorded(asked.question_id, asked.lesson_id,
                                            answer.chosen, answer.correct, order)  # fmt: skip
                        await store_answer(act, recorded, answer.points, "class")
                        await log_store.mark_recorded(act.conn, answer)
                return
            except Exception:
                if pause is None:
                    log.exception("class quiz %s: %s's points wait for the next start",
                                  quiz.id, who.user_id)  # fmt: skip
                    return
                log.warning("class quiz %s: saving %s's points failed; retrying",
                            quiz.id, who.user_id)  # fmt: skip
                await asyncio.sleep(pause)

    async def recover(self, scope: Callable[[int], bool], tell: Tell) -> int:
        """After a crash: count every saved answer of ``scope``'s guilds in its student's
        progress, and ``tell`` each quiz the crash cut short that it ended early (until
        telling succeeds, it is retried at every start). Returns how many were told."""
        told = 0
        for quiz in await log_store.to_recover(self._ctx.db):
            if not scope(quiz.guild_id) or quiz.channel_id in self._running:
                continue
            if quiz.state == "running":
                await self._set_state(quiz.id, "interrupted")
            await self._record(quiz.id)
            if quiz.state not in ("running", "interrupted"):
                continue
            answers = await log_store.answers(self._ctx.db, quiz.id)
            try:
                await tell(self._interrupted(quiz, answers))
            except Exception:
                log.exception("could not tell channel %s its class quiz ended early",
                              quiz.channel_id)  # fmt: skip
                continue
            await self._set_state(quiz.id, "told")
            told += 1
        return told

    def _interrupted(self, quiz: QuizRow, answers: list[AnswerRow]) -> Interrupted:
        totals: dict[int, Standing] = {}
        for a in answers:
            was = totals.get(a.user_id, Standing(a.user_id, a.name, 0, 0))
            totals[a.user_id] = Standing(a.user_id, a.name, was.points + a.points,
                                         was.correct + int(a.correct))  # fmt: skip
        best_first = sorted(totals.values(), key=lambda s: (-s.points, s.user_id))
        open_index = max(quiz.question_index, 0)
        options = len(quiz.questions[open_index].order.split(","))
        return Interrupted(quiz.guild_id, quiz.channel_id, quiz.message_id,
                           len(quiz.questions), quiz.question_index + 1, options,
                           tuple(best_first))  # fmt: skip
