"""The workflow on a real SLURM (slurmctld + slurmd on localhost) through profiles/slurm.

Why: the cluster layer is only worth something if a real scheduler accepts
the rules' resource requests, runs every job, and the results equal a local
run.  Needs root and the slurm-wlm/munge binaries (`.ci/slurm-setup`); where
they are missing the module is skipped with the reason printed, never silently.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from slurm.cluster import LocalSlurm, skip_reason  # noqa: E402

_REASON = skip_reason()
if _REASON:
    print(f"SKIP tests/test_slurm.py: {_REASON}", file=sys.stderr)
    pytest.skip(_REASON, allow_module_level=True)

from slurm.harness import job_logs, outputs_by_slurm_job, run_profile, slurm_states, submitted_job_ids  # noqa: E402


# one SLURM cluster for the module: under pytest-xdist its tests stay on one worker (--dist loadgroup)
pytestmark = pytest.mark.xdist_group("slurm")


@pytest.fixture(scope="module")
def cluster():
    # a node with twice this machine's CPUs, while every job asks for at most this machine's (run_profile's
    # --cores): two SLURM jobs run side by side where the DAG allows, as on a cluster of several nodes, and
    # one job's Snakemake start-up overlaps another's work. With the node's CPUs equal to the machine's,
    # every job took the whole node and the smoke run's 25 jobs ran one after the other (594 s against 424 s,
    # docs/development.md).
    with LocalSlurm(cpus=2 * len(os.sched_getaffinity(0))) as c:
        yield c


# ------------------------------------------------------------------ comparison
def _h5_content(path: Path) -> dict:
    """Datasets (dtype, shape, bytes) and attributes of an HDF5 file; header timestamps excluded."""
    import h5py

    content = {}
    with h5py.File(path, "r") as f:
        content["/"] = sorted((k, repr(v)) for k, v in f.attrs.items())

        def visit(name, obj):
            attrs = sorted((k, repr(v)) for k, v in obj.attrs.items())
            if isinstance(obj, h5py.Dataset):
                data = obj[()]
                content[name] = (str(obj.dtype), obj.shape, data.tobytes() if hasattr(data, "tobytes") else data,
                                 attrs)
            else:
                content[name] = attrs

        f.visititems(visit)
    return content


_PDF_VOLATILE = re.compile(rb"/(CreationDate|ModDate) \(D:[^)]*\)")


def _differs(a: Path, b: Path) -> str | None:
    """None if a and b hold the same deterministic content, else what differs."""
    if a.suffix == ".h5":
        return None if _h5_content(a) == _h5_content(b) else "HDF5 datasets/attributes differ"
    da, db = a.read_bytes(), b.read_bytes()
    if a.suffix == ".pdf":
        da, db = _PDF_VOLATILE.sub(b"", da), _PDF_VOLATILE.sub(b"", db)
    return None if da == db else f"bytes differ ({len(da)} vs {len(db)} bytes)"


# Files whose content is about the run, not the science: timings and log text, Table 1 (its training
# times come from the benchmark files) and the resume checkpoints (training state with wall-clock time,
# a rule param rather than an output so that it survives a killed job).
_RUN_SPECIFIC = ("logs", "benchmarks")
_RUN_SPECIFIC_FILES = re.compile(r"(tables/table1\.(csv|md)|models/[^/]+/checkpoint\.pt)$")


def _run_specific(rel: str) -> bool:
    return any(f"/{d}/" in rel for d in _RUN_SPECIFIC) or bool(_RUN_SPECIFIC_FILES.search(rel))


def _result_files(root: Path) -> dict[str, Path]:
    base = root / "results"
    return {str(p.relative_to(root)): p for p in base.rglob("*") if p.is_file()}


# ------------------------------------------------------------------ the real workflow
def test_smoke_preset_runs_under_slurm_and_matches_local(cluster, request, tmp_path):
    from conftest import copy_workflow

    # the workflow files, no results; the local run to compare with is asked for only once SLURM has
    # finished, so that under pytest-xdist another worker builds it meanwhile
    workdir = copy_workflow(tmp_path / "slurm")
    proc = run_profile(cluster, workdir, "--config", "preset=smoke")
    print(f"smoke preset under SLURM: {proc.elapsed:.1f} s", file=sys.stderr)

    # every SLURM job the executor announced ended COMPLETED
    ids = submitted_job_ids(proc.stdout + proc.stderr)
    assert ids, "no job was submitted to SLURM"
    states = slurm_states(cluster)
    assert {i: states.get(i) for i in ids} == {i: "COMPLETED" for i in ids}
    assert set(job_logs(workdir)) == set(ids), "a SLURM job without a log, or a log without a job"
    # the short jobs went in the profile's groups: one SLURM job per variant's sampling and PSD, one per
    # variant's physics samples and their observables, one per Monte Carlo reference set and its
    # observables, one for every table, figure and probe
    kinds = [log.relative_to(workdir / ".snakemake" / "slurm_logs").parts[0] for log in job_logs(workdir).values()]
    from bcgan.config import resolve

    variants = resolve({"preset": "smoke"})["models"]["variants"]
    assert kinds.count("group_variant_psd_samples_sample") == len(variants), kinds
    assert kinds.count("group_physics_physics_observables_physics_samples") == len(variants), kinds
    assert kinds.count("group_physics_physics_observables_physics_reference") == 2, kinds
    assert sum(k.startswith("group_summary_") for k in kinds) == 1, kinds
    print(f"smoke preset under SLURM: {len(ids)} SLURM jobs", file=sys.stderr)

    # every science output was produced by a COMPLETED SLURM job
    produced = outputs_by_slurm_job(cluster, workdir)
    slurm_files = _result_files(workdir)
    science = {rel for rel in slurm_files if not _run_specific(rel)}
    assert science, "the smoke preset produced no results"
    orphans = sorted(rel for rel in slurm_files if rel not in produced and not _run_specific(rel))
    assert not orphans, f"results not produced by any SLURM job: {orphans}"

    # same files as the local run, same content where outputs are deterministic
    smoke_run = request.getfixturevalue("smoke_run")
    local_files = _result_files(smoke_run)
    assert sorted(slurm_files) == sorted(local_files)
    diffs = {rel: d for rel in sorted(science) if (d := _differs(slurm_files[rel], local_files[rel]))}
    assert not diffs, f"SLURM and local results differ: {diffs}\n{_training_starts(diffs, workdir, smoke_run)}"


def _training_starts(diffs, *roots) -> str:
    """The first lines of each differing training log in both runs: initial weights and CPU, to tell
    a different initialisation from a different computation."""
    variants = sorted({m.group(1) for rel in diffs if (m := re.search(r"/models/([^/]+)/", rel))})
    lines = []
    for v in variants:
        for root in roots:
            log = root / "results" / "smoke" / "logs" / f"train_{v}.log"
            head = log.read_text().splitlines()[:2] if log.exists() else ["(no log)"]
            lines.append(f"{root.name} {v}: " + " | ".join(head))
    return "\n".join(lines)


def test_a_job_wider_than_every_node_is_refused_before_submission(cluster, tmp_path):
    """--cores above the largest node's CPUs: such a job would pend forever ("PartitionConfig"); the
    workflow says so with one line, naming the --cores to pass, before it submits anything."""
    from conftest import copy_workflow

    workdir = copy_workflow(tmp_path / "wide")
    wide = cluster.cpus + 1
    proc = run_profile(cluster, workdir, "--cores", str(wide), "--config", "preset=smoke", check=False)
    assert proc.returncode != 0
    assert (f"error: --cores {wide} (the widest SLURM job the profile submits) exceeds the {cluster.cpus} CPUs of "
            f"the largest node of this cluster: such a job would pend forever; run with --cores {cluster.cpus}"
            in proc.stderr.splitlines())
    assert not submitted_job_ids(proc.stdout + proc.stderr)


def test_cuda_without_a_gpu_request_is_refused_before_submission(cluster, tmp_path):
    """train.device: cuda with train.gpus: 0 would put the GPU jobs on nodes without a GPU: one line
    naming the key, before anything is submitted."""
    from conftest import copy_workflow

    workdir = copy_workflow(tmp_path / "cuda")
    (workdir / "cuda.yaml").write_text("train: {device: cuda, gpus: 0}\n")
    proc = run_profile(cluster, workdir, "--configfile", "config.yaml", "cuda.yaml", check=False)
    assert proc.returncode != 0
    lines = proc.stderr.splitlines()
    assert any(line.startswith("error: config train.device: cuda with train.gpus: 0") for line in lines)
    assert not submitted_job_ids(proc.stdout + proc.stderr)


# ------------------------------------------------------------------ reliability (stand-in DAGs)
RETRY_SNAKEFILE = r'''
rule all:
    input: "done.txt"

rule flaky:
    output: "done.txt"
    threads: 1
    resources: mem_mb=200, runtime=2
    shell:
        "if [ ! -e failed_once.marker ]; then touch failed_once.marker; "
        "echo 'forced failure (first attempt)' >&2; exit 1; fi; "
        "echo \"ok from SLURM job $SLURM_JOB_ID\" > {output}"
'''


def test_failed_job_is_retried_and_workflow_completes(cluster, tmp_path):
    (tmp_path / "Snakefile").write_text(RETRY_SNAKEFILE)
    proc = run_profile(cluster, tmp_path)
    ids = submitted_job_ids(proc.stdout + proc.stderr)
    assert len(ids) == 2, f"expected the failed job and its retry, got SLURM jobs {ids}"
    states = slurm_states(cluster)
    assert states[ids[0]] == "FAILED" and states[ids[1]] == "COMPLETED"
    assert (tmp_path / "done.txt").read_text() == f"ok from SLURM job {ids[1]}\n"


KILL_SNAKEFILE = r'''
rule all:
    input: "big.txt"

rule slow_writer:
    """Deliberately NOT atomic: writes half its output, then stalls (first attempt only)."""
    output: "big.txt"
    threads: 1
    resources: mem_mb=200, runtime=5
    shell:
        "echo first-half > {output}; "
        "if [ ! -e stalled.marker ]; then touch stalled.marker; sleep 300; fi; "
        "echo second-half >> {output}"
'''


def _job_pids(cluster: LocalSlurm, jobid: str) -> list[int]:
    """PIDs of the processes of one job of this cluster (slurmstepd itself excluded)."""
    out = subprocess.run(["scontrol", "listpids", jobid], env=cluster.env(), capture_output=True,
                         text=True, check=True).stdout
    pids = []
    for line in out.splitlines()[1:]:
        fields = line.split()
        if fields and fields[0].isdigit():
            pids.append(int(fields[0]))
    return pids


def test_killed_mid_write_is_rerun_not_trusted(cluster, tmp_path):
    (tmp_path / "Snakefile").write_text(KILL_SNAKEFILE)
    out = tmp_path / "big.txt"
    env = cluster.env()
    from slurm.harness import PROFILE, TEST_CLUSTER_ARGS

    ctl = subprocess.Popen([sys.executable, "-m", "snakemake", "--workflow-profile", str(PROFILE), *TEST_CLUSTER_ARGS],
                           cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not (out.exists() and (tmp_path / "stalled.marker").exists()):
            assert ctl.poll() is None and time.monotonic() < deadline, "job never started writing"
            time.sleep(0.5)
    finally:
        # the controller dies hard (no cleanup); then the job dies on the node, mid-write
        os.killpg(ctl.pid, signal.SIGKILL)
        ctl.wait()
    jobs = list(job_logs(tmp_path))
    assert len(jobs) == 1
    # Simulate a node crash / OOM kill: freeze every process of the job, then SIGKILL them all,
    # so no layer gets the chance to clean up.  (`scancel` alone is gentler: the snakemake inside
    # the job sees its step fail and deletes the partial output itself.)
    pids = _job_pids(cluster, jobs[0])
    assert pids, "no process of the SLURM job found"
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 30
    while slurm_states(cluster).get(jobs[0]) not in ("CANCELLED", "FAILED", "COMPLETED"):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert out.read_text() == "first-half\n", "expected a partial output left behind"

    # snakemake recorded the output as incomplete: without rerun-incomplete it refuses to go on ...
    plain = subprocess.run([sys.executable, "-m", "snakemake", "--dry-run"], cwd=tmp_path, env=env,
                           capture_output=True, text=True)
    assert plain.returncode != 0 and "IncompleteFilesException" in plain.stdout + plain.stderr
    assert "big.txt" in (plain.stdout + plain.stderr).split("Incomplete files:")[-1]
    # ... and the profile (rerun-incomplete: true) recomputes it; the hard-killed controller left
    # its lock behind, which `--unlock` clears (README: after a crash of the submitting process).
    run_profile(cluster, tmp_path, "--unlock")
    dry = run_profile(cluster, tmp_path, "--dry-run")
    assert re.search(r"rule slow_writer:\n\s+output: big.txt", dry.stdout)
    proc = run_profile(cluster, tmp_path)
    assert len(submitted_job_ids(proc.stdout + proc.stderr)) == 1
    assert out.read_text() == "first-half\nsecond-half\n"
