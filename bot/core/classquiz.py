"""A class-wide quiz as a game: questions, answers, scoring (no I/O, no timers).

Scoring follows Kahoot's published rule: a correct answer given ``t`` seconds into a
``T``-second question earns ``round((1 - (t / T) / 2) * 1000)`` points (1000 at once,
500 at the buzzer); a wrong or missing answer earns 0. On top, an answer streak bonus:
the 2nd consecutive correct answer earns +100, the 3rd +200, ... capped at +500.
Speed rankings count an unanswered question as the full ``T`` seconds.

``submit`` does no I/O and never awaits, so it runs atomically on the event loop:
thirty (or a thousand) clicks in the same second are each judged exactly once, and
only the first answer of each student counts. Running quizzes (timers, saving,
presenting) are ``class_quizzes``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from bot.core.option_order import Shown
from bot.curriculum.models import Question

MAX_POINTS = 1000
STREAK_STEP = 100
STREAK_CAP = 500
FASTEST_SHOWN = 3


def kahoot_points(elapsed: float, limit: float) -> int:
    """Points for a correct answer after ``elapsed`` of ``limit`` seconds."""
    fraction = min(max(elapsed / limit, 0.0), 1.0)
    return round((1 - fraction / 2) * MAX_POINTS)


def streak_bonus(consecutive: int) -> int:
    """Bonus for the ``consecutive``-th correct answer in a row (1 = no bonus)."""
    return min(STREAK_STEP * max(consecutive - 1, 0), STREAK_CAP)


class Verdict(Enum):
    accepted = "accepted"
    already_answered = "already answered"
    closed = "closed"
    stale = "not the current question"
    bad_option = "no such option"
    over = "no class quiz is running"
    not_saved = "could not be saved"


@dataclass(frozen=True)
class Answer:
    option: int
    elapsed: float
    correct: bool
    points: int


@dataclass
class Player:
    user_id: int
    name: str
    points: int = 0
    correct: int = 0
    streak: int = 0
    total_time: float = 0.0  # for speed rankings; unanswered = full time


@dataclass(frozen=True)
class QuestionResult:
    index: int
    question: Question
    split: tuple[int, ...]  # answers per option, in the options' original order
    fastest: tuple[tuple[Player, Answer], ...]
    answered: int


@dataclass
class ClassQuiz:
    guild_id: int
    channel_id: int
    started_by: int
    questions: tuple[Question, ...]
    seconds: int
    orders: tuple[tuple[int, ...], ...] = ()  # options as shown, per question (content indices)
    index: int = -1
    opened_at: datetime | None = None
    accepting: bool = False  # answers taken for the open question until time-up
    record_id: int = 0  # its row in the database, once saved
    players: dict[int, Player] = field(default_factory=dict)
    answers: list[dict[int, Answer]] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    @property
    def current(self) -> Question:
        return self.questions[self.index]

    def shown(self, index: int) -> Shown:
        question = self.questions[index]
        order = self.orders[index] if self.orders else tuple(range(len(question.options)))
        return Shown(question, order)

    @property
    def has_next(self) -> bool:
        return self.index + 1 < len(self.questions)

    def open_next(self, now: datetime) -> Question:
        if self.is_open:
            raise RuntimeError("close the current question first")
        self.index += 1
        self.opened_at = now
        self.accepting = True
        self.answers.append({})
        return self.current

    def stop_answers(self) -> None:
        """No more answers for the open question (those in flight are still saving)."""
        self.accepting = False

    def withdraw(self, question_index: int, user_id: int) -> None:
        """Forget an accepted answer whose save failed: the student is told to try again."""
        self.answers[question_index].pop(user_id, None)

    def submit(
        self, user_id: int, name: str, question_index: int, option: int, now: datetime
    ) -> tuple[Verdict, Answer | None]:
        if question_index != self.index:
            return Verdict.stale, None
        if self.opened_at is None or not self.accepting:
            return Verdict.closed, None
        elapsed = (now - self.opened_at).total_seconds()
        if elapsed > self.seconds:
            return Verdict.closed, None
        if not 0 <= option < len(self.current.options):
            return Verdict.bad_option, None
        answers = self.answers[self.index]
        if user_id in answers:
            return Verdict.already_answered, answers[user_id]
        player = self.players.setdefault(user_id, Player(user_id, name))
        correct = option == self.current.answer_index
        points = kahoot_points(elapsed, self.seconds) + streak_bonus(player.streak + 1)
        answer = Answer(option, elapsed, correct, points if correct else 0)
        answers[user_id] = answer
        return Verdict.accepted, answer

    def close(self) -> QuestionResult:
        """Stop taking answers; score the question for every player."""
        if self.opened_at is None:
            raise RuntimeError("no open question")
        self.opened_at = None
        self.accepting = False
        answers = self.answers[self.index]
        for player in self.players.values():
            answer = answers.get(player.user_id)
            if answer is not None and answer.correct:
                player.streak += 1
                player.correct += 1
                player.points += answer.points
                player.total_time += answer.elapsed
            else:
                player.streak = 0
                player.total_time += self.seconds if answer is None else answer.elapsed
        split = [0] * len(self.current.options)
        for answer in answers.values():
            split[answer.option] += 1
        fastest = sorted(
            ((self.players[uid], a) for uid, a in answers.items() if a.correct),
            key=lambda pair: (pair[1].elapsed, pair[0].user_id),
        )[:FASTEST_SHOWN]
        return QuestionResult(self.index, self.current, tuple(split), tuple(fastest), len(answers))

    def podium(self) -> list[Player]:
        """Everyone, best first: points, then less total time, then user id."""
        return sorted(self.players.values(), key=lambda p: (-p.points, p.total_time, p.user_id))
