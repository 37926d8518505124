"""/class-quiz start|stop in the console: the teacher starts it, students answer after
``/user NAME`` with a letter, the countdown and the results are printed as they happen.
"""

from __future__ import annotations

import asyncio

from bot.console.buttons import Button
from bot.console.commands import UsageError, command
from bot.console.quiz import LETTERS, option_named, show_question
from bot.console.session import Console
from bot.console.topics import lesson_named
from bot.core.class_quizzes import DEFAULT_QUESTIONS, DEFAULT_SECONDS, Interrupted
from bot.core.classquiz import ClassQuiz, Player, QuestionResult, Verdict
from bot.core.context import CONSOLE_GUILD
from bot.core.option_order import Shown
from bot.curriculum.models import Question
from bot.render.class_quiz import ENDED_EARLY, REPLIES, ended_early_note, standings_lines
from bot.render.words import plural

CONSOLE_CHANNEL = 0
BAR_WIDTH = 12


def _number(text: str, name: str, default: int) -> int:
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{name} must be a whole number, not {text!r}.") from None


@command(
    "class-quiz start",
    "lesson",
    "questions",
    "seconds",
    help="/class-quiz start [lesson:..] [questions:1-20] [seconds:10-120]: everyone answers",
    teachers_only=True,
)
async def start(console: Console, lesson: str = "", questions: str = "", seconds: str = "") -> None:
    """Returns once the first question is on the screen, so the next line typed can
    already answer it (a script's lines follow at once)."""
    presenter = PrintedClassQuiz(console)
    console.tutor.class_quizzes.start(
        CONSOLE_GUILD,
        CONSOLE_CHANNEL,
        console.who.user_id,
        presenter,
        lesson_named(console, lesson).id if lesson else None,
        _number(questions, "questions", DEFAULT_QUESTIONS),
        _number(seconds, "seconds", DEFAULT_SECONDS),
    )
    await presenter.showing.wait()


@command(
    "class-quiz stop",
    help="/class-quiz stop: close the current question now and show the results",
    teachers_only=True,
)
async def stop(console: Console) -> None:
    if not await console.tutor.class_quizzes.stop(CONSOLE_CHANNEL):
        raise UsageError("No class quiz is running.")


class PrintedClassQuiz:
    """The class quiz's presenter: what Discord shows in the channel, as printed lines."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.showing = asyncio.Event()  # the first question is open, or the quiz is over

    async def announce(self, quiz: ClassQuiz) -> None:
        self.console.say(
            f"📣 **Class quiz!** {plural(len(quiz.questions), 'question')}, {quiz.seconds} s "
            "each. Students: /user NAME, then a letter; the first answer counts, faster is "
            "worth more."
        )

    async def question_opened(self, quiz: ClassQuiz, question: Question) -> int | None:
        heading = f"Class quiz · question {quiz.index + 1} of {len(quiz.questions)}"
        shown = quiz.shown(quiz.index)
        show_question(self.console, heading, shown)
        self.console.say(f"⏳ {quiz.seconds} s to answer.")
        self.console.buttons.show_shared(
            [self._answer_button(quiz, shown, p) for p in range(len(shown.options))]
        )
        self.showing.set()
        return None  # nothing on a terminal to edit later

    def _answer_button(self, quiz: ClassQuiz, shown: Shown, position: int) -> Button:
        question_index = quiz.index

        async def answer() -> None:
            console = self.console
            verdict, given = await console.tutor.class_quizzes.answer(
                CONSOLE_CHANNEL, console.who, question_index, shown.order[position]
            )
            if verdict is Verdict.accepted:
                console.say(f"🔒 {console.who.name} locked in {LETTERS[position]}.")
            elif verdict is Verdict.already_answered and given is not None:
                console.say(
                    f"{console.who.name} already answered "
                    f"{LETTERS[shown.position_of(given.option)]}; the first answer counts."
                )
            else:
                console.say(REPLIES[verdict])

        return Button(LETTERS[position], answer, aliases=(shown.options[position],))

    async def tick(self, quiz: ClassQuiz, remaining: int) -> None:
        answered = len(quiz.answers[quiz.index])
        self.console.say(f"⏳ {remaining} s left · {plural(answered, 'answer')} locked in")

    async def question_closed(self, quiz: ClassQuiz, result: QuestionResult) -> None:
        self.console.buttons.clear_shared()
        question = result.question
        shown = quiz.shown(result.index)
        self.console.say(
            f"⌛ Time's up! The answer: {option_named(shown, question.answer_index)}",
            hanging="  ",
        )
        total = max(result.answered, 1)
        self.console.say("How the class answered:")
        for position, option in enumerate(shown.order):
            count = result.split[option]
            mark = "✅" if option == question.answer_index else "  "
            bar = "█" * round(BAR_WIDTH * count / total)
            text = f"{LETTERS[position]}) {shown.options[position]}"
            self.console.say(f"{mark} {bar:<{BAR_WIDTH}} {count}  {text}", indent="  ")
        fastest = ", ".join(f"{p.name} ({a.elapsed:.1f} s, +{a.points})" for p, a in result.fastest)
        self.console.say(f"Fastest correct: {fastest or 'nobody this time'}")
        self.console.say(f"Why: {question.explanation}")

    async def finished(self, quiz: ClassQuiz, podium: list[Player], stopped: bool) -> None:
        self.console.say("**Class quiz stopped: results**" if stopped else "**Final podium**")
        for place, player in enumerate(podium, 1):
            self.console.say(
                f"{player.name}: {plural(player.points, 'point')} "
                f"({player.correct}/{len(quiz.questions)} right)",
                indent=f"  {place}. ",
            )
        if not podium:
            self.console.say("Nobody answered.")
        self.console.say("Scores are saved to everyone's /progress.")
        self.showing.set()


async def tell_ended_early(console: Console, quiz: Interrupted) -> None:
    """A console class quiz the last run left unfinished (the process was killed)."""
    console.say(f"**{ENDED_EARLY}.** {ended_early_note(quiz)}")
    for line in standings_lines(quiz):
        console.say(line, indent="  ")
