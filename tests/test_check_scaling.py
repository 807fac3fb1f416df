"""Tests of helpers.check.scaling: right answers pass, typical mistakes are named."""

import math

from helpers.check import scaling as check

from _checking import fails_with, not_written, passes


# ---- Exercise A1.1: the linear scaling rule ---------------------------------------------------


def test_scaled_learning_rate_accepts_the_linear_rule(capsys):
    passes(check.scaled_learning_rate, lambda lr, b, nb: lr * nb / b, capsys, "Exercise A1.1")


def test_scaled_learning_rate_names_an_upside_down_ratio_and_the_square_root_rule():
    fails_with(check.scaled_learning_rate, lambda lr, b, nb: lr * b / nb, "upside down")
    fails_with(check.scaled_learning_rate, lambda lr, b, nb: lr * math.sqrt(nb / b), "square-root rule")
    fails_with(check.scaled_learning_rate, lambda lr, b, nb: "fast", "expected a number")


def test_scaled_learning_rate_stub_says_it_is_not_written():
    message = fails_with(check.scaled_learning_rate, not_written, "is not written yet")
    assert "Hint" not in message


# ---- Exercise A1.2: TF_CONFIG -----------------------------------------------------------------


def right_config(hosts, port, index):
    return {"cluster": {"worker": [f"{h}:{port}" for h in hosts]}, "task": {"type": "worker", "index": index}}


def test_worker_tf_config_accepts_a_right_answer(capsys):
    passes(check.worker_tf_config, right_config, capsys, "Exercise A1.2")


def test_worker_tf_config_names_the_wrong_part():
    fails_with(check.worker_tf_config, lambda h, p, i: {"cluster": {"worker": h}, "task": right_config(h, p, i)["task"]},
               "your 'cluster'", "'host:port'")
    fails_with(check.worker_tf_config, lambda h, p, i: {**right_config(h, p, i), "task": {"type": "worker", "index": str(i)}},
               "your 'task'")
    fails_with(check.worker_tf_config, lambda h, p, i: str(right_config(h, p, i)), "you returned a str")
    fails_with(check.worker_tf_config, not_written, "is not written yet")


# ---- Exercise A1.3: decoding time per epoch ---------------------------------------------------


def right_seconds(photos, speed, workers, sharding):
    return photos / speed / (workers if sharding == "FILE" else 1)


def test_decode_seconds_accepts_a_right_answer(capsys):
    passes(check.decode_seconds, right_seconds, capsys, "Exercise A1.3")


def test_decode_seconds_names_the_belief_that_data_sharding_splits_the_decoding():
    fails_with(check.decode_seconds, lambda p, s, w, sh: p / s / w, "every worker decodes every photo")
    fails_with(check.decode_seconds, lambda p, s, w, sh: p / s, "only its share of the files")
    fails_with(check.decode_seconds, lambda p, s, w, sh: None, "you returned None")
