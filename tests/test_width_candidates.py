"""The width candidates (issue 39): StyleGAN2's minibatch stddev on label-sharing groups, and the
ε-insensitive auxiliary label regression; each checked on hand-computable inputs, then trained briefly."""

import numpy as np
import pytest
import torch

from bcgan.errors import UserError
from bcgan.nets.losses import insensitive_l1
from bcgan.nets.models import MinibatchStd, build_discriminator, count_parameters, variant_spec
from bcgan.training.loop import TrainConfig, grouped_epoch_length, grouped_permutation, train_gan

torch.set_num_threads(1)


def test_minibatch_std_is_the_group_sd_averaged_over_features():
    x = torch.zeros(8, 3, 2, 2)
    x[1::4] = 2.0  # group 1: 0, 2, 0, 0 in every feature; group 2 the same, shifted by one image
    x[4:] = x[:4].roll(1, dims=0) + 5.0
    out = MinibatchStd(4)(x)
    sd = np.std([0.0, 2.0, 0.0, 0.0])  # population sd, as StyleGAN2's
    assert out.shape == (8, 4, 2, 2) and torch.equal(out[:, :3], x)
    np.testing.assert_allclose(out[:, 3].numpy(), sd, rtol=1e-6)
    same = MinibatchStd(4)(torch.ones(4, 2, 1, 1))[:, 2]
    assert float(same.max()) == pytest.approx(1e-4)  # sqrt of the 1e-8 floor
    odd = torch.arange(6.0).reshape(6, 1, 1, 1)  # not whole groups: the batch is one group
    np.testing.assert_allclose(MinibatchStd(4)(odd)[:, 1].numpy(), np.std(np.arange(6.0)), rtol=1e-6)


def test_grouped_permutation_puts_a_labels_images_side_by_side():
    labels = torch.tensor([1.0, 2.0, 1.0, 3.0, 2.0, 1.0, 1.0, 2.0, 2.0, 1.0, 2.0])  # 5, 5, 1 images
    order = grouped_permutation(labels, 2, torch.Generator().manual_seed(0))
    assert order.numel() == 8 and len(set(order.tolist())) == 8  # 2 + 2 whole pairs of 1.0 and of 2.0
    pairs = labels[order].reshape(-1, 2)
    assert torch.equal(pairs[:, 0], pairs[:, 1]) and 3.0 not in labels[order]
    again = grouped_permutation(labels, 2, torch.Generator().manual_seed(0))
    assert torch.equal(order, again)
    assert grouped_epoch_length(labels, 2, 4) == 2
    with pytest.raises(UserError, match="repeat too rarely"):
        grouped_epoch_length(torch.arange(64.0), 4, 64)  # uniform labels: every label once
    with pytest.raises(UserError, match="batch_size 6 is not a whole number of label groups of 4"):
        grouped_epoch_length(labels, 4, 6)


def test_insensitive_l1_costs_nothing_within_epsilon():
    est = torch.tensor([1.0, 1.1, 1.5, 0.0])
    lab = torch.tensor([1.0, 1.0, 1.0, 1.0])
    assert float(insensitive_l1(est, lab, 0.2)) == pytest.approx((0.0 + 0.0 + 0.3 + 0.8) / 4)


def test_candidates_differ_from_their_arm_only_where_named():
    base = variant_spec("scalar-boundgain-ms-proj")
    assert variant_spec("scalar-boundgain-ms01-proj").mode_seeking == 0.1
    assert variant_spec("scalar-boundgain-ms03-proj").mode_seeking == 0.3
    assert variant_spec("scalar-boundgain-mbstd-proj").mode_seeking == 0.0
    assert variant_spec("scalar-boundgain-ms-mbstd-proj").d_mbstd_group == 4
    assert variant_spec("scalar-boundgain-ms-aux-proj").aux_epsilon == 0.2
    g = count_parameters("scalar-boundgain-ms-proj", 32, 16, 16, 64)
    for arm in ("scalar-boundgain-ms01-proj", "scalar-boundgain-ms03-proj"):
        assert count_parameters(arm, 32, 16, 16, 64) == g
    mbstd = count_parameters("scalar-boundgain-mbstd-proj", 32, 16, 16, 64)
    # D's output layer (+16 weights) and projection (+16 x 128) take the extra 4x4 channel
    assert mbstd["disc"] - g["disc"] == 16 + 16 * base.d_embed_dim and mbstd["gen"] == g["gen"]
    aux = count_parameters("scalar-boundgain-ms-aux-proj", 32, 16, 16, 64)
    features = 64 * 16  # D at 32², width 16: last block 64 channels on a 4x4 map
    assert aux["disc"] - g["disc"] == features * 128 + 128 + 128 + 1
    d = build_discriminator("scalar-boundgain-ms-aux-proj", 16, 8, (0.05, 4.5))
    logits, estimate = d(torch.zeros(4, 1, 16, 16), torch.ones(4), regress=True)
    assert logits.shape == estimate.shape == (4,)
    with pytest.raises(UserError, match="has no regression head"):
        build_discriminator("scalar-boundgain-ms-proj", 16, 8, (0.05, 4.5))(torch.zeros(4, 1, 16, 16), torch.ones(4),
                                                                          regress=True)


@pytest.mark.parametrize("arm", ["scalar-boundgain-mbstd-proj", "scalar-boundgain-ms-mbstd-proj",
                                 "scalar-boundgain-ms-aux-proj", "scalar-boundgain-ms-aux-mbstd-proj"])
def test_candidates_train_reproducibly(arm):
    rng = np.random.default_rng(0)
    images = (rng.random((128, 16, 16)) > 0.5).astype(np.uint8) * 255
    temperatures = np.repeat(np.float32([0.5, 1.5, 2.5, 3.5]), 32)
    cfg = TrainConfig(arm, 8, 8, 8, (0.05, 4.5), epochs=1, batch_size=16, seed=3)
    runs = [train_gan(images, temperatures, cfg, progress=False) for _ in range(2)]
    rows = runs[0][2].rows
    assert len(rows) == 8 and all(np.isfinite(r[2:]).all() for r in rows)
    assert rows == runs[1][2].rows
    if "mbstd" in arm:
        with pytest.raises(UserError, match="repeat too rarely"):
            train_gan(images, np.linspace(0.1, 4.0, 128, dtype=np.float32), cfg, progress=False)


def test_study_plans_the_target_of_each_label_set_with_its_reference_arms(tmp_path):
    """`snakemake study` ends in the target table of every label set whose reference arms (ccgan,
    bcgan-proj) it holds, or that uniform holds for it; the width study's grid:100 borrows them."""
    from conftest import REPO, copy_workflow, snakemake

    work = copy_workflow(tmp_path / "wf")
    (work / "studies").mkdir()
    (work / "studies" / "mini-width.yaml").write_text((REPO / "studies" / "mini-width.yaml").read_text())
    proc = snakemake(work, "study", "--cores", "1", "--dry-run", "--printshellcmds", "--configfile", "config.yaml",
                     "studies/mini-width.yaml", "--config", "preset=smoke")
    lines = [c for c in (proc.stdout + proc.stderr).splitlines() if "bcgan study target" in c]
    assert len(lines) == 2 and any("--labels uniform" in c for c in lines) and any("--labels grid:100" in c for c in lines)
    assert all("grid100/scalar-boundgain-mbstd-proj/seed2/cell.json" in c for c in lines)
    (work / "one.yaml").write_text("study: {label_sets: [{labels: uniform, arms: [scalar-proj]}]}\n")
    proc = snakemake(work, "study", "--cores", "1", "--dry-run", "--printshellcmds", "--configfile", "config.yaml",
                     "one.yaml", "--config", "preset=smoke")
    assert "bcgan study target" not in proc.stdout + proc.stderr  # no reference arms: no target


def test_target_command_borrows_the_reference_arms_from_uniform(tmp_path, capsys):
    import json

    from test_study import _cell

    from bcgan.cli import main

    ratios = {f"ratio_{q}_{r}": 1.0 for q in ("t_energy", "chi", "heat_capacity") for r in ("below", "near", "above")}
    paths = []
    for arm, labels in (("ccgan", "uniform"), ("bcgan-proj", "uniform"), ("new", "grid:100"), ("new", "uniform")):
        for seed in (1, 2):
            cell = {**_cell(arm, labels, seed, 0.5), **ratios, "epsilon": [1e-6, 0.01, 0.1],
                    "changed_fraction": [0.0, 0.001, 0.004]}
            paths.append(tmp_path / f"{arm}_{labels}_{seed}.json")
            paths[-1].write_text(json.dumps(cell))
    ceiling = tmp_path / "ceiling.json"
    ceiling.write_text(json.dumps({"format": "bcgan-study-ceiling/1", "spearman_1_2": 1.0, "spearman_2_4": 1.0,
                                   **{f"diversity_flip_{r}": 0.5 for r in ("below", "near", "above")}}))
    out = tmp_path / "t.md"
    assert main(["study", "target", *map(str, paths), "--labels", "grid:100", "--ceiling", str(ceiling),
                 "--out-csv", str(tmp_path / "t.csv"), "--out-md", str(out)]) == 0
    text = out.read_text()
    assert "labels grid:100" in text and "come from uniform labels" in text
    # one verdict row, then the width criteria of its two grid:100 seeds (the uniform cells of "new" not judged)
    assert [line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| new")] == ["new"] * 3
    assert "seed by seed" in text and "| ccgan" not in text.split("seed by seed")[1]
    assert main(["study", "target", *map(str, paths), "--ceiling", str(ceiling), "--out-csv", str(tmp_path / "x.csv"),
                 "--out-md", str(tmp_path / "x.md")]) == 2
    assert "name one with --labels" in capsys.readouterr().err and not (tmp_path / "x.md").exists()


def test_arm_examples_figure_shows_monte_carlo_and_every_generator(tmp_path):
    from bcgan.cli import main
    from bcgan.nets.models import build_generator
    from bcgan.training.checkpoints import save_generator

    paths = []
    for arm in ("scalar-boundgain-ms-proj", "scalar-boundgain-mbstd-proj"):
        torch.manual_seed(0)
        paths.append(tmp_path / f"{arm}.pt")
        save_generator(paths[-1], build_generator(arm, 16, 8, 8, (0.05, 4.5)).eval())
    png = tmp_path / "f.png"
    assert main(["figure", "arm_examples", "--generators", *map(str, paths), "--temperatures", "1.5", "3.5",
                 "--per-temperature", "2", "--pdf", str(tmp_path / "f.pdf"), "--png", str(png)]) == 0
    assert png.stat().st_size > 0
    from bcgan.figures import arm_examples

    fig = arm_examples.draw([("a", np.zeros((4, 16, 16), np.uint8)), ("b", np.zeros((4, 16, 16), np.uint8))],
                            [1.5, 3.5], 2)
    assert len(fig.axes) == 8 and fig.axes[0].get_title(loc="left") == "T = 1.5 J/k_B"
    assert main(["figure", "arm_examples", "--generators", str(paths[0]), "--names", "a", "b", "--temperatures",
                 "1.5", "--pdf", str(tmp_path / "g.pdf")]) == 2


def test_widths_figure_puts_every_cell_on_each_quantitys_log_axis():
    from bcgan.figures import study_widths
    from bcgan.study.target import WIDTH_BOUNDS

    cells = [{"arm": arm, "label_set": "uniform", "seed": s,
              **{f"ratio_{q}_{r}": v for q in ("t_energy", "chi", "heat_capacity") for r in ("below", "near", "above")}}
             for arm, v in (("narrow", 0.1), ("wide", 8.0)) for s in (1, 2)]
    fig = study_widths.draw(cells, WIDTH_BOUNDS)
    axes = fig.axes
    assert len(axes) == 3 and all(ax.get_yscale() == "log" for ax in axes)
    points = [y for line in axes[1].get_lines() for y in line.get_ydata() if line.get_marker() == "o"]
    assert sorted(points) == [0.1] * 6 + [8.0] * 6  # two seeds x three regions per arm
    assert axes[0].get_ylabel().startswith("ratio to Monte Carlo")
