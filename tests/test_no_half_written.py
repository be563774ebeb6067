"""Issue 28, the command line: nothing half-written, nothing destroyed.

Every command checks its inputs and that it can write where it is told before it writes anything; an
output folder is built under a temporary name and renamed when complete, an earlier output is never
mixed with a new one (refused, or replaced whole with --overwrite), Ctrl-C leaves nothing behind and
prints one line, and write failures and oversized images are one ``error:`` line (bcgan.io, bcgan.cli).
"""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

import bcgan
from bcgan.cli import main
from bcgan.data.shards import read_shard

T_RANGE = (0.05, 4.54)
WORKFLOW = Path(bcgan.__file__).resolve().parents[1]  # the subprocesses run the bcgan these tests import


@pytest.fixture(scope="module")
def generator(tiny_generator):
    return tiny_generator[0]


@pytest.fixture(scope="module")
def response(tmp_path_factory):
    """A response model of 16 x 16 images and the 200 real images it was fitted to."""
    d = tmp_path_factory.mktemp("r")
    assert main(["ising", "--size", "16", "--t-range", "0.05", "4.54", "--count", "200", "--seed", "1",
                 "--threads", "1", "--out", str(d / "real.h5")]) == 0
    assert main(["psd", "fit-response", str(d / "real.h5"), "--n-bins", "8", "--power-floor", "1",
                 "--threads", "1", "--out", str(d / "response.json")]) == 0
    return d / "response.json", d / "real.h5"


def generate(path, out, *args) -> int:
    return main(["generate", str(path), "--out", str(out), "--threads", "1", *map(str, args)])


def snapshot(folder: Path) -> dict:
    """Every file under ``folder`` and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def one_error(capsys, *needles) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0], err
    for needle in needles:
        assert needle in err[0], err
    return err[0]


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.glob(f".{out.name}.partial-*"))


# --- 2: an earlier output is refused, or replaced whole with --overwrite, never mixed --------------

def test_generate_never_mixes_two_runs_in_one_folder(generator, response, tmp_path, capsys):
    out = tmp_path / "out"
    assert generate(generator, out, "--temperature", "1.5", "2.27", "--count", "3", "--response", response[0]) == 0
    first = snapshot(out)
    assert "estimates.csv" in first and sum(k.startswith("images/") for k in first) == 6
    capsys.readouterr()
    # a second run into the same folder: refused with one line naming it, the first run untouched
    assert generate(generator, out, "--temperature", "2.0", "--count", "2") == 2
    one_error(capsys, str(out), "--overwrite")
    assert snapshot(out) == first
    # --overwrite replaces it whole: no estimates.csv of the first run beside the second run's images
    assert generate(generator, out, "--temperature", "2.0", "--count", "2", "--overwrite") == 0
    second = snapshot(out)
    assert sorted(second) == ["contact_sheet.png", "images/T2.0000_0000.png", "images/T2.0000_0001.png",
                              "samples.h5"]
    assert read_shard(out / "samples.h5")["images"].shape[0] == 2 and leftovers(out) == []


def test_overwrite_never_replaces_a_folder_this_command_did_not_write(generator, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    assert generate(generator, out, "--temperature", "2.0", "--count", "1", "--overwrite") == 2
    one_error(capsys, str(out), "thesis.tex")
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]
    # an empty folder is fine
    (tmp_path / "empty").mkdir()
    assert generate(generator, tmp_path / "empty", "--temperature", "2.0", "--count", "1") == 0
    assert (tmp_path / "empty" / "samples.h5").exists()


# --- 3: bad --response / --heldout: one line, nothing written ----------------------------------

@pytest.mark.parametrize("case", ["missing", "truncated", "wrong shape", "other L", "text", "heldout text"])
def test_bad_response_or_heldout_writes_nothing(generator, response, tmp_path, capsys, case):
    good = response[0]
    bad = tmp_path / "bad.json"
    args = ["--response", bad]
    if case == "truncated":
        bad.write_text(good.read_text()[:300])
    elif case == "wrong shape":
        bad.write_text("[1, 2]")
    elif case == "other L":
        doc = json.loads(good.read_text())
        doc["meta"]["L"] = 32
        bad.write_text(json.dumps(doc))
    elif case == "text":
        bad.write_text("hello\n")
    elif case == "heldout text":
        bad.write_text("hello\n")
        args = ["--response", good, "--heldout", bad]
    assert generate(generator, tmp_path / "out", "--temperature", "2.0", "--count", "2", *args) == 2
    one_error(capsys, str(bad))
    assert not (tmp_path / "out").exists() and leftovers(tmp_path / "out") == []


# --- 4: Ctrl-C: one line, exit 130, no partial output; kill -9 leftovers removed by the next run ---

def _start(generator, out, *extra):
    # the child gets SIGINT's default disposition: a pytest-xdist worker can run this test with SIGINT
    # ignored (left so by an earlier test), and Python started with SIGINT ignored never raises
    # KeyboardInterrupt, so the run would finish with 0 (seen twice in full suite runs)
    env = dict(os.environ, PYTHONPATH=str(WORKFLOW) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-m", "bcgan", "generate", str(generator), "--temperature", "1", "2",
                             "--count", "8000", "--threads", "1", "--out", str(out), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for_writing(proc, out: Path) -> None:
    """Until the command writes PNGs into its output (its temporary folder, or a new folder itself)."""
    deadline, fresh = time.monotonic() + 120, not out.exists()
    while proc.poll() is None and time.monotonic() < deadline:
        if any(out.parent.glob(f".{out.name}.partial-*/images/*.png")) or (fresh and any(out.glob("images/*.png"))):
            return
        time.sleep(0.01)
    raise AssertionError(f"never started writing (rc {proc.poll()})")


def test_ctrl_c_leaves_no_partial_output_and_prints_one_line(generator, tmp_path, capsys):
    out = tmp_path / "out"
    proc = _start(generator, out)
    _wait_for_writing(proc, out)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert "Traceback" not in err and len(lines) == 1 and lines[0].startswith("interrupted"), err
    assert not out.exists() and leftovers(out) == []
    # an earlier output replaced with --overwrite and interrupted: the earlier output stays as it was
    assert generate(generator, out, "--temperature", "2.0", "--count", "2") == 0
    before = snapshot(out)
    proc = _start(generator, out, "--overwrite")
    _wait_for_writing(proc, out)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130 and snapshot(out) == before and leftovers(out) == []


def test_a_killed_runs_temporary_folder_is_removed_by_the_next_run(generator, tmp_path, capsys):
    out = tmp_path / "out"
    proc = _start(generator, out)
    _wait_for_writing(proc, out)
    proc.kill()
    proc.communicate(timeout=60)
    assert not out.exists() or not any(out.iterdir())  # never a partial folder under the final name
    assert leftovers(out)
    assert generate(generator, out, "--temperature", "2.0", "--count", "2") == 0
    assert leftovers(out) == [] and len(list((out / "images").iterdir())) == 2


# --- 5: write failures are one line, before the work ---------------------------------------------

def test_write_failures_are_one_line(generator, tmp_path, capsys):
    a_file, a_folder = tmp_path / "file.txt", tmp_path / "folder.h5"
    a_file.write_text("keep me")
    a_folder.mkdir()
    assert generate(generator, a_file, "--temperature", "2.0", "--count", "1") == 2
    one_error(capsys, str(a_file), "not a folder")
    assert a_file.read_text() == "keep me"
    assert main(["psd", "table", str(generator.parent), "--out", str(a_folder)]) == 2  # checked before the input
    one_error(capsys, str(a_folder), "is a folder")
    started = time.monotonic()
    for out in (a_folder, a_file / "x.h5"):  # refused before the simulation, not after it
        assert main(["ising", "--size", "64", "--t-range", "1", "2", "--count", "5000", "--seed", "1",
                     "--threads", "1", "--out", str(out)]) == 2
        one_error(capsys, str(out))
    assert time.monotonic() - started < 5 and a_file.read_text() == "keep me"


# every command that writes files checks its outputs first (bcgan.cli.check_outputs): a folder given as
# the output file is one line naming it, before any input is read (the inputs here do not exist)
WRITERS = {
    "psd fit-response": "psd fit-response {m}.h5 --out {o}",
    "psd accuracy": "psd accuracy --response {m}.json --heldout {m}.h5 --out {o}",
    "sample": "sample --generator {m}.pt --t-range 1 2 --n-temperatures 2 --per-temperature 1 --seed 1 --out {o}",
    "study cell": "study cell --generator {m}.pt --arm bcgan --labels uniform --seed 1 --shards {m}.h5 "
                  "--response {m}.json --eval-temperatures 2 --eval-per-temperature 2 --eval-seed 1 "
                  "--epsilons 0.1 --epsilon-rows 1 --physics-per-temperature 2 --physics-bootstrap 2 --out {o}",
    "study ceiling": "study ceiling --heldout {m}.h5 --shards {m}.h5 --response {m}.json --eval-temperatures 2 "
                     "--eval-per-temperature 2 --eval-seed 1 --out {o}",
    "physics": "physics --images {m}.h5 --out {o}",
    "table physics": "table physics --real {m}.csv --floor {m}.csv --models {m}.csv --out-csv {x}.csv --out-md {o}",
    "figure physics": "figure physics --real {m}.csv --models {m}.csv --pdf {o} --png {x}.png",
    "study summary": "study summary {m}.json --out-csv {x}.csv --out-md {x}.md --pdf {x}.pdf --png {o}",
    "table metrics": "table metrics --samples {m}.h5 --psd {m}.csv --response {m}.json --accuracy {m}.csv "
                     "--heldout {m}.h5 --out-csv {x}.csv --out-md {o}",
    "figure fig7": "figure fig7 --magnetization {m}.csv --shards {m}.h5 --temperatures 1 --pdf {o} --png {x}.png",
    "analyse activity": "analyse activity --generator {m}.pt --points 8 --dead-range 1e-3 --out {x}.h5 "
                        "--summary {o}",
    "explorer": "explorer --samples {m}.h5 --psd {m}.csv --heldout {m}.h5 --response {m}.json --out {o}",
    "train regressor": "train regressor {m}.h5 --t-range 1 2 --out {o}",
    "train gan": "train gan {m}.h5 --variant bcgan --t-range 1 2 --g-channels 8 --d-channels 8 --z-dim 8 "
                 "--generator {x}.pt --losses {x}.csv --loss-curve {x}.png --checkpoint {o}",
    "dataset manifest": "dataset manifest {m}.h5 --out {o}",
}


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_every_writer_checks_its_outputs_before_its_inputs(tmp_path, capsys, command):
    folder = tmp_path / "a folder"
    folder.mkdir()
    argv = WRITERS[command].format(m=tmp_path / "missing", x=tmp_path / "out", o="@").split()
    assert main([str(folder) if a == "@" else a for a in argv]) == 2
    one_error(capsys, str(folder), "is a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a folder"]


def test_read_only_folders_are_one_line_before_the_work(generator, tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        try:
            (ro / "probe").touch()
        except PermissionError:
            pass
        else:
            pytest.skip("this user writes into read-only folders (root with CAP_DAC_OVERRIDE)")
        assert generate(generator, ro / "out", "--temperature", "2.0", "--count", "1") == 1  # a failed write: 1
        one_error(capsys, str(ro), "not writable")
        assert main(["psd", "table", str(generator), "--out", str(ro / "t.csv")]) == 1
        one_error(capsys, str(ro), "not writable")
        assert main(["ising", "--size", "64", "--t-range", "1", "2", "--count", "5000", "--seed", "1",
                     "--threads", "1", "--out", str(ro / "x.h5")]) == 1
        one_error(capsys, str(ro), "not writable")
    finally:
        ro.chmod(0o755)


def test_a_failing_write_is_one_line_naming_the_file(tmp_path, capsys, monkeypatch):
    """A write that fails while the command runs (disk full, permissions changed): one line, the file named."""
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    assert main(["ising", "--size", "8", "--temperatures", "2", "--seed", "1", "--threads", "1",
                 "--out", str(tmp_path / "x.h5")]) == 1  # a failed write: exit code 1 (docs/commands.md)
    one_error(capsys, str(tmp_path / "x.h5"), "No space left on device")
    assert list(tmp_path.iterdir()) == []


# --- 6: oversized images -----------------------------------------------------------------------

def _png_header(path: Path, width: int, height: int) -> None:
    """A PNG that declares width x height pixels (PIL checks the size when it opens the file)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * (width + 1))) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [14000, 5000])
def test_an_oversized_png_is_one_line(tmp_path, capsys, side):
    _png_header(tmp_path / "big.png", side, side)
    assert main(["psd", "table", str(tmp_path / "big.png"), "--out", str(tmp_path / "t.csv")]) == 2
    one_error(capsys, "big.png", "too large" if side > 10000 else f"{side}x{side}")
    assert not (tmp_path / "t.csv").exists()


# --- 8: a foreign training checkpoint is refused and left alone ---------------------------------

def test_a_foreign_checkpoint_is_refused_and_never_overwritten(tmp_path, capsys):
    from conftest import labelled_images

    from bcgan.data.shards import write_shard

    images, t = labelled_images(16, 16, T_RANGE)
    shard = tmp_path / "shard.h5"
    write_shard(shard, images=images, temperature=t, seed=np.arange(16, dtype=np.uint64), energy=np.zeros(16),
                magnetization=np.zeros(16), steps=1, algorithm="test")

    def train(variant, out):
        return main(["train", "gan", str(shard), "--variant", variant, "--t-range", "0.05", "4.54",
                     "--g-channels", "8", "--d-channels", "8", "--z-dim", "8", "--epochs", "1", "--batch-size", "8",
                     "--seed", "1", "--threads", "1", "--no-progress", "--generator", str(out / "generator.pt"),
                     "--losses", str(out / "losses.csv"), "--loss-curve", str(out / "curve.png"),
                     "--checkpoint", str(tmp_path / "cgan64" / "checkpoint.pt")])

    assert train("cgan64", tmp_path / "cgan64") == 0
    checkpoint = (tmp_path / "cgan64" / "checkpoint.pt").read_bytes()
    capsys.readouterr()
    assert train("bcgan", tmp_path / "bcgan") == 2
    one_error(capsys, str(tmp_path / "cgan64" / "checkpoint.pt"), "cgan64", "not of this bcgan training")
    assert (tmp_path / "cgan64" / "checkpoint.pt").read_bytes() == checkpoint
    assert not (tmp_path / "bcgan").exists()


# --- 10: temperatures: finite positive float32 values, names that read back -------------------

@pytest.mark.parametrize("value, message", [("1e-50", "--temperature 1e-50: underflows float32"),
                                            ("1e39", "--temperature 1e+39: overflows float32"),
                                            ("0", "--temperature 0: temperatures must be finite and > 0")])
def test_temperatures_that_are_no_float32_value_are_refused_by_value(generator, tmp_path, capsys, value, message):
    assert generate(generator, tmp_path / "out", "--temperature", "2", value, "--count", "1") == 2
    one_error(capsys, message)
    assert not (tmp_path / "out").exists()


def test_file_names_carry_every_temperature_readably_and_read_back(generator, tmp_path, capsys):
    temps = ["1e-30", "0.05", "2.1", "1.00001", "1e30"]
    assert generate(generator, tmp_path / "out", "--temperature", *temps, "--count", "1") == 0
    names = sorted(p.name for p in (tmp_path / "out" / "images").iterdir())
    assert names == ["T0.0500_0001.png", "T1.00001_0003.png", "T1e+30_0004.png", "T1e-30_0000.png",
                     "T2.1000_0002.png"]
    stored = read_shard(tmp_path / "out" / "samples.h5")["temperature"]
    np.testing.assert_array_equal(stored, np.array(temps, np.float64).astype(np.float32))
    # `bcgan psd table` reads the temperature back from every one of these names
    assert main(["psd", "table", str(tmp_path / "out" / "images"), "--out", str(tmp_path / "t.csv")]) == 0
    import pandas as pd

    table = pd.read_csv(tmp_path / "t.csv")
    read = dict(zip(table["file"].map(lambda f: Path(f).name), table["temperature"]))
    for name, t in zip(["T1e-30_0000.png", "T0.0500_0001.png", "T2.1000_0002.png", "T1.00001_0003.png",
                        "T1e+30_0004.png"], stored):
        assert np.float32(read[name]) == t, name


# --- issue 37: full disks, SIGTERM, links, huge counts, folder modes ----------------------------

def _run_child(*argv, file_limit=None, cwd=None):
    """`python -m bcgan ARGV` in a child; with ``file_limit`` its files may not grow past that many bytes
    (RLIMIT_FSIZE, SIGXFSZ ignored: a write gets EFBIG, as on a full disk, without root or a small disk)."""
    import resource

    def limits():
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if file_limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    env = dict(os.environ, PYTHONPATH=str(WORKFLOW) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-m", "bcgan", *map(str, argv)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=cwd, preexec_fn=limits)


def _one_line(err: str, *needles) -> None:
    """One error line besides the log's timestamped lines."""
    lines = [line for line in err.strip().splitlines() if not line[:4].isdigit()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    assert all(n in lines[0] for n in needles), err


def test_a_full_disk_during_an_hdf5_write_is_one_line_and_exit_1(generator, tmp_path):
    """HDF5 onto a full disk printed cascades of tracebacks and ended in a segmentation fault."""
    out = tmp_path / "d.h5"
    proc = _run_child("ising", "--size", "16", "--t-range", "0.05", "4.54", "--count", "3000", "--seed", "1",
                      "--threads", "1", "--out", out, file_limit=100_000)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    _one_line(err, str(out), "File too large")
    assert list(tmp_path.iterdir()) == []
    gen = tmp_path / "gen"
    proc = _run_child("generate", generator, "--temperature", "2.1", "--count", "48", "--threads", "1",
                      "--out", gen, file_limit=3_000)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    _one_line(err, str(gen), "File too large")
    assert list(tmp_path.iterdir()) == []


def test_sigterm_leaves_nothing_and_a_killed_runs_temporary_file_goes_with_the_next_run(tmp_path):
    out = tmp_path / "big.h5"
    proc = _run_child("ising", "--size", "64", "--t-range", "0.05", "4.54", "--count", "100000", "--seed", "1",
                      "--threads", "1", "--out", out)
    time.sleep(3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    lines = [line for line in err.strip().splitlines() if not line[:4].isdigit()]
    assert proc.returncode == 143 and len(lines) == 1 and lines[0].startswith("interrupted"), err
    assert list(tmp_path.iterdir()) == []
    # a temporary file of a run that died mid-write (kill -9): removed by the next writer of that file
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f".big.h5.partial-{dead.pid}-x1y2.tmp.h5"
    stale.write_bytes(b"half")
    assert main(["ising", "--size", "8", "--temperatures", "2", "--seed", "1", "--threads", "1", "--out",
                 str(out)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.h5"]


def test_overwrite_on_a_symbolic_link_is_refused_and_leaves_nothing_behind(generator, tmp_path, capsys):
    """Renaming replaced the link by a folder, kept the old images in its target and left `-old` for good."""
    target, link = tmp_path / "target", tmp_path / "link"
    assert generate(generator, target, "--temperature", "2.0", "--count", "2") == 0
    link.symlink_to(target)
    before = snapshot(target)
    assert generate(generator, link, "--temperature", "2.0", "--count", "3", "--overwrite") == 2
    one_error(capsys, str(link), "symbolic link", str(target))
    assert link.is_symlink() and snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "target"]


def test_an_output_folder_gets_the_umasks_mode(generator, tmp_path):
    """mkdtemp makes its folder 0700; the output folder it becomes was left so."""
    old = os.umask(0o022)
    try:
        assert generate(generator, tmp_path / "out", "--temperature", "2.0", "--count", "1") == 0
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755


@pytest.mark.parametrize("command", ["generate", "sample", "ising"])
def test_a_count_beyond_the_machines_memory_is_one_line(generator, tmp_path, capsys, command):
    """--count 100000000000 ended in numpy's ArrayMemoryError traceback (issue 37)."""
    huge = "100000000000"
    argv = {"generate": ["generate", str(generator), "--temperature", "2.1", "--count", huge,
                         "--out", str(tmp_path / "x")],
            "sample": ["sample", "--generator", str(generator), "--t-range", "1", "2", "--n-temperatures", "2",
                       "--per-temperature", huge, "--seed", "1", "--out", str(tmp_path / "s.h5")],
            "ising": ["ising", "--size", "16", "--t-range", "0.05", "4.54", "--count", huge, "--seed", "1",
                      "--out", str(tmp_path / "d.h5")]}[command]
    assert main(argv) == 2
    one_error(capsys, "100,000,000,000" if command != "sample" else "200,000,000,000", "GiB of memory")
    assert list(tmp_path.iterdir()) == []
