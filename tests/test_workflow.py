"""The whole smoke DAG from a clean directory, and Snakemake's rerun-only-what-changed behaviour."""

from __future__ import annotations

import re
from pathlib import Path

import torch
from conftest import snakemake


def planned_jobs(workdir: Path, override: str = "", preset: str = "smoke") -> dict[str, int]:
    """Rule name -> job count of a dry run with ``override`` (YAML) merged over config.yaml."""
    (workdir / "override.yaml").write_text(override or "{}\n")
    proc = snakemake(workdir, "--cores", "1", "--dry-run", "--configfile", "config.yaml", "override.yaml",
                     "--config", f"preset={preset}")
    out = proc.stdout + proc.stderr
    if "Nothing to be done" in out:
        return {}
    table = out.split("Job stats:", 1)[1]
    jobs = {}
    for line in table.splitlines()[3:]:
        m = re.match(r"^(\S+)\s+(\d+)\s*$", line)
        if not m:
            break
        jobs[m.group(1)] = int(m.group(2))
    jobs.pop("total", None)
    return jobs


PAPER_FIGURES = ["fig2_response", "fig3_ccgan_bcgan", "fig4_cgan", "fig5_activity", "fig6_epsilon", "fig7_magnetization",
                 "fig9_epsilon_noise", "fig10_activity_full", "fig11_cgan_lookup", "epsilon_sensitivity",
                 "training_progress"]
VARIANTS = ["ccgan", "cgan64", "cgan256", "cgan1024", "bcgan"]


def test_smoke_dag_builds_every_target(smoke_run):
    results = smoke_run / "results" / "smoke"
    names = ["data/manifest.json", "data/magnetization.csv", "psd/response.json", "psd/accuracy.csv",
             "tables/table1.csv", "tables/table1.md", "tables/metrics.csv", "tables/metrics.md",
             "tables/convergence.csv", "tables/convergence.md", "tables/physics.csv", "tables/physics.md",
             "physics/real_a.csv", "physics/real_b.csv"]
    names += [f"models/{v}/{f}" for v in VARIANTS for f in ("generator.pt", "generator_ema.pt", "losses.csv",
                                                              "progress.csv", "progress_ema.csv", "loss_curve.png")]
    names += [f"samples/{v}.h5" for v in VARIANTS]
    names += [f"analysis/activity_{v}.json" for v in VARIANTS]
    for name in names:
        assert (results / name).stat().st_size > 0, name
    # the weight average is its own generator, loadable like G
    from bcgan.training.checkpoints import load_generator

    G, _ = load_generator(results / "models/bcgan/generator.pt")
    A, payload = load_generator(results / "models/bcgan/generator_ema.pt")
    assert payload["metadata"]["weights"] == "ema"
    assert any(not torch.equal(v, A.state_dict()[k]) for k, v in G.state_dict().items())
    for fig in [*PAPER_FIGURES, "physics"]:
        for ext in ("pdf", "png"):
            assert (results / "figures" / f"{fig}.{ext}").stat().st_size > 10_000, (fig, ext)
    table1 = (results / "tables" / "table1.md").read_text()
    metrics = (results / "tables" / "metrics.md").read_text()
    for label in ("CcGAN", "CGAN 64 classes", "CGAN 256 classes", "CGAN 1024 classes", "BcGAN"):
        assert f"| {label} |" in table1 and f"| {label} |" in metrics
    physics = (results / "tables" / "physics.md").read_text()
    assert all(f"| {label} |" in physics for label in ("real", "real, second set", "CcGAN", "BcGAN"))
    assert "n = 128 images per temperature" in physics
    # every job left a log and a benchmark file
    assert list((results / "logs").glob("ising_shard_*.log"))
    assert list((results / "benchmarks").glob("ising_shard_*.tsv"))


def test_nothing_to_do_after_a_complete_run(smoke_run):
    assert planned_jobs(smoke_run) == {}


def test_bad_config_stops_snakemake_with_one_line(smoke_run):
    (smoke_run / "bad.yaml").write_text("data: {size: 2}\n")
    proc = snakemake(smoke_run, "--cores", "1", "--dry-run", "--configfile", "config.yaml", "bad.yaml", check=False)
    assert proc.returncode != 0
    assert "error: config data.size: 2 not allowed (must be >= 4)" in proc.stderr.splitlines()


def test_changing_a_figure_option_reruns_only_that_figure(smoke_run):
    jobs = planned_jobs(smoke_run, "figures: {magnetization_bins: 7}")
    assert set(jobs) - {"all"} == {"magnetization_table", "fig7"}
    # the example temperatures are shown by the figures with image strips, and by nothing else
    jobs = planned_jobs(smoke_run, "figures: {example_temperatures: [1.0, 3.0]}")
    assert set(jobs) - {"all"} == {"fig3", "fig4", "fig7"}


def test_changing_the_physics_bootstrap_reruns_only_the_physics_estimates(smoke_run):
    jobs = planned_jobs(smoke_run, "physics: {bootstrap: 50}")
    assert set(jobs) - {"all"} == {"physics_observables", "physics_table", "physics_figure"}
    assert jobs["physics_observables"] == 2 + len(VARIANTS)  # the two Monte Carlo sets and every model


def test_changing_a_ccgan_setting_reruns_only_ccgan(smoke_run):
    jobs = planned_jobs(smoke_run, "ccgan: {kappa_multiplier: 2.0}")
    assert jobs["train"] == 1 and jobs["sample"] == 1 and "ising_shard" not in jobs


def test_changing_the_dataset_reruns_the_data_and_everything_downstream(smoke_run):
    jobs = planned_jobs(smoke_run, "data: {n_images: 300}")
    assert {"ising_shard", "dataset_manifest", "magnetization_table", "fig7", "psd_response", "fig2"} <= set(jobs)
    # held-out images take the global indices after the training set, so they move too
    assert "ising_heldout" in jobs


def test_mini_and_paper_watch_every_variant(smoke_run):
    """Both big presets train all six variants, each with its progress.csv, and judge convergence."""
    for preset in ("mini", "paper"):
        jobs = planned_jobs(smoke_run, preset=preset)
        assert jobs["train"] == 6 and jobs["training_progress"] == 1 and jobs["convergence"] == 1, (preset, jobs)
