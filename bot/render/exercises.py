"""Exercises in words, the same in every frontend: a grade line by line, and a class
assignment's summary."""

from __future__ import annotations

from bot.core.class_exercises import AssignmentSummary
from bot.core.code_runs import GradeResult
from bot.core.exercises import Graded
from bot.render.words import plural, points_earned

MARKS = {"pass": "✅", "fail": "❌", "error": "⚠️"}


def verdict_line(graded: Graded) -> str:
    result = graded.result
    if result.status == "pass":
        if graded.first_pass and graded.award.points:
            return f"✅ Solved! {points_earned(graded.award)}"
        if graded.first_pass:
            return "✅ Solved (no points: the solution was shown first)."
        return "✅ Passes again."
    if result.status == "error":
        return f"⚠️ Could not run the checks: {result.message}"
    passed = sum(check.status == "pass" for check in result.tests)
    return f"❌ {passed} of {plural(len(result.tests), 'check')} passed."


def check_lines(result: GradeResult) -> list[str]:
    """One line per check: its mark, its name, and what to fix when it did not pass."""
    return [
        f"{MARKS.get(check.status, '•')} {check.name}"
        + (f": {check.message}" if check.status != "pass" and check.message else "")
        for check in result.tests
    ]


def student_output(result: GradeResult) -> str:
    """What the student's code printed (empty when it printed nothing). Each check loads
    the code afresh, so a module-level print shows in every check: the same output is
    shown once, different outputs are labelled with their check."""
    outputs = [(check.name, check.output) for check in result.tests if check.output]
    if len({output for _, output in outputs}) <= 1:
        return outputs[0][1] if outputs else ""
    return "".join(f"[{name}]\n{output}" for name, output in outputs)


def timing(result: GradeResult) -> str:
    return f"graded in {result.wall_ms:.0f} ms"


def summary_lines(summary: AssignmentSummary) -> list[str]:
    title = summary.exercise.title if summary.exercise else summary.exercise_id
    lines = [
        f"{'Stopped early' if summary.stopped else 'Time is up'}: **{title}**.",
        f"{summary.solved} of {plural(len(summary.students), 'student')} solved it "
        f"({plural(summary.attempts, 'attempt')} in all).",
    ]
    for place, solver in enumerate(summary.first_solvers, 1):
        assert solver.solved_after_s is not None
        minutes, seconds = divmod(round(solver.solved_after_s), 60)
        lines.append(
            f"{place}. {solver.name}: after {minutes} min {seconds:02d} s "
            f"({plural(solver.attempts, 'attempt')})"
        )
    return lines
