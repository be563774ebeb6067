"""Table 1 (parameters + training hours) and the metrics table from synthetic inputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bcgan.cli import main
from bcgan.errors import UserError
from bcgan.tables.table1 import build, classify_benchmarks

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def _tsv(path, seconds):
    path.write_text(HEADER + "".join(f"{s}\t0:00:00\t1\t1\t1\t1\t0\t0\t0\t0\n" for s in seconds))
    return path


def _params(path, variants=("ccgan", "cgan64", "bcgan")):
    rows = [{"variant": v, "gen": 1000 * (i + 1), "disc": 2000, "embed_g": 300, "embed_d": 400,
             "regressor": 21_000_000 if v == "ccgan" else 0, "paper_gen": 7.23e6, "paper_disc": 6.36e6,
             "paper_embed_g": 8.2e3, "paper_embed_d": 1.05e6, "paper_regressor": 0} for i, v in enumerate(variants)]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _bench(tmp_path):
    return [_tsv(tmp_path / "train_ccgan.tsv", [7200]), _tsv(tmp_path / "train_cgan64.tsv", [3600, 5400]),
            _tsv(tmp_path / "train_bcgan.tsv", [1800]), _tsv(tmp_path / "ccgan_regressor.tsv", [3240]),
            _tsv(tmp_path / "ccgan_y2h.tsv", [360])]


def test_table1_hours_and_totals(tmp_path):
    argv = ["table", "table1", "--params", str(_params(tmp_path / "p.csv")), "--benchmarks",
            *map(str, _bench(tmp_path)), "--out-csv", str(tmp_path / "t.csv"), "--out-md", str(tmp_path / "t.md")]
    assert main(argv) == 0
    t = pd.read_csv(tmp_path / "t.csv").set_index("variant")
    assert t.loc["ccgan", "train_hours"] == pytest.approx(3.0)  # 2 h training + 0.9 h + 0.1 h pretraining
    assert t.loc["ccgan", "pretrain_hours"] == pytest.approx(1.0)
    assert t.loc["cgan64", "train_hours"] == pytest.approx(1.25)  # mean of two benchmark repeats
    assert np.isnan(t.loc["bcgan", "pretrain_hours"]) and t.loc["bcgan", "train_hours"] == pytest.approx(0.5)
    assert t.loc["cgan64", "total"] == 2000 + 2000 + 300 + 400  # regressor not counted
    assert t.loc["ccgan", "paper_train_hours"] == 24.1 and t.loc["ccgan", "paper_pretrain_hours"] == 3.1
    md = (tmp_path / "t.md").read_text()
    assert "3.0 h (1.0 h) / 24.1 h (3.1 h)" in md and "| BcGAN |" in md


def test_durations_read_in_a_sensible_unit():
    from bcgan.tables.table1 import _hours

    assert [_hours(h) for h in (24.1, 0.5, 10 / 3600)] == ["24.1 h", "30.0 min", "10.0 s"]


def test_table1_missing_benchmark_is_named(tmp_path, capsys):
    bench = [b for b in _bench(tmp_path) if b.name != "ccgan_y2h.tsv"]
    argv = ["table", "table1", "--params", str(_params(tmp_path / "p.csv")), "--benchmarks", *map(str, bench),
            "--out-csv", str(tmp_path / "t.csv"), "--out-md", str(tmp_path / "t.md")]
    assert main(argv) == 2
    assert "ccgan_y2h.tsv" in capsys.readouterr().err
    assert not (tmp_path / "t.csv").exists()
    argv[argv.index("--benchmarks") + 1] = str(tmp_path / "train_gone.tsv")
    assert main(argv) == 2
    assert "train_gone.tsv" in capsys.readouterr().err


def test_table1_variant_without_training_benchmark(tmp_path):
    train, pre = classify_benchmarks(_bench(tmp_path)[1:])
    with pytest.raises(UserError, match="train_ccgan.tsv"):
        build(pd.read_csv(_params(tmp_path / "p.csv")), train, pre)
    with pytest.raises(UserError, match="not train_<variant>"):
        classify_benchmarks([_tsv(tmp_path / "something.tsv", [1])])


def _synthetic(tmp_path):
    """Real-like shards whose up-spin density falls with T, a response model fitted to them, two sample sets."""
    from bcgan.data.shards import write_samples, write_shard
    from bcgan.psd.response import fit_response, save_response
    from bcgan.psd.spectrum import psd_fit

    rng = np.random.default_rng(0)
    n, L = 240, 16
    t = np.sort(rng.uniform(0.05, 4.5, n)).astype(np.float32)
    p_up = 0.5 + 0.45 * np.exp(-t / 1.2)
    # blocky images (2x2 domains) so the PSD slope moves with T
    small = rng.random((n, L // 2, L // 2)) < p_up[:, None, None]
    images = np.kron(small, np.ones((2, 2), bool)).astype(np.uint8) * 255
    write_shard(tmp_path / "heldout.h5", images=images, temperature=t, seed=np.arange(n, dtype=np.uint64),
                energy=np.zeros(n), magnetization=np.zeros(n), steps=1, algorithm="synthetic")
    fit = psd_fit(images, floor=1.0)
    model = fit_response(fit.slope, fit.intercept, t, n_bins=6, meta={"L": L, "k_min": fit.k_min,
                                                                     "k_max": fit.k_max, "floor": 1.0})
    save_response(model, tmp_path / "response.json")
    pd.DataFrame({"region": ["below", "near", "above", "all"], "n": [1, 1, 1, 3], "mae": [0.3, 0.1, 0.4, 0.25],
                  "bias": [0, 0, 0, 0.01]}).to_csv(tmp_path / "accuracy.csv", index=False)
    grid = np.repeat(np.linspace(0.05, 4.5, 4).astype(np.float32), 5)
    near = np.concatenate([np.argsort(np.abs(t - g))[:5] for g in grid[::5]])  # 5 distinct real images per T
    write_samples(tmp_path / "copy.h5", images=images[near], temperature=grid,
                  noise_seed=np.arange(20, dtype=np.uint64), variant="bcgan")
    write_samples(tmp_path / "collapsed.h5", images=np.repeat(images[near[:1]], 20, axis=0), temperature=grid,
                  noise_seed=np.arange(20, dtype=np.uint64), variant="ccgan")
    for name in ("copy", "collapsed"):
        assert main(["psd", "table", str(tmp_path / f"{name}.h5"), "--response", str(tmp_path / "response.json"),
                     "--threads", "1", "--out", str(tmp_path / f"{name}.csv")]) == 0


def test_metrics_table(tmp_path):
    _synthetic(tmp_path)
    (tmp_path / "activity_ccgan.json").write_text(json.dumps({"variant": "ccgan", "dead_fraction": 0.375}))
    base = ["table", "metrics", "--samples", str(tmp_path / "copy.h5"), str(tmp_path / "collapsed.h5"),
            "--psd", str(tmp_path / "copy.csv"), str(tmp_path / "collapsed.csv"),
            "--response", str(tmp_path / "response.json"), "--accuracy", str(tmp_path / "accuracy.csv"),
            "--heldout", str(tmp_path / "heldout.h5"), "--out-csv", str(tmp_path / "m.csv"),
            "--out-md", str(tmp_path / "m.md")]
    assert main(base) == 0  # works without the activity summaries
    m = pd.read_csv(tmp_path / "m.csv").set_index("variant")
    assert list(m.index) == ["bcgan", "ccgan", "real"] and m["dead_fraction"].isna().all()
    psd = pd.read_csv(tmp_path / "copy.csv")
    assert m.loc["bcgan", "mae_all"] == pytest.approx(np.mean(np.abs(psd["t_est"] - psd["temperature"])))
    assert m.loc["ccgan", "diversity"] == 0.0 and m.loc["bcgan", "diversity"] > 0.05  # mode collapse shows
    assert m.loc["real", "mae_all"] == 0.25  # the response model's floor, from accuracy.csv
    assert m.loc["ccgan", "psd_distance"] > m.loc["bcgan", "psd_distance"]
    assert main(base + ["--activity", str(tmp_path / "activity_ccgan.json")]) == 0
    m = pd.read_csv(tmp_path / "m.csv").set_index("variant")
    assert m.loc["ccgan", "dead_fraction"] == 0.375 and np.isnan(m.loc["bcgan", "dead_fraction"])
    assert "38%" in (tmp_path / "m.md").read_text()


def test_metrics_missing_input_is_user_error(tmp_path, capsys):
    _synthetic(tmp_path)
    argv = ["table", "metrics", "--samples", str(tmp_path / "copy.h5"), "--psd", str(tmp_path / "nope.csv"),
            "--response", str(tmp_path / "response.json"), "--accuracy", str(tmp_path / "accuracy.csv"),
            "--heldout", str(tmp_path / "heldout.h5"), "--out-csv", str(tmp_path / "m.csv"),
            "--out-md", str(tmp_path / "m.md")]
    assert main(argv) == 2
    assert "nope.csv" in capsys.readouterr().err
    (tmp_path / "short.csv").write_text(pd.read_csv(tmp_path / "collapsed.csv").head(3).to_csv(index=False))
    argv[argv.index("--psd") + 1] = str(tmp_path / "short.csv")
    assert main(argv) == 2
    assert "does not match" in capsys.readouterr().err


def test_table1_takes_each_trainings_time_summed_over_its_runs_from_its_log(tmp_path):
    """A benchmark times only the last job: a resumed training showed a few seconds (issue 37)."""
    logs = []
    for v, s in (("ccgan", 3600), ("cgan64", 1800), ("bcgan", 900)):
        logs.append(tmp_path / f"train_{v}.log")
        logs[-1].write_text(f"INFO resuming {v}\nvariant={v} epochs=2 iterations=12 seconds={s}.00 images_per_s=3.1\n")
    argv = ["table", "table1", "--params", str(_params(tmp_path / "p.csv")), "--benchmarks",
            *map(str, _bench(tmp_path)), "--train-logs", *map(str, logs),
            "--out-csv", str(tmp_path / "t.csv"), "--out-md", str(tmp_path / "t.md")]
    assert main(argv) == 0
    t = pd.read_csv(tmp_path / "t.csv").set_index("variant")
    assert t.loc["cgan64", "train_hours"] == pytest.approx(0.5) and t.loc["bcgan", "train_hours"] == pytest.approx(0.25)
    assert t.loc["ccgan", "train_hours"] == pytest.approx(2.0)  # 1 h training + 1 h pretraining (benchmarks)
    logs[0].write_text("Traceback ...\n")
    assert main(argv) == 2
