"""helpers.experiments: the plan of a learning curve, the curve itself on a tiny shapes dataset
(nested subsets, the same files for both curves, reuse of finished runs), and reading a curve."""

from __future__ import annotations

import dataclasses
import math
import json
from pathlib import Path

import numpy as np
import pytest

from helpers import experiments, synthetic
from helpers.experiments import epochs_for, images_needed, plan
from helpers.model import ModelConfig

#: A network small enough to train an epoch on a dozen 32x32 pictures in a second or two.
TINY = ModelConfig(image_size=32, filters=(4, 8), dense_units=(8,), order="conv-relu-pool",
                   initializer="he")


# ---- the plan --------------------------------------------------------------------------------


def test_epochs_for_gives_at_least_the_epochs_and_at_least_the_steps():
    assert epochs_for(800, 32, epochs=30, min_steps=200) == 30   # 25 steps x 30 = 750 >= 200
    assert epochs_for(80, 32, epochs=30, min_steps=200) == 67    # 3 steps per epoch: ceil(200/3)
    assert epochs_for(160, 32, epochs=30, min_steps=200) == 40   # 5 steps per epoch
    assert epochs_for(33, 32, epochs=1) == 1


@pytest.mark.parametrize("bad", [dict(train_images=0), dict(batch_size=0), dict(epochs=0),
                                 dict(min_steps=-1), dict(epochs=2.5)])
def test_epochs_for_refuses_nonsense(bad):
    arguments = dict(train_images=10, batch_size=4, epochs=1, min_steps=0) | bad
    with pytest.raises(ValueError, match=next(iter(bad))):
        epochs_for(**arguments)


def test_the_plan_of_the_notebook_curve():
    runs = plan([50, 100, 250, 500], num_classes=2, epochs=30, min_steps=200)
    assert [r.train_images for r in runs] == [80, 160, 400, 800]
    assert [r.val_images for r in runs] == [20, 40, 100, 200]
    assert [r.epochs for r in runs] == [67, 40, 30, 30]
    assert [r.steps for r in runs] == [201, 200, 390, 750]
    assert sum(r.images_seen for r in runs) == 67 * 80 + 40 * 160 + 30 * 400 + 30 * 800


def test_the_plan_holds_at_least_one_validation_image_per_class():
    (run,) = plan([2], num_classes=3, epochs=1)
    assert (run.train_images, run.val_images) == (3, 3)


@pytest.mark.parametrize("sizes, message", [([], "non-empty"), ("50", "non-empty"),
                                            ([50, 50], "repeat"), ([1], "at least 2"),
                                            ([10.5], "whole number")])
def test_the_plan_refuses_bad_sizes(sizes, message):
    with pytest.raises(ValueError, match=message):
        plan(sizes, num_classes=2, epochs=1)


# ---- reading a curve -------------------------------------------------------------------------


def test_images_needed_interpolates_in_log_size():
    # 0.6 at 100, 0.7 at 400: 0.65 lies half-way in log size, at sqrt(100 * 400) = 200
    assert images_needed([100, 400], [0.6, 0.7], 0.65) == pytest.approx(200)
    assert images_needed([400, 100], [0.7, 0.6], 0.7) == pytest.approx(400)  # any order


def test_images_needed_at_the_first_point_and_beyond_the_last():
    assert images_needed([50, 100], [0.8, 0.9], 0.75) == 50
    assert images_needed([50, 100], [0.6, 0.7], 0.75) is None


def test_images_needed_takes_the_first_crossing_of_a_bumpy_curve():
    assert images_needed([50, 100, 250, 500], [0.6, 0.72, 0.69, 0.8], 0.7) == pytest.approx(
        50 * 2 ** ((0.7 - 0.6) / (0.72 - 0.6)))


def test_results_table_has_a_row_per_size_and_a_column_per_label():
    results = [{"label": "plain", "per_class": 50, "test_accuracy": 0.5},
               {"label": "augmented", "per_class": 50, "test_accuracy": 0.625},
               {"label": "plain", "per_class": 100, "test_accuracy": 0.55}]
    lines = experiments.results_table(results).splitlines()
    assert lines[0].split() == ["per", "class", "plain", "augmented"]
    assert lines[1].split() == ["50", "0.5000", "0.6250"]
    assert lines[2].split() == ["100", "0.5500", "-"]


# ---- the curve -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    return synthetic.make_shapes_dataset(tmp_path_factory.mktemp("shapes"),
                                         classes=("circle", "square"), per_class=12,
                                         image_size=32, split=0.5)


@pytest.fixture(scope="module")
def curves(shapes, tmp_path_factory):
    work = tmp_path_factory.mktemp("curve")
    settings = dict(sizes=[5, 10], epochs=1, seed=0, work_dir=work, min_steps=3)
    plain = experiments.learning_curve(shapes / "training_data", shapes / "testing_data",
                                       config=TINY, **settings)
    augmented = experiments.learning_curve(shapes / "training_data", shapes / "testing_data",
                                           config=dataclasses.replace(TINY, augment=True),
                                           **settings)
    return work, plain, augmented


def test_a_curve_has_one_result_per_size_with_every_key(curves):
    _, plain, augmented = curves
    assert [r["per_class"] for r in plain] == [5, 10]
    for result in plain + augmented:
        assert tuple(result) == experiments.RESULT_KEYS
        assert 0 <= result["test_accuracy"] <= 1 and result["test_images"] == 12
        assert 1 <= result["best_epoch"] <= result["epochs"]
    assert [r["label"] for r in plain + augmented] == ["plain"] * 2 + ["augmented"] * 2
    assert [r["augment"] for r in plain + augmented] == [False] * 2 + [True] * 2


def test_the_runs_follow_the_plan(curves):
    _, plain, _ = curves
    runs = plan([5, 10], num_classes=2, epochs=1, min_steps=3)
    # 8 and 16 training images make 1 batch of 32 per epoch, so 3 epochs for 3 steps
    assert [(r["train_images"], r["val_images"], r["epochs"], r["steps"]) for r in plain] == [
        (p.train_images, p.val_images, p.epochs, p.steps) for p in runs] == [(8, 2, 3, 3),
                                                                             (16, 4, 3, 3)]


def test_the_subsets_nest_and_both_curves_train_on_the_same_files(curves, shapes):
    work, plain, augmented = curves
    small = {p.name for p in (work / "subsets" / "5_per_class").rglob("*.png")}
    large = {p.name for p in (work / "subsets" / "10_per_class").rglob("*.png")}
    assert len(small) == 10 and len(large) == 20 and small < large
    for a, b in zip(plain, augmented):
        train_dirs = {json.loads((Path(r["run_dir"]) / "run.json").read_text())["settings"]
                      ["train_dir"] for r in (a, b)}
        assert len(train_dirs) == 1
    assert all((Path(p).is_symlink()) for p in (work / "subsets" / "5_per_class" / "circle").iterdir())


def test_the_runs_are_kept_in_the_work_folder(curves):
    work, plain, augmented = curves
    assert {Path(r["run_dir"]).name for r in plain + augmented} == {
        "plain_5_per_class", "plain_10_per_class", "augmented_5_per_class",
        "augmented_10_per_class"}
    assert all((Path(r["run_dir"]) / "model.keras").is_file() for r in plain)


def test_a_finished_run_is_reused_and_another_setting_trains_again(curves, shapes, capsys):
    work, plain, _ = curves
    model_file = Path(plain[0]["run_dir"]) / "model.keras"
    before = model_file.stat().st_mtime_ns
    again = experiments.learning_curve(shapes / "training_data", shapes / "testing_data",
                                       sizes=[5], config=TINY, epochs=1, seed=0, work_dir=work,
                                       min_steps=3)
    assert model_file.stat().st_mtime_ns == before  # not trained again
    assert again[0]["test_accuracy"] == plain[0]["test_accuracy"]
    assert again[0]["reused"] and not plain[0]["reused"]
    assert again[0]["seconds"] == plain[0]["seconds"]  # the time it took when it was trained
    assert "reused" in capsys.readouterr().out

    longer = experiments.learning_curve(shapes / "training_data", shapes / "testing_data",
                                        sizes=[5], config=TINY, epochs=4, seed=0, work_dir=work,
                                        progress=False)
    assert longer[0]["epochs"] == 4 and not longer[0]["reused"]  # replaced, not continued
    assert len(json.loads((model_file.parent / "history.json").read_text())["epoch"]) == 4


def test_sizes_beyond_the_smallest_class_are_refused(shapes, tmp_path):
    with pytest.raises(ValueError, match="has 12 images, fewer than the 13 per class"):
        experiments.learning_curve(shapes / "training_data", shapes / "testing_data",
                                   sizes=[13], config=TINY, epochs=1, work_dir=tmp_path)


def test_a_config_that_is_not_a_model_config_is_refused(shapes, tmp_path):
    with pytest.raises(ValueError, match="ModelConfig"):
        experiments.learning_curve(shapes / "training_data", shapes / "testing_data",
                                   sizes=[5], config={"augment": True}, epochs=1,
                                   work_dir=tmp_path)


def test_paired_difference_counts_only_the_disagreements():
    a = [1] * 150 + [0] * 30 + [1] * 5 + [0] * 15    # 155 right
    b = [1] * 150 + [0] * 30 + [0] * 5 + [1] * 15    # 165 right, the same photos mostly
    result = experiments.paired_difference(a, b)
    assert (result.only_a, result.only_b, result.n) == (5, 15, 200)
    assert result.difference == pytest.approx(0.05)
    # paired: sqrt of the variance of the per-photo differences over n; far below the
    # independent figure sqrt(pa(1-pa)/n + pb(1-pb)/n) = 0.041
    d = np.array(b) - np.array(a)
    assert result.standard_error == pytest.approx(d.std(ddof=1) / np.sqrt(200))
    assert result.standard_error < 0.025
    # McNemar exact: 5 against 15 of 20 disagreements, two-sided
    assert result.p_value == pytest.approx(2 * sum(math.comb(20, k) for k in range(6)) / 2 ** 20)


def test_paired_difference_of_identical_answers_is_zero_with_p_one():
    same = [1, 0, 1, 1]
    result = experiments.paired_difference(same, same)
    assert (result.difference, result.standard_error, result.p_value) == (0.0, 0.0, 1.0)


def test_paired_difference_refuses_lists_of_different_lengths():
    with pytest.raises(ValueError, match="same length"):
        experiments.paired_difference([1, 0], [1])
