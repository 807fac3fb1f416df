"""What the checker tests share: a stub answer and "this wrong answer gets these words"."""

import pytest

from helpers.check import ExerciseError


def not_written(*args):
    """A student notebook's stub: the exercise is not answered yet."""
    raise NotImplementedError


def fails_with(checker, answer, *phrases):
    """Run the checker on a wrong answer; assert it raises and its message has every phrase."""
    with pytest.raises(ExerciseError) as error:
        checker(answer)
    message = str(error.value)
    for phrase in phrases:
        assert phrase in message, f"{phrase!r} not in:\n{message}"
    return message


def passes(checker, answer, capsys, exercise):
    """Run the checker on a right answer; assert it printed the exercise's "correct" line."""
    checker(answer)
    out = capsys.readouterr().out
    assert out.startswith(f"\N{CHECK MARK} {exercise}: correct"), out
