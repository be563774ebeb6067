"""The scale table (bcgan.study.scale): claims and factors read from two real study summaries, and the
study's rule for a real difference (|Δ| beyond the sds added) applied across scales."""

from __future__ import annotations

import subprocess
import sys

import pytest
from test_study import _cell

from bcgan.errors import UserError
from bcgan.study.cells import summarise
from bcgan.study.scale import collapse_rows, compare, read_summary


def _summary(tmp_path, name, values: dict, labels="uniform"):
    """A `bcgan study summary` CSV of cells whose every metric is ``values[arm][seed index]``."""
    cells = [_cell(arm, labels, seed, v) for arm, vs in values.items() for seed, v in enumerate(vs, start=1)]
    path = tmp_path / f"{name}.csv"
    summarise(cells).to_csv(path, index=False)
    return path


def _row(rows, question, measure):
    return next(r for r in rows if r["question"] == question and r["measure"] == measure)


def test_a_claim_moves_only_beyond_the_two_scales_spread_and_says_which_way(tmp_path):
    small = read_summary(_summary(tmp_path, "a", {"bcgan": [0.1, 0.2, 0.3], "ccgan": [1.0, 1.0, 1.0]}), "uniform")
    # bcgan: 0.2 ± 0.1 → 0.6 ± 0.1 (Δ 0.4 beyond 0.2); ccgan: 1.0 ± 0 → 1.05 ± 0.15 (Δ 0.05 inside 0.15)
    large = read_summary(_summary(tmp_path, "b", {"bcgan": [0.5, 0.6, 0.7], "ccgan": [0.9, 1.05, 1.2]}), "uniform")
    rows = compare(small, large)
    follows = _row(rows, "C1 BcGAN follows T", "spearman_all")
    assert follows["32²"] == "0.20 ± 0.10" and follows["64²"] == "0.60 ± 0.10" and follows["seeds"] == "3 / 3"
    assert follows["verdict"] == "towards the paper"  # the paper: BcGAN follows T, so a higher Spearman
    assert _row(rows, "C1 BcGAN follows T", "mae_all")["verdict"] == "away from the paper"  # T-MAE rose
    assert _row(rows, "C2 CcGAN mode-collapses (above Tc)", "diversity_flip_above")["verdict"] == "inside the spread"
    # rows whose arms a summary lacks are left out, not filled
    assert not any("bcgan-proj" in r["arms"] for r in rows)


def test_a_comparison_moves_where_its_verdict_changes_between_the_scales(tmp_path):
    small = read_summary(_summary(tmp_path, "a", {"ccgan": [0.9, 1.0, 1.1], "bcgan": [0.0, 0.1, 0.2]}), "uniform")
    large = read_summary(_summary(tmp_path, "b", {"ccgan": [0.5, 0.6, 0.7], "bcgan": [0.4, 0.8, 1.2]}), "uniform")
    c2 = _row(compare(small, large), "C2 CcGAN follows T worse than BcGAN", "spearman_all")
    assert c2["32²"] == "Δ +0.90: higher"  # 0.9 > 0.1 + 0.1
    assert c2["64²"] == "Δ -0.20: same"  # 0.2 < 0.1 + 0.4
    assert c2["verdict"] == "towards the paper" and c2["seeds"] == "3, 3 / 3, 3"
    same = _row(compare(small, small), "C2 CcGAN follows T worse than BcGAN", "spearman_all")
    assert same["verdict"] == "unchanged"
    back = _row(compare(large, small), "C2 CcGAN follows T worse than BcGAN", "spearman_all")
    assert back["verdict"] == "away from the paper"


def test_one_seed_is_judged_against_the_other_scales_spread_alone(tmp_path):
    small = read_summary(_summary(tmp_path, "a", {"bcgan": [0.1, 0.2, 0.3]}), "uniform")
    large = read_summary(_summary(tmp_path, "b", {"bcgan": [0.35]}), "uniform")
    row = _row(compare(small, large), "C1 BcGAN follows T", "spearman_all")
    assert row["64²"] == "0.35 (1 seed)" and row["seeds"] == "3 / 1"
    assert row["verdict"] == "towards the paper"  # 0.15 > 0.1 + 0
    # a comparison with one seed at 64²: each arm borrows its 32² sd, so Δ 0.30 is not beyond 0.1 + 0.3
    small = read_summary(_summary(tmp_path, "c", {"bcgan": [0.1, 0.2, 0.3], "bcgan-proj": [0.0, 0.3, 0.6]}), "uniform")
    large = read_summary(_summary(tmp_path, "d", {"bcgan": [0.1], "bcgan-proj": [0.4]}), "uniform")
    d = _row(compare(small, large), "projection D cures BcGAN's collapse", "diversity_flip")
    assert d["64²"] == "Δ +0.300: same" and d["verdict"] == "unchanged"  # not 0.3 > 0 + 0
    small = read_summary(_summary(tmp_path, "a", {"bcgan": [0.1, 0.2, 0.3]}), "uniform")
    large = read_summary(_summary(tmp_path, "b", {"bcgan": [0.35]}), "uniform")
    small["bcgan"]["mae_all_mean"] = float("nan")  # no seed gave a value: said, not compared
    assert _row(compare(small, large), "C1 BcGAN follows T", "mae_all")["verdict"].startswith("no value")
    eps = _row(compare(small, large), "C5 ε = 1e-6 at Tc changes little (BcGAN)", "changed_1e-06")
    assert eps["32²"] == "0.00 ± 0.00 %"  # _cell: no pixel changes at 1e-6


def test_collapsed_seeds_are_counted_per_region_at_both_scales(tmp_path):
    small = read_summary(_summary(tmp_path, "a", {"bcgan": [1.0, 3.0], "ccgan": [5.0]}), "uniform")
    large = read_summary(_summary(tmp_path, "b", {"bcgan": [1.0], "cgan64": [5.0]}), "uniform")
    # _cell's Monte Carlo diversity is 4.0 everywhere: collapsed below 2.0
    assert collapse_rows(small, large) == [{"arm": "bcgan", "32²": "2 seeds: 1 / 1 / 1", "64²": "1 seed: 1 / 1 / 1"}]


def test_scale_command_writes_both_tables_and_refuses_bad_input(tmp_path):
    a = _summary(tmp_path, "a", {"bcgan": [0.1, 0.2], "bcgan-proj": [0.5, 0.6]})
    b = _summary(tmp_path, "b", {"bcgan": [0.1], "bcgan-proj": [0.9]})
    out = tmp_path / "scale"

    def run(*args):
        return subprocess.run([sys.executable, "-m", "bcgan", "study", "scale", *map(str, args)],
                              check=False, capture_output=True, text=True)

    done = run(a, b, "--out-csv", out.with_suffix(".csv"), "--out-md", out.with_suffix(".md"))
    assert done.returncode == 0, done.stderr
    md = out.with_suffix(".md").read_text()
    assert "| projection D cures BcGAN's collapse | diversity_flip | bcgan-proj − bcgan |" in md
    assert "## Seeds collapsed below / near / above Tc" in md
    for args, message in [((a, tmp_path / "none.csv"), "none.csv"),
                          ((a, b, "--labels", "grid:100"), "no arm on label set 'grid:100'"),
                          ((a, b, "--names", "x", "x"), "--names must differ")]:
        bad = run(*args, "--out-csv", tmp_path / "x.csv", "--out-md", tmp_path / "x.md")
        assert bad.returncode == 2 and message in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "x.md").exists()
    with pytest.raises(UserError, match="cannot read it"):
        read_summary(out.with_suffix(".md"), "uniform")
    with pytest.raises(UserError, match="not a `bcgan study summary` CSV"):
        read_summary(out.with_suffix(".csv"), "uniform")  # the scale table's own CSV


def test_width_rows_read_the_ratios_and_skip_summaries_without_them(tmp_path):
    """The two-sided target's widths enter the scale table; a summary of cells from before the widths
    (no ratio columns) leaves those rows out instead of stopping the table."""
    small = read_summary(_summary(tmp_path, "a", {"scalar-boundgain-ms-proj": [1.0, 2.0, 3.0]}), "uniform")
    large = read_summary(_summary(tmp_path, "b", {"scalar-boundgain-ms-proj": [6.0, 7.0, 8.0]}), "uniform")
    width = _row(compare(small, large), "mode seeking: width of T_e near Tc (× Monte Carlo)", "ratio_t_energy_near")
    assert width["32²"] == "2.00 ± 1.00×" and width["verdict"] == "moved (no prediction)"
    old = {arm: row.drop([c for c in row.index if c.startswith("ratio_")]) for arm, row in large.items()}
    assert not any(r["measure"].startswith("ratio_") for r in compare(small, old))
