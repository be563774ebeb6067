"""The convergence table: drift over the last fifth against the evaluation scatter, on known curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bcgan.cli import main
from bcgan.tables.convergence import METRICS, build, metric_convergence
from bcgan.training.progress import COLUMNS, read_progress_files, write_progress_csv

ITERATIONS = np.arange(0, 5001, 250)  # 21 evaluations: 5 in the last fifth, 11 in the second half


def test_noiseless_line_gives_its_exact_change_and_is_not_flat():
    r = metric_convergence(ITERATIONS, 3.0 - 1e-4 * ITERATIONS)
    assert r["evaluations"] == 5
    assert r["drift"] == pytest.approx(-1e-4 * 1000)  # slope x span of the last fifth (4000 .. 5000)
    assert r["start"] == pytest.approx(2.6) and r["end"] == pytest.approx(2.5)
    assert r["scatter"] == pytest.approx(0, abs=1e-9) and r["flat"] is False


def test_noise_around_a_plateau_is_flat_and_a_trend_of_several_scatters_is_not():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.05, ITERATIONS.size)
    plateau = metric_convergence(ITERATIONS, 1.0 + noise)
    assert plateau["flat"] is True
    assert plateau["scatter"] == pytest.approx(0.05, rel=0.5)
    falling = metric_convergence(ITERATIONS, 1.0 + noise - 4e-4 * ITERATIONS)  # -0.4 over the last fifth
    assert falling["flat"] is False and falling["drift"] == pytest.approx(-0.4, abs=0.15)
    # a looser tolerance or a longer window changes the verdict as documented
    assert metric_convergence(ITERATIONS, 1.0 + noise - 4e-4 * ITERATIONS, tolerance=100)["flat"] is True


def test_the_band_is_the_mean_and_sd_of_the_last_fifth_alone():
    values = np.full(ITERATIONS.size, -50.0)  # earlier evaluations must not count
    values[ITERATIONS >= 4000] = [1.0, 2.0, 3.0, 4.0, 5.0]
    r = metric_convergence(ITERATIONS, values)
    assert r["mean"] == pytest.approx(3.0) and r["sd"] == pytest.approx(np.sqrt(2.5))


def test_too_few_evaluations_give_no_verdict():
    r = metric_convergence([0, 3, 6], [1.0, 0.9, 0.8])
    assert r["flat"] is None and np.isnan(r["drift"])


def _progress(path, values):
    rows = [{c: 0.5 for c in COLUMNS} | {"iteration": i, "images_seen": 64 * i} | {k: v[j] for k, v in values.items()}
            for j, i in enumerate(ITERATIONS)]
    path.parent.mkdir(parents=True)
    write_progress_csv(path, rows)
    return path


def test_cli_writes_one_verdict_per_variant(tmp_path):
    flat = _progress(tmp_path / "cgan64" / "progress.csv", {})
    moving = _progress(tmp_path / "ccgan" / "progress.csv", {"mae_all": 2.0 - 3e-4 * ITERATIONS})
    csv, md = tmp_path / "c.csv", tmp_path / "c.md"
    assert main(["train", "convergence", str(flat), str(moving), "--out-csv", str(csv), "--out-md", str(md)]) == 0
    table = pd.read_csv(csv)
    assert len(table) == 2 * len(METRICS)
    moving_rows = table[(table.variant == "ccgan") & (table.metric == "mae_all")]
    assert moving_rows["drift"].iloc[0] == pytest.approx(-0.3)
    text = md.read_text()
    assert "| CcGAN | 5,000 |" in text and "not converged" in text
    assert "| CGAN 64 classes | 5,000 |" in text and "| converged |" in text
    band = text.split("## Last 20% of training")[1]
    assert "| CGAN 64 classes | 5 | 0.5 ± 0 |" in band  # constant metric: its value, no spread
    assert "| CcGAN | 5 | 0.65 ± 0.12 |" in band  # 2 - 3e-4 x (4000 .. 5000): mean 0.65, sd 0.1186


def test_cli_judges_the_weight_average_beside_g(tmp_path, capsys):
    """An orbiting G whose average stands still: G moving, its EMA flat, both in the table."""
    g = _progress(tmp_path / "ccgan" / "progress.csv", {"mae_all": 1.0 + 0.3 * np.sin(ITERATIONS / 300.0)})
    ema = _progress(tmp_path / "ema" / "ccgan" / "progress_ema.csv", {})
    csv, md = tmp_path / "c.csv", tmp_path / "c.md"
    assert main(["train", "convergence", str(g), "--ema", str(ema), "--out-csv", str(csv), "--out-md", str(md)]) == 0
    table = pd.read_csv(csv)
    assert sorted(set(table.generator)) == ["EMA", "G"] and len(table) == 2 * len(METRICS)
    assert not table[(table.generator == "G") & (table.metric == "mae_all")]["flat"].iloc[0]
    assert table[table.generator == "EMA"]["flat"].all()
    text = md.read_text()
    assert "| CcGAN | 5,000 |" in text and "| CcGAN, EMA of G | 5,000 |" in text and "moving average" in text
    orphan = _progress(tmp_path / "ema" / "bcgan" / "progress_ema.csv", {})
    assert main(["train", "convergence", str(g), "--ema", str(orphan), "--out-csv", str(csv), "--out-md", str(md)]) == 2
    assert "bcgan" in capsys.readouterr().err


def test_the_average_is_judged_against_the_scatter_of_g(tmp_path):
    """A smooth average drifting by less than G's scatter is flat; by several of G's scatters, moving."""
    noisy = {"mae_all": 1.0 + 0.05 * (-1.0) ** np.arange(ITERATIONS.size)}  # G alternates by ± 0.05
    g = _progress(tmp_path / "ccgan" / "progress.csv", noisy)
    small = _progress(tmp_path / "small" / "ccgan" / "progress_ema.csv", {"mae_all": 1.0 + 2e-5 * ITERATIONS})
    large = _progress(tmp_path / "large" / "ccgan" / "progress_ema.csv", {"mae_all": 1.0 + 4e-4 * ITERATIONS})
    for ema, flat in ((small, True), (large, False)):
        table = build(read_progress_files([g]), read_progress_files([ema]))
        row = table[(table.generator == "EMA") & (table.metric == "mae_all")].iloc[0]
        g_row = table[(table.generator == "G") & (table.metric == "mae_all")].iloc[0]
        assert row["own_scatter"] == pytest.approx(0, abs=1e-9)  # a straight line: no scatter of its own
        assert row["scatter"] == g_row["scatter"] == pytest.approx(0.05, rel=0.5)
        assert bool(row["flat"]) == flat
        # judged by its own scatter, even the small drift would be "moving"
        assert metric_convergence(ITERATIONS, 1.0 + 2e-5 * ITERATIONS)["flat"] is False


def test_cli_rejects_a_bad_fraction_and_a_foreign_file(tmp_path, capsys):
    path = _progress(tmp_path / "bcgan" / "progress.csv", {})
    out = ["--out-csv", str(tmp_path / "c.csv"), "--out-md", str(tmp_path / "c.md")]
    assert main(["train", "convergence", str(path), "--fraction", "0.9", *out]) == 2
    assert "--fraction" in capsys.readouterr().err
    other = tmp_path / "x" / "progress.csv"
    other.parent.mkdir()
    other.write_text("a,b\n1,2\n")
    assert main(["train", "convergence", str(other), *out]) == 2
    assert "not a progress.csv" in capsys.readouterr().err
