"""Run snakemake through the repo's SLURM profile on a `LocalSlurm`, and audit what SLURM did.

Why: "the workflow ran under SLURM" must be checked from SLURM's side, not
assumed from snakemake's exit code.  Every job of the plugin leaves a log
`.snakemake/slurm_logs/<rule_or_group>/<wildcards>/<slurm_jobid>.log` (kept
with --slurm-keep-successful-logs) holding the inner snakemake run with the
job's `output:` list; `squeue --states=all` (MinJobAge=3600 on the test
cluster) knows each SLURM job's final state.  A file counts as produced by
SLURM only if it is an output listed in the log of a job SLURM reports
COMPLETED.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from .cluster import LocalSlurm

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "profiles" / "slurm"

# Settings a real cluster does not need but the throw-away one does (see cluster.py):
# no accounting database -> poll with squeue, no account; fast first status check;
# keep every job log so the audit can read it.
TEST_CLUSTER_ARGS = (
    "--slurm-no-account",
    "--slurm-status-command", "squeue",
    "--slurm-init-seconds-before-status-checks", "1",
    "--slurm-keep-successful-logs",
)


def run_profile(cluster: LocalSlurm, workdir: Path, *args: str, timeout: float = 600,
                check: bool = True) -> subprocess.CompletedProcess:
    """`snakemake --workflow-profile profiles/slurm ...` in workdir, against `cluster`."""
    env = cluster.env(dict(os.environ, PYTHONHASHSEED="0"))
    # this machine's CPUs bound every job, group jobs included (the profile's `cores:` is for real nodes);
    # the test node may advertise more, so that jobs run side by side (tests/test_slurm.py)
    cores = min(cluster.cpus, len(os.sched_getaffinity(0)))
    cmd = [sys.executable, "-m", "snakemake", "--workflow-profile", str(PROFILE), *TEST_CLUSTER_ARGS,
           "--cores", str(cores), *args]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
    proc.elapsed = time.monotonic() - t0
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n"
                             f"{proc.stderr[-8000:]}\n{cluster.logs()[-3000:]}")
    return proc


def slurm_states(cluster: LocalSlurm) -> dict[str, str]:
    """SLURM job id -> final/current state, as the controller reports it."""
    out = subprocess.run(["squeue", "--states=all", "--noheader", "--format=%i|%T"], env=cluster.env(),
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split("|", 1) for line in out.split() if "|" in line)


_OUTPUT_RE = re.compile(r"^\s+output: (.+)$", re.M)


def job_logs(workdir: Path) -> dict[str, Path]:
    """SLURM job id -> its plugin log file."""
    logs = {}
    for log in (workdir / ".snakemake" / "slurm_logs").rglob("*.log"):
        if log.stem.isdigit():
            logs[log.stem] = log
    return logs


def outputs_by_slurm_job(cluster: LocalSlurm, workdir: Path) -> dict[str, str]:
    """Output file (relative to workdir) -> id of the COMPLETED SLURM job whose log lists it."""
    states = slurm_states(cluster)
    produced = {}
    for jobid, log in job_logs(workdir).items():
        if states.get(jobid) != "COMPLETED":
            continue
        text = log.read_text(errors="replace")
        if "(100%) done" not in text:
            continue
        for m in _OUTPUT_RE.finditer(text):
            for path in m.group(1).split(", "):
                produced[path.strip()] = jobid
    return produced


def submitted_job_ids(stdout_stderr: str) -> list[str]:
    """SLURM job ids announced by the executor ('... submitted with SLURM jobid N ...')."""
    return re.findall(r"submitted with SLURM jobid (\d+)", stdout_stderr)
