"""helpers.env: the environment check, the quick switch and the seeds."""

import numpy as np
import pytest

from helpers import env


def test_installed_environment_passes_the_check(capsys):
    versions = env.check_environment()
    printed = capsys.readouterr().out
    assert "tensorflow" in printed and "python" in printed
    assert all(v is not None for v in versions.values())


def test_missing_and_old_packages_are_all_reported_in_one_readable_error():
    problems = env.environment_problems({"tensorflow": "2.15.0", "keras": "2.15.0", "numpy": None},
                                        minimum={"tensorflow": "2.20", "keras": "3.12", "numpy": "1.26"})
    text = "\n".join(problems)
    assert "tensorflow 2.15.0 is too old" in text
    assert "numpy is not installed" in text
    assert "Keras 2 is installed" in text


def test_old_python_is_refused():
    problems = env.environment_problems({}, minimum={}, python=(3, 9))
    assert problems == ["Python 3.9 is too old: the course needs 3.11 or newer."]


def test_check_environment_raises_with_the_fix(monkeypatch):
    monkeypatch.setattr(env, "installed_versions", lambda names: {n: None for n in names})
    with pytest.raises(env.EnvironmentProblem, match="make setup"):
        env.check_environment()


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("YES", True),
                                             ("0", False), ("", False), ("no", False)])
def test_quick_mode_reads_the_environment_variable(monkeypatch, value, expected):
    monkeypatch.setenv("COURSE_QUICK", value)
    assert env.quick_mode() is expected


def test_set_seed_makes_numpy_repeatable():
    env.set_seed(7)
    first = np.random.rand(3)
    env.set_seed(7)
    np.testing.assert_array_equal(first, np.random.rand(3))


def test_repo_root_holds_the_project_files():
    assert (env.repo_root() / "pyproject.toml").is_file()
