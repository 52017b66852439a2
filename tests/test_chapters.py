"""Each chapter's main(quick=True) shows its phenomenon: the findings it returns are asserted here."""
import importlib
from pathlib import Path

import numpy as np
import pytest

import minnet as mn


def run_chapter(name, tmp_path, monkeypatch):
    """main(quick=True) of chapters/<name>.py with its figures written under tmp_path."""
    monkeypatch.setenv("MINNET_FIGURES", str(tmp_path))
    return importlib.import_module(f"chapters.{name}").main(quick=True)


@pytest.fixture(scope="module")
def vanishing(tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    try:
        yield run_chapter("03_vanishing_gradients", tmp_path_factory.mktemp("figures"), monkeypatch)
    finally:
        monkeypatch.undo()


def test_derivative_maxima_are_a_quarter_for_sigmoid_and_one_for_tanh_and_relu(vanishing):
    assert vanishing["max_derivative"] == pytest.approx({"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0}, abs=1e-4)


def test_gradient_vanishes_through_20_sigmoid_layers_but_not_relu_layers(vanishing):
    assert vanishing["depth"] == 20
    assert vanishing["ratio_sigmoid"] < 1e-6
    assert vanishing["ratio_relu"] > 0.05
    assert vanishing["ratio_tanh"] > 0.05


def test_sigmoid_gradient_ratio_shrinks_with_depth(vanishing):
    ratios = vanishing["ratios"]
    assert ratios["sigmoid_20"] < ratios["sigmoid_10"] < ratios["sigmoid_5"] < 1


def test_deep_sigmoid_net_gives_every_image_the_same_top_layer(vanishing):
    spread = vanishing["spread_last_hidden"]
    assert spread["sigmoid"] < 1e-3 * min(spread["tanh"], spread["relu"])


def test_deep_relu_net_learns_while_deep_sigmoid_net_stays_at_chance(vanishing):
    loss = vanishing["final_loss"]
    assert loss["sigmoid"] == pytest.approx(np.log(10), abs=0.05)     # guessing among 10 digits
    assert loss["relu"] < 0.85 * loss["sigmoid"]


def test_vanishing_gradients_writes_its_figures(vanishing):
    assert len(vanishing["figures"]) == 2
    for path in vanishing["figures"]:
        assert Path(path).is_file() and Path(path).stat().st_size > 0
