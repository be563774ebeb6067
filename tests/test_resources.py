"""Rule resources come from what jobs really used (benchmark files), with stated headroom."""

from pathlib import Path

import pytest
import yaml

from bcgan.cli import main
from bcgan.errors import UserError
from bcgan.resources import measured_resources, rule_names, rule_of

REPO = Path(__file__).resolve().parents[1]
HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def bench(path: Path, seconds: float, rss) -> Path:
    path.write_text(HEADER + f"{seconds}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t1\t1\n")
    return path


def test_every_rule_of_the_workflow_is_found():
    names = rule_names(REPO / "workflow" / "rules")
    assert {"ising_shard", "train", "psd_samples", "fig7"} <= set(names) and "all" not in names


def test_benchmark_files_map_to_the_longest_matching_rule():
    rules = ["psd", "psd_samples", "train", "ising_shard"]
    assert rule_of(Path("b/psd_samples_bcgan.tsv"), rules) == "psd_samples"
    assert rule_of(Path("b/ising_shard_12.tsv"), rules) == "ising_shard"
    assert rule_of(Path("b/psd.tsv"), rules) == "psd"
    with pytest.raises(UserError, match="no rule"):
        rule_of(Path("b/unknown.tsv"), rules)


def test_worst_job_with_headroom(tmp_path):
    files = [bench(tmp_path / "train_a.tsv", 600, 1234.5), bench(tmp_path / "train_b.tsv", 100, 3000.0),
             bench(tmp_path / "fig7.tsv", 2, "-")]  # '-': too short for a memory sample
    table = measured_resources(files, ["train", "fig7"])
    assert table["train"] == {"mem_mb": 6000, "runtime": 30}  # 2 x 3000 MB; 3 x 600 s = 30 min
    assert table["fig7"] == {"mem_mb": 500, "runtime": 5}  # the floors


def test_cli_writes_the_yaml_the_workflow_reads(tmp_path):
    out = tmp_path / "mini.yaml"
    assert main(["resources", str(bench(tmp_path / "fig2.tsv", 400, 800)), "--rules-dir",
                 str(REPO / "workflow" / "rules"), "--out", str(out)]) == 0
    assert yaml.safe_load(out.read_text()) == {"fig2": {"mem_mb": 1600, "runtime": 20}}


def test_a_broken_benchmark_file_is_named(tmp_path):
    bad = tmp_path / "fig2.tsv"
    bad.write_text("nothing useful\n")
    with pytest.raises(UserError, match="fig2.tsv"):
        measured_resources([bad], ["fig2"])


def test_every_preset_has_resources_for_every_rule():
    rules = set(rule_names(REPO / "workflow" / "rules"))
    for preset in ("smoke", "mini", "paper"):
        table = yaml.safe_load((REPO / "workflow" / "resources" / f"{preset}.yaml").read_text())
        assert set(table) == rules, (preset, sorted(rules ^ set(table)))
        assert all(r["mem_mb"] >= 500 and r["runtime"] >= 5 for r in table.values())
