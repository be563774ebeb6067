"""Issue 30: label encodings of the float as it is, and the 2x2 of conditioning x loss.

What is promised and checked here: every encoding is one registry entry (``ENCODINGS``) built by the same
MLP in G and D; each is defined for every finite float32 (±0, negatives, subnormals, 1e±30) with the ±0
code its docstring states; the log codes are smooth in the relative change of T and do not alias across
binades; floatparts jumps only at powers of two, as documented; the arms build with the counts their
formulas give, train through ``train_gan`` (2 iterations of 16x16, widths 8), and the vicinal arms do
use CcGAN's weights, with sigma and kappa in raw temperature units; the workflow plans their study cells
with y2h and vicinity options where they belong.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from conftest import REPO, copy_workflow, labelled_images, snakemake

import bcgan.training.loop as tr
from bcgan.errors import UserError
from bcgan.nets.ccgan import build_y2h, vicinity_parameters
from bcgan.nets.embeddings import ENCODINGS, FOURIER_PERIODS, LOG2_ZERO, CodeMLP
from bcgan.nets.losses import sample_vicinal_batch, vicinal_weights
from bcgan.nets.models import (
    ABLATION_SPECS,
    STUDY_SPECS,
    VARIANT_SPECS,
    build_discriminator,
    build_generator,
    count_parameters,
    variant_spec,
)
from bcgan.nets.names import base_arm, uses_y2h, vicinal_loss
from bcgan.training.loop import TrainConfig, train_gan

T_RANGE = (0.05, 4.5)
NEW_ENCODINGS = ("logfourier", "floatparts", "ple")
NEW_ARMS = ("bcgan-proj-vicinal", "ccgan-hinge", "logfourier-proj", "floatparts-proj", "scalar-boundgain-proj",
            "ple-proj", "logfourier-norm-proj", "scalar-proj-vicinal", "logfourier-proj-vicinal",
            "floatparts-proj-vicinal", "scalar-boundgain-proj-vicinal", "ple-proj-vicinal",
            "scalar-boundgain-norm-proj", "scalar-boundgain-ms-proj", "scalar-boundgain-ms01-proj",
            "scalar-boundgain-ms03-proj", "scalar-boundgain-mbstd-proj", "scalar-boundgain-ms-mbstd-proj",
            "scalar-boundgain-ms-aux-proj")
SMALLEST = float(np.float32(2.0**-149))  # the smallest float32 subnormal
SPECIAL = [0.0, -0.0, SMALLEST, -SMALLEST, 1e-40, -1e-40, 1.17549435e-38, 1e-30, -1e-30, 0.05, 1.0, 2.0, 2.269185314,
           -4.5, 1e30, -1e30, float(np.finfo(np.float32).max), -float(np.finfo(np.float32).max)]
torch.set_num_threads(1)


def _code(name, values):
    return ENCODINGS[name].code(torch.tensor(values, dtype=torch.float32))


# --------------------------------------------------------------------------------------------
# The registry and the label domain
# --------------------------------------------------------------------------------------------
def test_every_arm_names_a_registered_encoding_with_a_docstring():
    for spec in [*VARIANT_SPECS.values(), *ABLATION_SPECS.values(), *STUDY_SPECS.values()]:
        if spec.kind == "bits":
            assert spec.encoding in ENCODINGS, spec.name
    for enc in ENCODINGS.values():
        assert enc.doc and sum(w for _, w in enc.groups) == enc.width
    assert [ENCODINGS[n].width for n in NEW_ENCODINGS] == [2 + 2 * len(FOURIER_PERIODS), 3, 278]


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_every_finite_float32_gets_a_finite_code_of_the_right_width(name):
    code = _code(name, SPECIAL)
    assert code.shape == (len(SPECIAL), ENCODINGS[name].width) and code.dtype == torch.float32
    assert torch.isfinite(code).all()


def test_zero_codes_are_the_documented_ones():
    """logfourier / ple: +0 and -0 compare equal and get one code, that of log2|T| = -149 with sign 0;
    floatparts: the sign bit as ±1, exponent -149/128, mantissa 0 (so m 2^e = 0)."""
    for name in ("logfourier", "ple"):
        plus, minus, tiny = _code(name, [0.0, -0.0, SMALLEST])
        assert torch.equal(plus, minus) and plus[0] == 0 and tiny[0] == 1
        assert torch.equal(plus[1:], tiny[1:])  # the same magnitude code as 2^-149: only the sign tells them apart
    lf = _code("logfourier", [0.0])[0]
    assert lf[1] == pytest.approx(LOG2_ZERO / 128)
    assert _code("ple", [0.0])[0].abs().sum() == 0
    fp = _code("floatparts", [0.0, -0.0, SMALLEST, -3.0])
    assert fp.tolist() == [[1, -149 / 128, 0], [-1, -149 / 128, 0], [1, -149 / 128, 1], [-1, 1 / 128, 1.5]]  # exact


def test_floatparts_are_the_exact_parts_of_the_float():
    rng = np.random.default_rng(3)
    t = (rng.choice([-1, 1], 2000) * 10.0 ** rng.uniform(-44, 38, 2000)).astype(np.float32)
    t = t[t != 0]
    s, e, m = _code("floatparts", t).double().numpy().T
    assert np.all((m >= 1) & (m < 2))
    np.testing.assert_array_equal(s * m * 2.0 ** np.round(e * 128), t.astype(np.float64))


# --------------------------------------------------------------------------------------------
# Smoothness, aliasing, the documented jumps
# --------------------------------------------------------------------------------------------
def _random_floats(n=4000, seed=0):
    """Magnitudes log-uniform over 1e-30 ... 1e30 with random signs, and T (1 + 1e-6) of each."""
    rng = np.random.default_rng(seed)
    t = (rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-30, 30, n)).astype(np.float32)
    return t, (t.astype(np.float64) * (1 + 1e-6)).astype(np.float32)


@pytest.mark.parametrize("name", ["logfourier", "ple"])
def test_log_codes_are_smooth_in_the_relative_change(name):
    """|code(T (1 + d)) - code(T)| = O(d): < 1e-3 at d = 1e-6 everywhere (bound: 4.5 d for logfourier)."""
    t, near = _random_floats()
    diff = (_code(name, near) - _code(name, t)).abs().max().item()
    assert diff < 1e-3
    far = (_code(name, (t * np.float32(1.01)).astype(np.float32)) - _code(name, t)).abs().amax(1)
    assert far.min().item() > 1e-4  # ... and it does move with T


@pytest.mark.parametrize("name", ["logfourier", "ple"])
def test_log_codes_do_not_alias_across_binades(name):
    """T and 2^k T (k = ±1, ±2, ±8) get distinct codes: periods of at least 2 binades, and a monotone part."""
    t, _ = _random_floats(500, seed=1)
    t = t[(np.abs(t) > 1e-28) & (np.abs(t) < 1e28)]
    base = _code(name, t)
    for k in (-8, -2, -1, 1, 2, 8):
        other = _code(name, (t * np.float32(2.0**k)).astype(np.float32))
        assert (other - base).abs().amax(1).min().item() > 1e-3, k


def test_floatparts_is_smooth_except_at_powers_of_two():
    t, near = _random_floats()
    a, b = _code("floatparts", t), _code("floatparts", near)
    same_binade = a[:, 1] == b[:, 1]
    assert same_binade.sum() > 3900
    assert (a - b)[same_binade].abs().max().item() < 1e-5
    # the documented jump: just below 2^k the mantissa is ~2, at 2^k it is 1 and the exponent one step up
    for k in range(-20, 21):
        p = np.float32(2.0**k)
        below = np.nextafter(p, np.float32(0))
        lo, hi = _code("floatparts", [below, p])
        assert hi[2] - lo[2] == pytest.approx(-1.0, abs=1e-6) and hi[1] - lo[1] == pytest.approx(1 / 128)


def test_float_control_is_smooth_in_absolute_terms_only():
    """The raw value moves by |T| d: smooth on the data's range, not relative to T (why it is the control)."""
    t = np.float32([0.05, 2.0, 4.5])
    diff = (_code("float", t * np.float32(1 + 1e-6)) - _code("float", t)).abs().max().item()
    assert diff < 1e-5


# --------------------------------------------------------------------------------------------
# The arms: shapes, counts, labels
# --------------------------------------------------------------------------------------------
def _pair(variant, L=16, ch=8, z=8, seed=0):
    torch.manual_seed(seed)
    y2h = build_y2h(16) if variant.startswith("ccgan") else None
    return (build_generator(variant, L, ch, z, T_RANGE, y2h=y2h), build_discriminator(variant, L, ch, T_RANGE, y2h=y2h))


@pytest.mark.parametrize("variant", NEW_ARMS)
def test_new_arms_build_with_projection_d_and_accept_any_float(variant):
    G, D = _pair(variant)
    labels = G.labels(torch.tensor([0.0, 0.05, 1.0, 2.269185314, 4.5]))
    x = G(torch.randn(5, 8), labels)
    assert x.shape == (5, 1, 16, 16) and torch.isfinite(x).all()
    assert D(x, labels).shape == (5,) and not D.uses_plane and D.projection is not None
    if variant_spec(variant).kind == "bits":  # the float arms: G and D take any finite float32 label
        special = G.labels(torch.tensor(SPECIAL))
        assert torch.isfinite(G(torch.randn(len(SPECIAL), 8), special)).all()
        assert torch.isfinite(D(torch.zeros(len(SPECIAL), 1, 16, 16), special)).all()


def test_new_arm_counts_follow_their_formulas():
    """Paper widths (L 128, G 28 / D 26): EmbedG / EmbedD from the layer sizes, backbone as bcgan-proj."""
    n_cond = 2 * 77 * 28
    head_g, head_d = (272 + 1) * n_cond, (18 + 1) * 128
    proj = count_parameters("bcgan-proj", 128, 28, 26, 128)
    expected = {
        "logfourier-proj": (20 * 272 + 272 + head_g, 20 * 18 + 18 + head_d),
        "floatparts-proj": ((16 + 16) + (128 + 128) * 2 + head_g, (2 + 2) + (8 + 8) * 2 + head_d),
        "scalar-boundgain-proj": (272 + 272 + head_g, 18 + 18 + head_d),
        "ple-proj": (278 * 272 + 272 + head_g, 278 * 18 + 18 + head_d),
    }
    assert expected["logfourier-proj"] == (1_182_888, 2_810) and expected["ple-proj"] == (1_253_064, 7_454)
    for arm, (eg, ed) in expected.items():
        for variant in (arm, f"{arm}-vicinal"):
            c = count_parameters(variant, 128, 28, 26, 128)
            assert (c["embed_g"], c["embed_d"]) == (eg, ed), variant
            assert (c["gen"], c["disc"]) == (proj["gen"], proj["disc"]), variant
    norm = count_parameters("logfourier-norm-proj", 128, 28, 26, 128)
    assert norm == count_parameters("logfourier-proj", 128, 28, 26, 128)
    for control in ("scalar-boundgain-norm-proj", "scalar-boundgain-ms-proj"):
        assert count_parameters(control, 128, 28, 26, 128) == count_parameters("scalar-boundgain-proj", 128, 28, 26, 128)
    assert count_parameters("bcgan-proj-vicinal", 128, 28, 26, 128) == proj
    assert count_parameters("ccgan-hinge", 128, 64, 64, 128) == count_parameters("ccgan", 128, 64, 64, 128)


def test_params_why_names_every_new_arm(capsys):
    from bcgan.cli import main

    assert main(["params", "--preset", "paper", "--variants", *NEW_ARMS, "--why"]) == 0
    out = capsys.readouterr().out
    for arm in NEW_ARMS:
        assert f"\n{arm} " in out
    assert "1,182,888" in out and "1,253,064" in out and "ccgan-hinge" in out.split("- loss_2x2")[1]
    hinge = [line for line in out.splitlines() if line.startswith("ccgan-hinge ")][0]
    assert "33.48M" in hinge  # CcGAN's widths (64 / 64 at paper), as ccgan


def test_loss_arms_are_their_base_arm_with_another_loss():
    """The 2x2 and every -vicinal arm: the same nets as the base arm, only VariantSpec.loss differs; the
    torch-free names the workflow plans with agree with the registry for every arm."""
    for spec in [*VARIANT_SPECS.values(), *ABLATION_SPECS.values(), *STUDY_SPECS.values()]:
        assert uses_y2h(spec.name) == (spec.kind == "ccgan"), spec.name
        assert vicinal_loss(spec.name) == (spec.loss == "vicinal"), spec.name
        base = variant_spec(base_arm(spec.name))
        assert dataclasses.replace(spec, name=base.name, loss=base.loss) == base, spec.name
    assert variant_spec("ccgan").loss == "vicinal" and variant_spec("ccgan-hinge").loss == "hinge"
    assert variant_spec("bcgan-proj-vicinal").loss == "vicinal"


def test_raw_and_minmax_labels():
    """Raw arms: T itself; the control: 1 + (T - t_min)/(t_max - t_min), t_min -> 1, t_max -> 2, no clamp."""
    G, _ = _pair("logfourier-proj")
    t = torch.tensor([0.05, 2.269185314, 4.5])
    assert torch.equal(G.labels(t), t) and G.label_bounds() == (float(np.float32(0.05)), 4.5)
    G, _ = _pair("logfourier-norm-proj")
    assert G.labels(torch.tensor([0.05, 4.5, 0.0])).tolist() == pytest.approx([1.0, 2.0, 1 - 0.05 / 4.45])
    assert G.label_bounds() == (1.0, 2.0) and G.working_range()[1:] == (2.0, False)


def test_bounded_gains_keep_the_noise_path_open():
    """scalar-boundgain-proj: every CBN gain 1 + gamma in (0.5, 1.5), biases as scalar-proj's; the same
    trainable weights as scalar-proj (the scale is not in the state_dict)."""
    G, _ = _pair("scalar-boundgain-proj")
    plain, _ = _pair("scalar-proj")
    assert G.state_dict().keys() == plain.state_dict().keys()
    with torch.no_grad():
        G.embedding.merge.bias.fill_(10.0)  # saturate the tanh: gains at their bounds
        t = G.labels(torch.linspace(0.0, 4.5, 17))
        cond, e = G.conditioning(t), G.embed(t)
    start = 0
    for k, c in enumerate(G.cond_sizes):
        part = cond[:, start:start + c]
        if k % 2 == 0:
            assert part.abs().max() <= 0.5 and torch.allclose(part, 0.5 * e[:, start:start + c])
        else:
            assert torch.equal(part, e[:, start:start + c])
        start += c


# --------------------------------------------------------------------------------------------
# The vicinal loss in raw units
# --------------------------------------------------------------------------------------------
def test_vicinity_in_raw_units_is_ccgans_scaled():
    """CcGAN's rule on raw T = its rule on normalised labels times the range: sigma x span, soft kappa
    / span^2, so every (label, target) pair gets CcGAN's weight; checked against a hand computation."""
    t_min, t_max = T_RANGE
    raw = np.linspace(t_min, t_max, 50)
    unit = (raw - t_min) / (t_max - t_min)
    span = t_max - t_min
    s_raw, k_raw = vicinity_parameters(raw, "soft")
    s_unit, k_unit = vicinity_parameters(unit, "soft")
    assert s_raw == pytest.approx(s_unit * span, rel=1e-12) and k_raw == pytest.approx(k_unit / span**2, rel=1e-9)
    # by hand: sigma = 1.06 std n^-1/5; kappa = 1 / (largest gap)^2; weight exp(-kappa d^2)
    assert s_raw == pytest.approx(1.06 * np.std(raw) * 50 ** (-0.2))
    gap = span / 49
    assert k_raw == pytest.approx(1 / gap**2)
    labels, targets = torch.tensor([2.0, 2.0, 3.0]), torch.tensor([2.0, 2.0 + gap, 2.0])
    w = vicinal_weights(labels, targets, k_raw).tolist()
    assert w == pytest.approx([1.0, math.exp(-1.0), math.exp(-(49 / span) ** 2)], rel=1e-5)
    unit_w = vicinal_weights((labels - t_min) / span, (targets - t_min) / span, k_unit).tolist()
    assert w == pytest.approx(unit_w, rel=1e-4)  # the same weight as CcGAN's on normalised labels


def test_vicinal_batch_clips_to_the_raw_range():
    rng = np.random.default_rng(0)
    raw = np.linspace(*T_RANGE, 40)
    sigma, kappa = vicinity_parameters(raw, "soft")
    vb = sample_vicinal_batch(raw, 256, sigma, kappa, rng, bounds=T_RANGE)
    assert vb.target_labels.min() >= np.float32(0.05) and vb.target_labels.max() <= 4.5
    assert vb.fake_labels.min() >= np.float32(0.05) and vb.fake_labels.max() <= 4.5
    assert vb.target_labels.max() > 1.0  # not clipped to CcGAN's [0, 1]
    assert 0 < vb.real_weights.min() < 1 and vb.fake_weights.max() <= 1


# --------------------------------------------------------------------------------------------
# Training: 2 iterations of each new arm through the loop the study uses
# --------------------------------------------------------------------------------------------
# the minibatch-stddev arms need labels that repeat: tests/test_width_candidates.py trains them
@pytest.mark.parametrize("variant", [a for a in NEW_ARMS if "mbstd" not in a])
def test_new_arms_train_two_iterations(variant, monkeypatch):
    """train_gan (what `bcgan train gan` runs): finite losses; the vicinal arms' D loss gets CcGAN's weights
    (not all 1) and G raw-unit labels, the hinge arms never call it."""
    seen = []
    real = tr.vicinal_d_loss

    def spy(real_logits, fake_logits, w_real, w_fake):
        seen.append((w_real.detach().clone(), w_fake.detach().clone()))
        return real(real_logits, fake_logits, w_real, w_fake)

    monkeypatch.setattr(tr, "vicinal_d_loss", spy)
    images, t = labelled_images(16, 16, T_RANGE, 0)
    cfg = TrainConfig(variant=variant, g_channels=8, d_channels=8, z_dim=8, t_range=T_RANGE, epochs=1, batch_size=8,
                      seed=5)
    torch.manual_seed(3)
    y2h = build_y2h(16) if variant.startswith("ccgan") else None
    _, _, res = train_gan(images, t, cfg, y2h=y2h, progress=False)
    assert res.iterations == 2 and all(np.isfinite(r[2:]).all() for r in res.rows)
    if variant_spec(variant).loss == "vicinal":
        assert len(seen) == 2
        w = torch.cat([torch.cat(p) for p in seen])
        assert (w > 0).all() and (w <= 1).all() and (w < 1).any()
    else:
        assert not seen


def test_raw_unit_vicinity_reaches_the_batches():
    """bcgan-proj-vicinal's sampler works on raw temperatures: its sigma is CcGAN's sigma times the range."""
    images, t = labelled_images(16, 16, T_RANGE, 0)
    out = {}
    for variant in ("bcgan-proj-vicinal", "ccgan"):
        cfg = TrainConfig(variant=variant, g_channels=8, d_channels=8, z_dim=8, t_range=T_RANGE, batch_size=8)
        G, _ = _pair(variant)
        out[variant] = tr.batches_on(torch.device("cpu"), images, t, G, cfg, torch.contiguous_format).vicinity
    raw, norm = out["bcgan-proj-vicinal"], out["ccgan"]
    span = float(np.float32(4.5)) - float(np.float32(0.05))
    assert raw[1] == pytest.approx(norm[1] * span, rel=1e-5) and raw[2] == pytest.approx(norm[2] / span**2, rel=1e-4)
    assert raw[4] == (float(np.float32(0.05)), 4.5) and norm[4] == (0.0, 1.0)


def test_code_mlp_keeps_bcgan_widths_per_group():
    assert [m.in_features for m in (CodeMLP("floatparts", 7, (16, 128, 128)).sign,)] == [1]
    mlp = CodeMLP("ple", 7, (16, 128, 128))
    assert mlp.first.in_features == 278 and mlp.first.out_features == 272 and mlp.merge.in_features == 272


# --------------------------------------------------------------------------------------------
# The study plans the new arms (a dry run in a fresh copy of the workflow)
# --------------------------------------------------------------------------------------------
def test_study_plans_y2h_and_vicinity_where_they_belong(tmp_path):
    work = copy_workflow(tmp_path / "wf")
    (work / "arms.yaml").write_text(
        "study: {label_sets: [{labels: uniform, arms: [bcgan-proj-vicinal, ccgan-hinge, logfourier-proj]}]}\n")
    proc = snakemake(work, "study", "--cores", "1", "--dry-run", "--printshellcmds", "--configfile", "config.yaml",
                     "arms.yaml", "--config", "preset=smoke")
    commands = [c for c in (proc.stdout + proc.stderr).splitlines() if "bcgan train gan" in c]
    by_arm = {arm: [c for c in commands if f"--variant {arm} " in c] for arm in
              ("bcgan-proj-vicinal", "ccgan-hinge", "logfourier-proj")}
    assert all(by_arm.values()), commands
    for arm, cmds in by_arm.items():
        for c in cmds:
            assert ("--y2h" in c) == (arm == "ccgan-hinge"), c
            assert ("--vicinity" in c) == (arm == "bcgan-proj-vicinal"), c


@pytest.mark.parametrize("variant", ["scalar-boundgain-proj", "ccgan-hinge", "logfourier-norm-proj",
                                     "scalar-boundgain-norm-proj"])
def test_saved_generators_of_new_arms_load_back(tmp_path, variant):
    """`bcgan study cell` rebuilds G from generator.pt: the gain bound and the label scale come back with it."""
    from bcgan.training.checkpoints import load_generator, save_generator

    G, _ = _pair(variant)
    G.eval()
    save_generator(tmp_path / "g.pt", G)
    H, _ = load_generator(tmp_path / "g.pt")
    z, labels = torch.randn(3, 8), G.labels(torch.tensor([0.05, 2.0, 4.5]))
    with torch.no_grad():
        assert torch.equal(G(z, labels), H(z, labels))


def test_cli_trains_a_vicinal_bits_arm(tmp_path, capsys):
    """The study's command line for bcgan-proj-vicinal: raw-unit vicinity from the ccgan options."""
    from bcgan.cli import main
    from bcgan.data.shards import write_shard

    images, t = labelled_images(16, 16, T_RANGE, 0)
    shard = tmp_path / "shard.h5"
    write_shard(shard, images=images, temperature=t, seed=np.arange(16, dtype=np.uint64), energy=np.zeros(16),
                magnetization=np.zeros(16), steps=1, algorithm="test")
    out = tmp_path / "m"
    assert main(["train", "gan", str(shard), "--variant", "bcgan-proj-vicinal", "--t-range", "0.05", "4.5",
                 "--g-channels", "8", "--d-channels", "8", "--z-dim", "8", "--epochs", "1", "--batch-size", "8",
                 "--vicinity", "soft", "--kappa-multiplier", "2", "--device", "cpu", "--threads", "1", "--no-progress",
                 "--generator", str(out / "g.pt"), "--losses", str(out / "l.csv"), "--loss-curve", str(out / "c.png"),
                 "--checkpoint", str(out / "ck.pt")]) == 0
    assert "iterations=2" in capsys.readouterr().out


def test_config_accepts_every_registered_arm_and_names_an_unknown_one():
    from bcgan.config import resolve

    arms = [*VARIANT_SPECS, *ABLATION_SPECS, *STUDY_SPECS]
    cfg = resolve({"preset": "smoke", "study": {"label_sets": [{"labels": "grid:4", "arms": arms}]}})
    assert cfg["study"]["label_sets"][0]["arms"] == arms
    with pytest.raises(UserError, match=r"study.label_sets.0.arms.1: 'no-such-arm' is not a registered arm"):
        resolve({"preset": "smoke", "study": {"label_sets": [{"labels": "uniform", "arms": ["bcgan", "no-such-arm"]}]}})
    with pytest.raises(UserError, match=r"models.variants.0: 'scalar-proj' is not one of ccgan, cgan64"):
        resolve({"preset": "smoke", "models": {"variants": ["scalar-proj"]}})
    with pytest.raises(UserError, match=r"models.g_channels: unknown key 'nope'"):
        resolve({"preset": "smoke", "models": {"g_channels": {"default": 8, "nope": 4}}})

def test_a_new_arm_is_one_registry_entry_and_the_workflow_plans_it(tmp_path):
    """An arm registered in one entry (here by a plugin module on the path, as a user's would be) passes the
    config and is planned through the smoke DAG's study: its training command, with the y2h of its kind."""
    work = copy_workflow(tmp_path / "wf")
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "sitecustomize.py").write_text(
        "from bcgan.variants import VariantSpec, register\n"
        "register(VariantSpec('my-arm', 'ccgan'))\n")
    (work / "arms.yaml").write_text("study: {label_sets: [{labels: uniform, arms: [my-arm]}]}\n")
    env = {"PYTHONPATH": f"{plugin}:{REPO / 'workflow'}"}
    proc = snakemake(work, "study", "--cores", "1", "--dry-run", "--printshellcmds", "--configfile", "config.yaml",
                     "arms.yaml", "--config", "preset=smoke", env=env)
    commands = [c for c in (proc.stdout + proc.stderr).splitlines() if "bcgan train gan" in c]
    assert commands and all("--variant my-arm " in c and "--y2h" in c for c in commands), commands
