"""scripts/continue-training, run here on CPU from the smoke run so that it cannot rot.

Why: it is used on a lent GPU machine in a short slot, where a broken flag wastes the slot. The
continuation must resume each checkpoint (not train afresh) with the train rule's own command.
"""

from __future__ import annotations

import csv
import subprocess
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "continue-training"


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


def test_continuation_resumes_each_checkpoint_and_trains_on(smoke_run, tmp_path):
    stage, out = tmp_path / "stage", tmp_path / "out"
    subprocess.run([str(SCRIPT), "stage", str(smoke_run), str(stage), "--preset", "smoke", "--epochs", "2",
                    "--device", "cpu", "--variants", "cgan64 ccgan"], check=True, capture_output=True, text=True)
    assert len((stage / "commands.sh").read_text().splitlines()) == 2
    subprocess.run([str(SCRIPT), "go", str(stage), str(out), "--limit", "120"], check=True, capture_output=True,
                   text=True)
    with tarfile.open(out / "continued.tgz") as tar:
        tar.extractall(tmp_path / "report", filter="data")
    report = tmp_path / "report" / "continued"
    for variant in ("cgan64", "ccgan"):
        assert "resuming" in (report / f"train_{variant}.log").read_text()
        before = _rows(smoke_run / "results" / "smoke" / "models" / variant / "progress.csv")
        after = _rows(report / variant / "progress.csv")
        assert after[0] == before[0]
        assert int(after[-1][0]) > int(before[-1][0]), "no iteration beyond the finished run's"
        kept = {r[0]: r for r in after[1:]}
        assert all(kept[r[0]] == r for r in before[1:] if r[0] in kept), "the finished run's history changed"
        assert sum(r[0] in kept for r in before[1:]) >= len(before) - 2
