"""A real, throw-away single-node SLURM cluster on localhost for tests.

Why: the workflow must submit to SLURM through `workflow/profiles/slurm`
without rule changes, and a mock cannot catch what real `sbatch`/`squeue`
reject (memory above the node's RealMemory, unknown GRES, bad time limits,
job-state polling).  `LocalSlurm` writes its own munge key, `slurm.conf` and
`gres.conf` into a private temp directory, starts `munged`, `slurmctld` and
`slurmd` in the foreground (so the PIDs we hold are the daemons themselves),
waits until the node is idle, and on exit cancels the jobs of *this* cluster
and stops exactly the PIDs it started - nothing is looked up by name.

Clients (`sbatch`, `squeue`, and therefore snakemake's slurm executor) find
this cluster through `SLURM_CONF`; use `cluster.env()` for subprocesses.

Requirements (checked by `skip_reason()`): Linux, root (slurmd must run as
root to launch jobs; munged and the daemons are run as root here), and the
Debian `slurm-wlm` + `munge` binaries (`.ci/slurm-setup` installs them).

Accounting is disabled (`accounting_storage/none`), so `sacct` does not work;
the executor must poll with `squeue` (`slurm-status-command: squeue`) and
submit without an account (`slurm-no-account: true`).  `MinJobAge` is 3600 s
so finished jobs stay visible to `squeue` long enough.

The node also advertises one fake GPU (`Gres=gpu:1`, gres.conf
`File=/dev/null`) so rules that request `gpu=1` are accepted and scheduled;
nothing on the node is a real GPU, so such jobs run on CPU.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED_BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol", "scancel")


def skip_reason() -> str | None:
    """Return why a real SLURM cannot be started here, or None if it can."""
    if not hasattr(os, "geteuid"):
        return "real-SLURM test needs a POSIX system"
    if os.geteuid() != 0:
        return "real-SLURM test needs root (slurmd launches jobs as root here); run .ci/slurm-setup as root"
    missing = [b for b in REQUIRED_BINARIES if shutil.which(b) is None]
    if missing:
        return ("slurm/munge binaries missing: " + ", ".join(missing)
                + " (install with .ci/slurm-setup: apt-get install slurm-wlm munge)")
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mem_total_mb() -> int:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    raise RuntimeError("MemTotal not found in /proc/meminfo")


@dataclass
class LocalSlurm:
    """Single-node SLURM on 127.0.0.1; a context manager.

    cpus/real_memory_mb default to this machine's (nproc, MemTotal - 512 MB);
    `gpus` fake count-only GPUs are advertised as GRES `gpu`.
    """

    cpus: int | None = None
    real_memory_mb: int | None = None
    gpus: int = 1
    partition: str = "debug"
    startup_timeout_s: float = 60.0
    root: Path | None = None
    _procs: dict = field(default_factory=dict, repr=False)
    _owns_root: bool = field(default=False, repr=False)

    # ----------------------------------------------------------------- setup
    def __post_init__(self):
        if self.gpus not in (0, 1):
            raise ValueError("LocalSlurm fakes at most one GPU (gres.conf File=/dev/null)")
        self.cpus = self.cpus or len(os.sched_getaffinity(0))
        self.real_memory_mb = self.real_memory_mb or max(1024, _mem_total_mb() - 512)
        self.hostname = socket.gethostname().split(".")[0]

    @property
    def conf_path(self) -> Path:
        return self.root / "slurm.conf"

    def env(self, base: dict | None = None) -> dict:
        """Environment for clients of this cluster: SLURM_CONF set, shim bin/ first on PATH."""
        env = dict(os.environ if base is None else base)
        env["SLURM_CONF"] = str(self.conf_path)
        env["PATH"] = f"{self.root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return env

    def _write_config(self):
        r = self.root
        for sub in ("state", "spool", "log", "munge", "bin"):
            (r / sub).mkdir(mode=0o700, exist_ok=True)
        # munged wants its socket directory traversable by every client uid
        (r / "munge").chmod(0o711)
        r.chmod(0o711)
        key = r / "munge" / "munge.key"
        with open(key, "wb", opener=lambda p, f: os.open(p, f, 0o400)) as fh:
            fh.write(secrets.token_bytes(1024))
        self.munge_socket = r / "munge" / "munge.socket"
        self.ctld_port, self.slurmd_port = _free_port(), _free_port()
        h = self.hostname
        gres_node = f" Gres=gpu:{self.gpus}" if self.gpus else ""
        conf = f"""\
# generated by tests/slurm/cluster.py - throw-away single-node cluster
ClusterName=bcgantest
SlurmctldHost={h}(127.0.0.1)
SlurmctldPort={self.ctld_port}
SlurmdPort={self.slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
StateSaveLocation={r / 'state'}
SlurmdSpoolDir={r / 'spool'}
SlurmctldPidFile={r / 'slurmctld.pid'}
SlurmdPidFile={r / 'slurmd.pid'}
SlurmctldLogFile={r / 'log' / 'slurmctld.log'}
SlurmdLogFile={r / 'log' / 'slurmd.log'}
SlurmdParameters=config_overrides
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
KillWait=5
InactiveLimit=0
SchedulerType=sched/backfill
GresTypes=gpu
NodeName={h} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.real_memory_mb}{gres_node} State=UNKNOWN
PartitionName={self.partition} Nodes={h} Default=YES MaxTime=INFINITE State=UP
"""
        self.conf_path.write_text(conf)
        # snakemake-executor-plugin-slurm-jobstep 0.6.1 strips every SLURM_* variable,
        # SLURM_CONF included, before its nested `srun`; a site with /etc/slurm/slurm.conf
        # never notices, our private config would be lost.  A PATH shim re-supplies it
        # (only inside this cluster's environment; nothing global is touched).
        (r / "bin").mkdir(exist_ok=True)
        for tool in ("srun", "sbatch", "squeue", "scancel", "scontrol", "sinfo"):
            shim = r / "bin" / tool
            shim.write_text(f'#!/bin/sh\nSLURM_CONF="${{SLURM_CONF:-{self.conf_path}}}" '
                            f'exec {shutil.which(tool)} "$@"\n')
            shim.chmod(0o755)
        # A count-only gres/gpu is reported as 0 by slurmd 22.05 (node goes INVAL);
        # one device-file entry is accepted, so the fake GPU is backed by /dev/null.
        gres = f"NodeName={h} Name=gpu File=/dev/null\n" if self.gpus else ""
        (r / "gres.conf").write_text(gres)

    # ------------------------------------------------------------- processes
    def _spawn(self, name: str, argv: list[str]):
        log = open(self.root / "log" / f"{name}.stdout", "wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env(),
                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self._procs[name] = proc
        return proc

    def _wait(self, what: str, check, timeout: float | None = None):
        deadline = time.monotonic() + (timeout or self.startup_timeout_s)
        while time.monotonic() < deadline:
            for name, proc in self._procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} (pid {proc.pid}) exited with {proc.returncode} "
                                       f"while waiting for {what}\n{self.logs()}")
            if check():
                return
            time.sleep(0.25)
        raise TimeoutError(f"timed out waiting for {what}\n{self.logs()}")

    def _run(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=30)

    def start(self) -> "LocalSlurm":
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix="bcgan-slurm-"))
            self._owns_root = True
        self.root = Path(self.root)
        self._write_config()
        try:
            m = self.root / "munge"
            self._spawn("munged", ["munged", "--foreground", "--force",
                                   f"--socket={self.munge_socket}", f"--key-file={m / 'munge.key'}",
                                   f"--pid-file={m / 'munged.pid'}", f"--log-file={self.root / 'log' / 'munged.log'}",
                                   f"--seed-file={m / 'munged.seed'}"])
            self._wait("munged socket", self.munge_socket.exists)
            self._spawn("slurmctld", ["slurmctld", "-D", "-i", "-f", str(self.conf_path)])
            self._wait("slurmctld", lambda: self._run("scontrol", "ping").returncode == 0
                       and "UP" in self._run("scontrol", "ping").stdout)
            self._spawn("slurmd", ["slurmd", "-D", "-N", self.hostname, "-f", str(self.conf_path)])
            self._wait("node idle", self._node_idle)
        except BaseException:
            self.stop()
            raise
        return self

    def _node_idle(self) -> bool:
        out = self._run("sinfo", "--noheader", "--Node", "--format=%N %t").stdout.split()
        if len(out) >= 2 and out[1].rstrip("*~#!%$@^-") in ("drain", "drng", "inval", "fail"):
            reason = self._run("sinfo", "--noheader", "--Node", "--format=%E").stdout.strip()
            raise RuntimeError(f"node {out[0]} is {out[1]}: {reason}\n{self.logs()}")
        return len(out) >= 2 and out[1] == "idle"

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self._procs.items()}

    def logs(self) -> str:
        parts = []
        for f in sorted((self.root / "log").glob("*")) if self.root else []:
            try:
                txt = f.read_text(errors="replace")[-3000:]
            except OSError:
                continue
            parts.append(f"--- {f.name} (tail) ---\n{txt}")
        return "\n".join(parts)

    def stop(self):
        """Cancel this cluster's jobs, then stop exactly the daemons we started (reverse order)."""
        if "slurmctld" in self._procs and self._procs["slurmctld"].poll() is None:
            try:
                self._run("scancel", "--full", "--user=root")
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline and self._run(
                        "squeue", "--noheader", "--states=RUNNING,COMPLETING,PENDING,CONFIGURING").stdout.strip():
                    time.sleep(0.5)
            except (subprocess.SubprocessError, OSError):
                pass
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self._procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self._procs.clear()
        if self._owns_root and self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "LocalSlurm":
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
