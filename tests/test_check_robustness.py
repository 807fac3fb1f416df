"""Tests of helpers.check.robustness (appendix A3): a right answer passes; writing the file
directly, leaving the temporary file behind and swallowing the error are each named; a stub gets
"not written yet" without a hint."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helpers import run
from helpers.check import NOT_WRITTEN, ExerciseError
from helpers.check import robustness as check


def fails_with(answer, *phrases):
    with pytest.raises(ExerciseError) as error:
        check.write_json_atomically(answer)
    message = str(error.value)
    for phrase in phrases:
        assert phrase in message, f"{phrase!r} not in:\n{message}"
    return message


def right(path, value):
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(value, file)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def test_a_right_answer_and_the_course_function_pass(capsys):
    check.write_json_atomically(right)
    check.write_json_atomically(run.write_json_atomically)
    out = capsys.readouterr().out.splitlines()
    assert all(line.startswith("\N{CHECK MARK} Exercise A3.1: correct") for line in out)


def test_writing_the_file_directly_loses_the_old_content():
    def direct(path, value):
        with open(path, "w", encoding="utf-8") as file:
            json.dump(value, file)
    fails_with(direct, "the old file was lost")


def test_a_temporary_file_left_behind_is_named():
    def keeps_temporary(path, value):
        path = Path(path)
        temporary = path.with_name(path.name + ".tmp")
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(value, file)
        os.replace(temporary, path)
    fails_with(keeps_temporary, "delete the temporary file")

    def copies(path, value):
        right(path, value)
        Path(str(path) + ".bak").write_text("{}")
    fails_with(copies, "files were left beside state.json")


def test_a_swallowed_error_is_named():
    def swallows(path, value):
        try:
            right(path, value)
        except TypeError:
            pass
    fails_with(swallows, "without an error")


def test_a_stub_gets_not_written_yet_and_no_hint():
    def stub(path, value):
        raise NotImplementedError
    message = fails_with(stub, NOT_WRITTEN)
    assert "Hint" not in message
