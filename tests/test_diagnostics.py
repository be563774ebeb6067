"""Collapse diagnostics on generators whose answer is known by construction; float32 labels under bf16."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bcgan.nets.ccgan import build_y2h
from bcgan.nets.models import ABLATION_SPECS, build_discriminator, build_generator, count_parameters
from bcgan.psd.metrics import t_response
from bcgan.training.diagnostics import cbn_gain_stats, z_share

L, T_RANGE = 16, (0.05, 4.5)
GRID = np.linspace(0.1, 4.4, 8)


def bcgan_with_merge_bias(bias: float):
    torch.manual_seed(0)
    G = build_generator("bcgan", L, 8, 16, T_RANGE)
    with torch.no_grad():
        G.embedding.merge.weight.zero_()
        G.embedding.merge.bias.fill_(bias)
    return G


def test_gain_statistics_of_constructed_conditionings():
    off = cbn_gain_stats(bcgan_with_merge_bias(-20.0), GRID)  # tanh -> -1: gain 0, bias -1
    assert off["gain_mean"] == pytest.approx(0.0, abs=1e-6)
    assert off["gain_below_0.1"] == 1.0 and off["bias_over_gain_above_2.5"] == 1.0
    neutral = cbn_gain_stats(bcgan_with_merge_bias(0.0), GRID)  # gain 1, bias 0
    assert neutral["gain_mean"] == 1.0 and neutral["gain_below_0.1"] == 0.0
    assert neutral["bias_over_gain_above_2.5"] == 0.0


def test_z_share_is_zero_without_noise_and_one_without_label():
    G = bcgan_with_merge_bias(0.0)  # the label changes nothing: all variance comes from z
    assert z_share(G, GRID) == pytest.approx(1.0)
    torch.manual_seed(0)
    G = build_generator("cgan64", L, 8, 16, T_RANGE)
    width = G.start_channels * 16

    class IgnoresZ(torch.nn.Module):
        def forward(self, z):
            return torch.linspace(-1, 1, width).expand(z.shape[0], width)

    G.linear0 = IgnoresZ()  # the first layer sees no noise: block 0 depends on T only
    assert z_share(G, GRID) == pytest.approx(0.0, abs=1e-12)


def test_t_response_rank_correlation():
    t = np.repeat(GRID, 3)
    r = t_response(t, 2 * t + 0.1)
    assert r["spearman_all"] == pytest.approx(1.0) and r["spearman_2_4"] == pytest.approx(1.0)
    flat = t_response(t, np.where(t < 2, 1.2, 2.8))  # two plateaus: follows only the exponent
    assert flat["spearman_all"] > 0.8 and np.isnan(flat["spearman_1_2"])
    assert (r["n_all"], r["n_1_2"], r["n_2_4"]) == (GRID.size, ((GRID >= 1) & (GRID < 2)).sum(),
                                                    ((GRID >= 2) & (GRID < 4)).sum())


def test_ablation_arms_keep_table1_counts_except_projection():
    base = count_parameters("bcgan", 128, 28, 26, 128)
    for name, spec in ABLATION_SPECS.items():
        c = count_parameters(name, 128, 28, 26, 128)
        assert c["gen"] == base["gen"] and c["embed_g"] == base["embed_g"], name
        if spec.d_cond == "plane":
            assert c["disc"] == base["disc"] and c["embed_d"] == base["embed_d"], name


def test_linear_output_is_unbounded_and_unit_plane_varies_with_t():
    torch.manual_seed(0)
    G = build_generator("bcgan-linear", L, 8, 16, T_RANGE)
    with torch.no_grad():
        G.embedding.merge.bias.fill_(5.0)
    assert G.conditioning(torch.tensor([1.0])).min() > 1.0  # tanh would cap it below 1
    t = torch.linspace(*T_RANGE, 64)
    spread = {}
    for v in ("bcgan", "bcgan-unitplane"):
        torch.manual_seed(0)
        D = build_discriminator(v, L, 8, T_RANGE)
        with torch.no_grad():
            spread[v] = float(D.embedding(t).std(dim=0).mean())
    assert spread["bcgan-unitplane"] > 2 * spread["bcgan"]


@pytest.mark.parametrize("variant", ["ccgan", "bcgan"])
def test_label_embeddings_stay_float32_under_bf16_autocast(variant):
    """bf16 keeps 8 mantissa bits: 0.700..0.704 would collapse to 2 values; float32 keeps all 5 apart."""
    torch.manual_seed(0)
    y2h = build_y2h(16) if variant == "ccgan" else None
    G = build_generator(variant, L, 8, 16, T_RANGE, y2h=y2h)
    labels = torch.tensor([0.700, 0.701, 0.702, 0.703, 0.704])
    if variant == "bcgan":
        labels = labels * 3  # raw temperatures 2.100 .. 2.112
    with torch.autocast("cpu", dtype=torch.bfloat16):
        cond = G.conditioning(labels)
    assert cond.dtype == torch.float32
    assert len({tuple(r) for r in cond.tolist()}) == 5
    assert torch.equal(cond, G.conditioning(labels))  # the same numbers as without autocast
