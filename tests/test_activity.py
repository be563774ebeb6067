"""Activity probe, dead-neuron detection and the boxplot statistics of Figs 5, 10, 11."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from bcgan.errors import UserError
from bcgan.evaluation.activity import (
    Activity,
    dead_mask,
    probe_embedding,
    probe_generator,
    probe_inputs,
    read_activity,
    summarize,
    write_activity,
)
from bcgan.figures.boxplots import box_stats
from bcgan.nets.ccgan import build_y2h
from bcgan.nets.models import build_generator


def _generator(variant, t_range=(0.05, 3.0)):
    torch.manual_seed(0)
    y2h = build_y2h(16) if variant == "ccgan" else None
    return build_generator(variant, image_size=16, channels=8, z_dim=8, t_range=t_range, y2h=y2h)


def test_linear_relu_units_with_negative_bias_are_exactly_the_dead_ones():
    lin = nn.Linear(1, 8)
    dead_units = [1, 4, 6]
    with torch.no_grad():
        lin.weight.fill_(1.0)           # output = relu(x + b) over x in [0, 1]
        lin.bias.fill_(0.1)
        lin.bias[dead_units] = -5.0     # never above zero on the working range
    module = nn.Sequential(lin, nn.ReLU())
    inputs = probe_inputs(0.0, 1.0, False, 50)
    outputs = probe_embedding(lambda y: module(y.reshape(-1, 1)), inputs)
    assert outputs.shape == (50, 8)
    mask = dead_mask(outputs, 1e-3)
    assert np.flatnonzero(mask).tolist() == dead_units
    s = summarize(Activity("toy", inputs, outputs, (0.0, 1.0), False), 1e-3)
    assert s["n_dead"] == 3 and s["dead_fraction"] == pytest.approx(3 / 8) and s["dead_neurons"] == dead_units


def test_dead_threshold_is_strict_on_the_output_range():
    outputs = np.array([[0.0, 0.0, 5.0], [0.5, 2e-3, 5.0 + 1e-4]])
    assert dead_mask(outputs, 1e-3).tolist() == [False, False, True]
    assert dead_mask(outputs, 0.5).tolist() == [False, True, True]  # 0.5 is not below 0.5


def test_bcgan_probe_spans_the_models_temperature_range():
    G = _generator("bcgan", t_range=(0.05, 3.0))
    act = probe_generator(G, 17)
    lo, hi, discrete = G.working_range()
    assert (lo, hi, discrete) == (0.0, 3.0, False)
    assert act.inputs[0] == 0.0 and act.inputs[-1] == 3.0 and len(act.inputs) == 17
    assert np.allclose(np.diff(act.inputs), 3.0 / 16)
    G2 = _generator("bcgan", t_range=(0.05, 7.5))
    assert probe_generator(G2, 5).inputs[-1] == 7.5  # follows the model, not a constant
    assert act.outputs.shape == (17, sum(G.cond_sizes))


def test_ccgan_probe_is_normalised_and_cgan_probe_reads_the_whole_lookup_table():
    act = probe_generator(_generator("ccgan"), 11)
    assert act.inputs[0] == 0.0 and act.inputs[-1] == 1.0
    G = _generator("cgan64")
    act = probe_generator(G, 11)  # points ignored: every class id
    assert act.discrete and act.inputs.tolist() == list(range(64))
    np.testing.assert_array_equal(act.outputs, G.embedding.weight.detach().numpy())


def test_write_read_roundtrip_and_json(tmp_path):
    act = probe_generator(_generator("ccgan"), 9)
    summary = write_activity(tmp_path / "a.h5", tmp_path / "a.json", act, 1e-3)
    back = read_activity(tmp_path / "a.h5")
    np.testing.assert_array_equal(back.inputs, act.inputs)
    np.testing.assert_array_equal(back.outputs, act.outputs)
    on_disk = json.loads((tmp_path / "a.json").read_text())
    assert on_disk == summary
    assert {"variant", "n_neurons", "dead_fraction", "dead_range", "working_range"} <= set(on_disk)
    assert on_disk["working_range"] == [0.0, 1.0]
    (tmp_path / "junk.h5").write_bytes(b"not hdf5")
    with pytest.raises(UserError, match="junk.h5"):
        read_activity(tmp_path / "junk.h5")


def test_box_stats_whiskers():
    v = np.array([*range(10), 100.0])[:, None]
    untrunc = box_stats(v, truncated=False)
    assert untrunc["lo"][0] == 0 and untrunc["hi"][0] == 100
    trunc = box_stats(v, truncated=True)  # 100 is beyond q3 + 1.5 IQR: whisker stops at 9
    assert trunc["hi"][0] == 9 and trunc["lo"][0] == 0
    assert trunc["med"][0] == 5


def test_activity_figures_draw(tmp_path):
    from bcgan.figures import fig5_activity, fig10_activity_full, fig11_cgan_lookup

    acts = [probe_generator(_generator(v), 9) for v in ("ccgan", "cgan64", "cgan256", "bcgan")]
    for module in (fig5_activity, fig10_activity_full, fig11_cgan_lookup):
        fig = module.draw(acts, dead_range=1e-3)
        assert fig.axes and all(ax.get_ylabel() for ax in fig.axes if ax.get_visible())
    fig = fig5_activity.draw(acts, dead_range=1e-3)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 4
    # the paper's order: Fig 10 (a) BcGAN, (b) CcGAN; Fig 11 (a) 64, (b) 256 classes
    assert [ax.get_title().split(":")[0] for ax in fig10_activity_full.draw(acts, dead_range=1e-3).axes] == \
        ["BcGAN", "CcGAN"]
    assert [ax.get_title().split(":")[0] for ax in fig11_cgan_lookup.draw(acts, dead_range=1e-3).axes] == \
        ["CGAN, 64 classes", "CGAN, 256 classes"]
