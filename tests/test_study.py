"""The study stage: a tiny smoke study through Snakemake, and its summary's arithmetic on known cells."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch
from conftest import snakemake

from bcgan.config import resolve
from bcgan.data.ising import TC
from bcgan.errors import UserError
from bcgan.evaluation.perturb import noise_from_seeds, noise_seeds
from bcgan.nets.models import build_generator
from bcgan.study.cells import (
    METRICS,
    epsilon_frame,
    epsilon_sweep,
    grid_points,
    label_set_dir,
    physics_frame,
    read_cells,
    region_frame,
    summarise,
    width_frame,
)


def test_smoke_study_trains_every_cell_and_summarises_over_seeds(smoke_run, tmp_path):
    snakemake(smoke_run, "--cores", "2", "study", "--config", "preset=smoke")
    study = smoke_run / "results" / "smoke" / "study"
    cfg = resolve({"preset": "smoke"})["study"]
    pairs = [(e["labels"], arm) for e in cfg["label_sets"] for arm in e["arms"]]
    with open(study / "summary.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["arm"] == "real images (held-out)"  # the ceiling the response model allows, first
    rows = rows[1:]
    assert [(r["label_set"], r["arm"]) for r in rows] == pairs
    assert all(int(r["seeds"]) == len(cfg["seeds"]) for r in rows)
    for labels, arm in pairs:
        for seed in cfg["seeds"]:
            cell = study / label_set_dir(labels) / arm / f"seed{seed}"
            assert (cell / "progress.csv").exists() and (cell / "generator.pt").exists()
            doc = json.loads((cell / "cell.json").read_text())
            assert (doc["arm"], doc["label_set"], doc["seed"]) == (arm, labels, seed)
            assert len(doc["grid"]) == cfg["eval_temperatures"] == doc["n_all"]
            assert doc["epsilon"] == resolve({"preset": "smoke"})["analysis"]["epsilons"]
            assert len(doc["changed_fraction"]) == len(doc["epsilon"])
            assert doc["epsilon_rows"] == cfg["eval_per_temperature"]
            physics_n = resolve({"preset": "smoke"})["physics"]["per_temperature"]
            assert doc["physics_per_temperature"] == physics_n and np.isfinite(doc["dist_e"])
            assert all(1e-3 < v < 5 for v in doc["physics_floor"].values()), doc["physics_floor"]
            log = (smoke_run / "results/smoke/logs/study" / f"train_{label_set_dir(labels)}_{arm}_seed{seed}.log")
            assert f"training {arm} on" in log.read_text()  # the train command's own log line
    # two seeds train differently (the spread is not zero by construction)
    a, b = (json.loads((study / "uniform/scalar-proj" / f"seed{s}" / "cell.json").read_text()) for s in cfg["seeds"])
    assert a["mae_all"] != b["mae_all"]
    # grid:4 shards: four temperatures, equally often
    import h5py

    temps = np.concatenate([h5py.File(p)["temperature"][:] for p in sorted((study / "data/grid4").glob("*.h5"))])
    values, counts = np.unique(temps, return_counts=True)
    assert values.size == 4 and counts.min() == counts.max()
    md = (study / "summary.md").read_text()
    assert (study / "t_response.png").read_bytes()[:4] == b"\x89PNG" and "± " in md and "## ε at Tc" in md
    assert "## Physics" in md and "## Flip diversity by region" in md
    assert "| real images (held-out) |" in md  # the ceiling the response model allows, first row
    dry = snakemake(smoke_run, "--cores", "1", "--dry-run", "study", "--config", "preset=smoke")
    assert "Nothing to be done" in dry.stdout + dry.stderr
    # the report of `all study` holds the study's table and figure, with their captions
    report = tmp_path / "report.html"
    snakemake(smoke_run, "--cores", "1", "--config", "preset=smoke", "--report", str(report), "all", "study")
    html = report.read_text(errors="replace")
    assert "t_response.png" in html and "summary.md" in html and "reads the mantissa" in html
    assert "system-message" not in html


def _cell(arm, labels, seed, value):
    return {"format": "bcgan-study-cell/4", "arm": arm, "label_set": labels, "seed": seed, "iterations": 10,
            "precision": "bf16" if seed == 2 else "fp32", "device": "cpu",
            "n_all": 32, "n_1_2": 7, "n_2_4": 14, "grid": [1.0, 2.0], "mean_t_est": [1.0, 2.0],
            **{m: value for m in METRICS}, "spearman_1_2": float("nan") if seed == 3 else value,
            "epsilon": [1e-6, 0.1], "epsilon_rows": 4, "changed_fraction": [0.0, value / 10],
            "mean_abs_delta": [0.0, value], "physics_per_temperature": 128,
            **{f"real_diversity_flip_{r}": 4.0 for r in ("below", "near", "above")},
            **{f"mc_width_{q}_{r}": 2.0 for q in ("t_energy", "chi", "heat_capacity") for r in ("below", "near", "above")},
            "physics_floor": {f"dist_{k}": 1.1 for k in ("abs_m", "e", "chi", "heat_capacity", "binder", "xi",
                                                         "domain_size", "largest_domain")},
            "physics_real_peaks": {"chi": 2.4, "heat_capacity": 2.3}}


def test_summary_is_the_mean_and_sample_sd_over_seeds(tmp_path):
    cells = [_cell("bcgan", "uniform", s, v) for s, v in ((1, 1.0), (2, 2.0), (3, 6.0))]
    cells.append(_cell("bcgan", "grid:100", 1, 5.0))
    table = summarise(cells)
    row = table[table.label_set == "uniform"].iloc[0]
    assert row.seeds == 3 and row.mae_all_mean == pytest.approx(3.0) and row.precision == "bf16,fp32"
    assert row.mae_all_sd == pytest.approx(np.std([1.0, 2.0, 6.0], ddof=1))
    assert row.spearman_1_2_mean == pytest.approx(1.5)  # the seed without a value is left out
    assert row["changed_0.1_mean"] == pytest.approx(0.3) and row["changed_1e-06_sd"] == 0.0
    assert epsilon_frame(table).iloc[0]["ε = 0.1"] == f"30.00 ± {100 * np.std([0.1, 0.2, 0.6], ddof=1):.2f}"
    single = table[table.label_set == "grid:100"].iloc[0]
    assert single.seeds == 1 and np.isnan(single.mae_all_sd)
    with pytest.raises(UserError, match="two cells for arm bcgan, labels uniform, seed 1"):
        summarise(cells + [_cell("bcgan", "uniform", 1, 0.0)])
    other = {**_cell("ccgan", "uniform", 1, 1.0), "epsilon": [1e-4]}
    with pytest.raises(UserError, match=r"cell ccgan, labels uniform, seed 1 swept ε = \[0.0001\]"):
        summarise(cells + [other])
    path = tmp_path / "cell.json"
    path.write_text(json.dumps({"format": "bcgan-study-cell/3"}))  # a cell from before the widths
    with pytest.raises(UserError, match="not a bcgan-study-cell/4 file"):
        read_cells([path])


def test_summary_counts_the_seeds_that_collapsed_in_each_region():
    """Collapsed: flip diversity below half the Monte Carlo lattices' in a region (4.0 in _cell)."""
    cells = [_cell("bcgan", "uniform", s, v) for s, v in ((1, 1.0), (2, 3.0), (3, 6.0))]
    cells[2]["diversity_flip_above"] = 0.5  # seed 3 collapsed above Tc only
    row = summarise(cells).iloc[0]
    assert (row.collapsed_any, row.collapsed_below, row.collapsed_near, row.collapsed_above) == (2, 1, 1, 2)
    regions = region_frame(summarise(cells)).iloc[0]
    assert regions["collapsed above"] == 2 and "Monte Carlo 4.000" in " ".join(region_frame(summarise(cells)).columns)
    widths = width_frame(summarise(cells)).iloc[0]
    assert widths["C below / near / above"] == " / ".join([f"3.33 ± {np.std([1.0, 3.0, 6.0], ddof=1):.2f}"] * 3)
    physics = physics_frame(summarise(cells), cells[0]["physics_floor"], cells[0]["physics_real_peaks"])
    assert physics.iloc[0]["χ"] == "1.1" and physics.iloc[1]["χ peak T"].startswith("3.33 ± ")


def test_cell_epsilon_sweep_counts_the_spins_that_flip():
    """The cell's ε sweep against images drawn directly: the fraction of spins that differ between
    T = Tc and Tc + ε, over the same noise rows; zero for an ε inside a CGAN's class bin."""
    torch.manual_seed(0)
    t_range = (0.05, 2 * TC)
    G = build_generator("bcgan", image_size=16, channels=8, z_dim=8, t_range=t_range).eval()
    sweep = epsilon_sweep(G, [0.0, 0.5], rows=3, seed=7)
    z = noise_from_seeds(noise_seeds(7, 3), G.z_dim)
    with torch.no_grad():
        spins = [G(z, G.labels(torch.full((3,), t, dtype=torch.float32)))[:, 0] > 0
                 for t in (float(np.float32(TC)), float(np.float32(TC + 0.5)))]
    assert sweep["changed_fraction"][0] == 0.0 and sweep["epsilon_rows"] == 3
    assert sweep["changed_fraction"][1] == pytest.approx((spins[0] != spins[1]).float().mean().item())
    assert sweep["changed_fraction"][1] > 0
    cgan = build_generator("cgan64", image_size=16, channels=8, z_dim=8, t_range=t_range)
    assert epsilon_sweep(cgan, [1e-4], rows=3, seed=7)["changed_fraction"] == [0.0]


def test_label_sets_are_named_and_checked():
    assert grid_points("uniform") is None and grid_points("grid:100") == 100
    assert label_set_dir("grid:100") == "grid100" and label_set_dir("uniform") == "uniform"
    with pytest.raises(UserError, match="'grid:1'"):
        grid_points("grid:1")
    with pytest.raises(UserError, match="must be 'uniform' or 'grid:K'"):
        grid_points("grid")
    twice = {"preset": "smoke", "study": {"label_sets": [{"labels": "uniform", "arms": ["bcgan"]},
                                                         {"labels": "uniform", "arms": ["ccgan"]}]}}
    with pytest.raises(UserError, match="study.label_sets.1.labels: 'uniform' is listed twice"):
        resolve(twice)
    with pytest.raises(UserError, match="needs 2 <= K <= data.n_images"):
        resolve({"preset": "smoke", "study": {"label_sets": [{"labels": "grid:9999", "arms": ["bcgan"]}]}})


def test_embedding_target_checks_every_criterion_against_its_threshold():
    from bcgan.study.target import CRITERIA, judge

    def cell(arm, seed, **over):
        c = {**_cell(arm, "uniform", seed, 0.0), **{f"ratio_{q}_{r}": 1.0 for q in ("t_energy", "chi", "heat_capacity")
                                                     for r in ("below", "near", "above")},
             "spearman_all": 0.97, "spearman_1_2": 0.95, "spearman_2_4": 0.93,
             "mae_all": 0.5, "psd_distance": 3.0, "energy_error": 0.2, "epsilon": [1e-6, 0.01, 0.1],
             "changed_fraction": [0.0005, 0.001, 0.004], **{f"diversity_flip_{r}": 0.3 for r in ("below", "near", "above")}}
        return {**c, **over}

    ceiling = {"spearman_1_2": 1.0, "spearman_2_4": 0.9, **{f"diversity_flip_{r}": 0.5 for r in ("below", "near", "above")}}
    cells = [cell("ccgan", s, mae_all=0.6) for s in (1, 2)] + [cell("bcgan-proj", s, psd_distance=2.9 + s / 10)
                                                               for s in (1, 2)]
    cells += [cell("new", 1), cell("new", 2, diversity_flip_above=0.2, changed_fraction=[0.002, 0.001, 0.0029])]
    v = judge(cells, ceiling)
    assert all(v["ccgan"][k][0] for k in CRITERIA)  # its own T-MAE is no worse than itself
    new = v["new"]
    assert new["spearman"][0] and new["mae"][0] and new["psd"][0] and new["energy"][0]
    assert not judge([*cells[:4], cell("far", 1, psd_distance=3.3)], ceiling)["far"]["psd"][0]  # > 3.05 + 0.07
    assert new["binades"][0] is True and "need 0.85" in new["binades"][1]  # [2, 4): min(0.9, 0.9 - 0.05)
    assert not new["diversity"][0] and "seed 2 above 0.200" in new["diversity"][1]
    assert not new["epsilon"][0] and "seed 2" in new["epsilon"][1]
    with pytest.raises(UserError, match="no cells of arm 'ccgan'"):
        judge([c for c in cells if c["arm"] != "ccgan"], ceiling)
    assert new["width"][0] and new["chi"][0] and new["heat_capacity"][0]


def test_embedding_target_width_has_two_sides_inclusive_bounds():
    """Too narrow (a collapsed arm) fails as surely as too wide; the bounds themselves pass."""
    from bcgan.study.target import WIDTH_BOUNDS, judge

    assert WIDTH_BOUNDS == {"t_energy": (0.5, 1.5), "chi": (0.5, 2.25), "heat_capacity": (0.5, 2.25)}
    ceiling = {"spearman_1_2": 1.0, "spearman_2_4": 0.9, **{f"diversity_flip_{r}": 0.5 for r in ("below", "near", "above")}}

    def cell(arm, seed, **ratios):
        base = {f"ratio_{q}_{r}": 1.0 for q in ("t_energy", "chi", "heat_capacity") for r in ("below", "near", "above")}
        return {**_cell(arm, "uniform", seed, 0.0), **base, **ratios, "epsilon": [1e-6, 0.01, 0.1],
                "changed_fraction": [0.0, 0.001, 0.004]}

    cells = [cell("ccgan", 1), cell("bcgan-proj", 1),
             cell("edges", 1, ratio_t_energy_near=1.5, ratio_chi_above=0.5, ratio_heat_capacity_below=2.25),
             cell("narrow", 1, ratio_t_energy_near=0.49), cell("wide", 1), cell("wide", 2, ratio_chi_above=2.3,
                                                                               ratio_heat_capacity_near=9.0)]
    v = judge(cells, ceiling)
    assert v["edges"]["width"][0] and v["edges"]["chi"][0] and v["edges"]["heat_capacity"][0]
    assert not v["narrow"]["width"][0] and "seed 1 near 0.49" in v["narrow"]["width"][1]
    assert v["narrow"]["chi"][0]
    assert not v["wide"]["chi"][0] and "seed 2 above 2.30" in v["wide"]["chi"][1]
    assert not v["wide"]["heat_capacity"][0] and v["wide"]["heat_capacity"][1].startswith("1.00–1.00 / 1.00–9.00")
    from bcgan.study.target import seed_frame

    seeds = seed_frame([c for c in cells if c["arm"] in ("wide", "edges")]).set_index(["arm", "seed"])
    assert seeds.loc[("wide", 2), "chi"] == "1.00 / 1.00 / 2.30 ✗" and seeds.loc[("wide", 2), "widths"] == "miss"
    assert seeds.loc[("edges", 1), "widths"] == "pass" and seeds.loc[("wide", 1), "widths"] == "pass"


def test_physics_metrics_are_the_distances_of_every_observable_and_the_peaks(tmp_path):
    from bcgan.evaluation.physics import SCALARS
    from bcgan.study.cells import PHYSICS_METRICS, read_ceiling

    assert PHYSICS_METRICS == [*(f"dist_{k}" for k in SCALARS), "peak_chi", "peak_heat_capacity"]
    other = tmp_path / "ceiling.json"
    other.write_text(json.dumps({"format": "bcgan-study-cell/3"}))
    with pytest.raises(UserError, match="not a bcgan-study-ceiling/1 document"):
        read_ceiling(other)


def test_t_response_figure_labels_the_t_axis_of_every_column():
    """Nine arms on a 4-wide grid leave three empty slots in the last row: the panels above them are
    their columns' lowest, so they carry the T axis (tick labels and label), as the last row's does."""
    from bcgan.figures import study_response

    grid = list(np.linspace(0.05, 4.5, 8))
    cells = [{"arm": f"arm{i}", "label_set": "uniform", "grid": grid, "mean_t_est": grid} for i in range(9)]
    fig = study_response.draw(cells)
    fig.canvas.draw()
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 9
    labelled = [ax.get_title() for ax in axes
                if ax.get_xlabel() and any(t.get_text() for t in ax.get_xticklabels())]
    assert labelled == ["arm5", "arm6", "arm7", "arm8"]


def test_cells_of_another_training_length_live_in_a_folder_of_their_own(tmp_path):
    """A study at the preset's own epochs keeps results/<preset>/study/<labels>/...; another length trains its
    cells under study/epochs<N>/, so no cell resumes from or replaces one of another length (issue 41),
    while the data and CcGAN's pretraining stay shared."""
    from conftest import copy_workflow

    from bcgan.study.cells import study_cell_tag

    assert study_cell_tag(6, 6) == "" and study_cell_tag(30, 6) == "epochs30"
    work = copy_workflow(tmp_path / "wf")
    (work / "long.yaml").write_text("study: {epochs: 2}\n")
    for extra, folder in (([], "results/smoke/study/"), (["long.yaml"], "results/smoke/study/epochs2/")):
        proc = snakemake(work, "study", "--cores", "1", "--dry-run", "--printshellcmds", "--configfile", "config.yaml",
                         *extra, "--config", "preset=smoke")
        lines = proc.stdout.splitlines()
        train = [c for c in lines if "bcgan train gan" in c and "--checkpoint results/smoke/study" in c]
        assert len(train) == 4 and all(f"--checkpoint {folder}uniform/" in c or f"--checkpoint {folder}grid4/" in c
                                       for c in train), train[:1]
        assert all(("/epochs2/" in c) == bool(extra) for c in train)
        assert any("results/smoke/study/data/grid4/shard_0.h5" in c for c in train)  # the data stay shared
        summary = [c for c in lines if "bcgan study summary" in c]
        assert summary and f"--out-csv {folder}summary.csv" in summary[0]
