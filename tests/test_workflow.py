"""The whole smoke DAG from a clean directory, and Snakemake's rerun-only-what-changed behaviour."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import torch
from conftest import copy_workflow, snakemake


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


# --- behaviour of a plain `snakemake` in a fresh checkout (no smoke run needed) --------------------------
def test_a_plain_snakemake_loads_the_default_profile(tmp_path):
    """profiles/default beside the Snakefile is Snakemake's own default (--workflow-profile): no option needed."""
    proc = snakemake(copy_workflow(tmp_path), "--dry-run", "--config", "preset=smoke")
    assert "Using workflow specific profile profiles/default for setting default command line arguments." in proc.stderr


def test_a_run_killed_hard_resumes_after_unlock(tmp_path):
    """kill -9 of the whole snakemake process group mid-job: the plain command then stops on Snakemake's
    lock; `snakemake --unlock` and the same command finish every target (README, "Running")."""
    workdir = copy_workflow(tmp_path)
    targets = ["results/smoke/data/shard_0.h5", "results/smoke/data/shard_1.h5", "results/smoke/data/manifest.json"]
    command = [sys.executable, "-m", "snakemake", "-c", "1", *targets, "--config", "preset=smoke"]
    run = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    log = workdir / "results/smoke/logs/ising_shard_0.log"
    deadline = time.monotonic() + 120
    while not log.exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert run.poll() is None, "the run ended before a job started"
    os.killpg(run.pid, signal.SIGKILL)  # snakemake and its job, as a crash or `kill -9 -<pgid>` would
    run.wait()
    assert not (workdir / targets[-1]).exists()
    again = snakemake(workdir, "-c", "1", *targets, "--config", "preset=smoke", check=False)
    assert again.returncode != 0 and "Directory cannot be locked" in again.stderr
    snakemake(workdir, "--unlock", "--config", "preset=smoke")
    done = snakemake(workdir, "-c", "1", *targets, "--config", "preset=smoke")
    # the default profile also holds local GPU jobs to one at a time
    assert re.search(r"^Provided resources: .*gpu\b.*\b1\b", done.stderr, re.M), done.stderr
    for target in targets[:2]:
        with h5py.File(workdir / target) as f:
            assert f["images"].shape == (200, 16, 16)
    assert json.loads((workdir / targets[-1]).read_text())


def test_a_nested_command_line_value_is_sent_to_a_config_file(tmp_path):
    proc = snakemake(copy_workflow(tmp_path), "--dry-run", "--config", "data={n_images: 1000}", check=False)
    assert proc.returncode != 0
    assert ("error: config data.n_images: '1000' has the wrong type (expected integer); --config reads nested "
            "values as text: put them in a config file instead (--configfile config.yaml my.yaml)"
            in proc.stderr.splitlines())


def test_a_truncated_shard_stops_the_dry_run(tmp_path):
    """A shard cut short after it was made (a copy, a full disk) is named when the workflow is planned, before
    any job reads it; deleting it schedules it and what depends on it again."""
    workdir = copy_workflow(tmp_path)
    shard = workdir / "results/smoke/data/shard_1.h5"
    shard.parent.mkdir(parents=True)
    with h5py.File(shard, "w") as f:
        f["images"] = np.zeros((200, 16, 16), np.uint8)
    os.truncate(shard, shard.stat().st_size // 2)
    proc = snakemake(workdir, "--dry-run", "--config", "preset=smoke", check=False)
    assert proc.returncode != 0
    (line,) = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert line.startswith("error: damaged data file results/smoke/data/shard_1.h5: truncated file")
    assert "delete it" in line
    shard.unlink()
    assert "ising_shard" in planned_jobs(workdir)


def test_cuda_without_a_gpu_stops_before_any_job(tmp_path):
    """train.device: cuda in a local run with no GPU visible: refused with one line before the first job,
    so no job deletes a good output (here a regressor that the run would remake) and then fails."""
    workdir = copy_workflow(tmp_path)
    (workdir / "cuda.yaml").write_text("train: {device: cuda}\n")
    regressor = workdir / "results/smoke/models/ccgan/regressor.pt"
    regressor.parent.mkdir(parents=True)
    regressor.write_bytes(b"a good regressor")
    proc = snakemake(workdir, "-c", "1", str(regressor.relative_to(workdir)), "--configfile", "config.yaml",
                     "cuda.yaml", "--forcerun", "ccgan_regressor", env={"CUDA_VISIBLE_DEVICES": ""}, check=False)
    assert proc.returncode != 0
    assert ("error: config train.device: cuda, but this machine shows no CUDA GPU to a local run (set "
            "train.device: auto or cpu, or run where a GPU is visible)") in proc.stderr.splitlines()
    assert regressor.read_bytes() == b"a good regressor"
    assert not (workdir / "results/smoke/logs").exists()  # no job started
    # the same config with jobs that do not use the device runs
    snakemake(workdir, "-c", "1", "results/smoke/data/shard_0.h5", "--configfile", "config.yaml", "cuda.yaml",
              env={"CUDA_VISIBLE_DEVICES": ""})


PROBE = """
import json
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings
from snakemake.shell import shell
with SnakemakeApi(OutputSettings()) as api:
    wf = api.workflow(resource_settings=ResourceSettings(cores=1),
                      config_settings=ConfigSettings(config={"preset": "mini"}), snakefile=Path("Snakefile"))._workflow
    out = {"prefix": shell._get_process_prefix()}
    for name in ("mem_mb", "runtime"):
        r = wf.get_rule("train").resources[name]
        out[name] = [r.evaluate({"variant": "bcgan"}, attempt=a, input=[], threads=1).value for a in (1, 2, 3)]
    print(json.dumps(out))
"""


def test_rules_run_in_strict_mode_and_retries_ask_for_more(tmp_path):
    """The workflow's shell prefix keeps Snakemake's `set -euo pipefail` (a failing step fails the job), and a
    retried job (SLURM profile: retries) asks for attempt x the memory and runtime of the first try."""
    workdir = copy_workflow(tmp_path)
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=workdir, capture_output=True, text=True, check=True)
    probe = json.loads(proc.stdout.splitlines()[-1])
    assert probe["prefix"].startswith("set -euo pipefail; ")
    mem, runtime = probe["mem_mb"], probe["runtime"]
    assert mem == [mem[0], 2 * mem[0], 3 * mem[0]] and runtime == [runtime[0], 2 * runtime[0], 3 * runtime[0]]
