"""The scale table (issue 27): every claim and factor measured at two scales, and whether the verdict moves.

Why a module: which measure stands for which claim, and what counts as "beyond the spread", are fixed here
in advance, beside the summaries they read, so that the verdict at 64² cannot drift with the reading.

Two kinds of row, both read from two ``bcgan study summary`` CSVs (one label set):

* a **claim on one arm** (e.g. C1: BcGAN's Spearman): the arm's mean ± sd at each scale; the value *moves*
  where |mean₂ − mean₁| exceeds sd₁ + sd₂ (the study's rule for a real difference), and it moves *towards
  the paper* where the change has the sign the paper predicts for the measure;
* a **comparison of two arms** (e.g. projection D: ``bcgan-proj`` against ``bcgan``): at each scale the
  difference of the means and its verdict, "higher" or "lower" where |Δ| exceeds the two arms' sds added,
  else "same"; the verdict *moves* where it differs between the scales, and towards the paper where the
  paper's sign (when it makes a prediction) is what the second scale shows and the first did not.

An sd needs two seeds. With one seed at a scale (``seeds`` says so), a claim counts its sd as 0, so the value
is judged against the other scale's spread alone, and a comparison lends the arm its sd at the other scale:
one seed is an anecdote, and its difference is not called real against a spread of zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bcgan.errors import UserError
from bcgan.training.progress import REGIONS


@dataclass(frozen=True)
class Row:
    question: str
    metric: str
    arm: str
    other: str | None = None  # compared with; None: a claim on ``arm`` itself
    paper: int = 0  # the sign the paper predicts: for a claim, of the measure's good direction; for a
    #                 comparison, of (arm - other); 0: the paper makes no prediction (a factor of ours)


ROWS = (
    Row("C1 BcGAN follows T", "spearman_all", "bcgan", paper=+1),
    Row("C1 BcGAN follows T", "mae_all", "bcgan", paper=-1),
    Row("C1 BcGAN without collapse", "diversity_flip", "bcgan", paper=+1),
    Row("C2 CcGAN follows T worse than BcGAN", "spearman_all", "ccgan", "bcgan", paper=-1),
    Row("C2 CcGAN follows T worse than BcGAN", "mae_all", "ccgan", "bcgan", paper=+1),
    Row("C2 CcGAN mode-collapses (above Tc)", "diversity_flip_above", "ccgan", paper=-1),
    Row("C5 ε = 1e-6 at Tc changes little (BcGAN)", "changed_1e-06", "bcgan", paper=-1),
    Row("C5 larger ε changes more (BcGAN, ε = 0.1)", "changed_0.1", "bcgan", paper=+1),
    Row("CGAN-64 (C3 needs K = 256, 1024)", "mae_all", "cgan64"),
    Row("projection D cures BcGAN's collapse", "diversity_flip", "bcgan-proj", "bcgan"),
    Row("projection D: reading T", "spearman_all", "bcgan-proj", "bcgan"),
    Row("raw float vs bits: reading T", "spearman_all", "scalar-proj", "bcgan-proj"),
    Row("raw float vs bits: the mantissa", "spearman_1_2", "scalar-proj", "bcgan-proj"),
    Row("raw float vs bits: diversity", "diversity_flip", "scalar-proj", "bcgan-proj"),
    Row("bounded gain vs raw float: diversity", "diversity_flip", "scalar-boundgain-proj", "scalar-proj"),
    Row("bounded gain vs raw float: reading T", "spearman_all", "scalar-boundgain-proj", "scalar-proj"),
    Row("mode seeking vs bounded gain: diversity above Tc", "diversity_flip_above", "scalar-boundgain-ms-proj",
        "scalar-boundgain-proj"),
    Row("mode seeking vs bounded gain: reading T", "spearman_all", "scalar-boundgain-ms-proj", "scalar-boundgain-proj"),
    Row("mode seeking vs bounded gain: heat capacity against Monte Carlo", "dist_heat_capacity",
        "scalar-boundgain-ms-proj", "scalar-boundgain-proj"),
    Row("CcGAN vs bits: energy against Monte Carlo", "dist_e", "ccgan", "bcgan-proj"),
    # the two-sided target's widths (ratio to Monte Carlo's, 1 = as wide): summaries of cells from before
    # the widths (cell format /3) lack them, and these rows are then left out
    Row("mode seeking: width of T_e near Tc (× Monte Carlo)", "ratio_t_energy_near", "scalar-boundgain-ms-proj"),
    Row("mode seeking: C near Tc (× Monte Carlo)", "ratio_heat_capacity_near", "scalar-boundgain-ms-proj"),
    Row("CcGAN: width of T_e above Tc (× Monte Carlo)", "ratio_t_energy_above", "ccgan"),
)

FORMATS = {"spearman": (2, 1.0, ""), "mae": (2, 1.0, ""), "diversity": (3, 1.0, ""), "changed": (2, 100.0, " %"),
           "dist": (1, 1.0, ""), "ratio": (2, 1.0, "×")}  # per measure: decimals, scale and unit shown


def _shown(metric: str, value: float, sd: float | None = None, seeds: int = 2) -> str:
    """'mean ± sd' (or a signed difference where ``sd`` is None) in the measure's decimals and unit."""
    nd, scale, unit = next(f for prefix, f in FORMATS.items() if metric.startswith(prefix))
    if sd is None:
        return f"{value * scale:+.{nd}f}{unit}"
    spread = f" ± {sd * scale:.{nd}f}{unit}" if seeds > 1 else f"{unit} (1 seed)"
    return f"{value * scale:.{nd}f}" + spread


def read_summary(path, label_set: str):
    """The rows of ``label_set`` in a ``bcgan study summary`` CSV, by arm (the ceiling row dropped)."""
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as e:
        raise UserError(f"study summary {path}: cannot read it ({' '.join(str(e).split())})") from None
    if not {"arm", "label_set", "seeds"} <= set(frame.columns):
        raise UserError(f"study summary {path}: not a `bcgan study summary` CSV (no arm/label_set/seeds columns)")
    rows = frame[frame["label_set"] == label_set]
    if rows.empty:
        raise UserError(f"study summary {path}: no arm on label set {label_set!r}")
    return {r["arm"]: r for _, r in rows.iterrows()}


def _stat(summary: dict, arm: str, metric: str):
    """(mean, sd with 0 for one seed, seeds) of ``metric`` for ``arm``, or None where the arm is absent (or,
    for a width ratio, the summary predates the widths)."""
    if arm not in summary:
        return None
    r = summary[arm]
    if f"{metric}_mean" not in r.index:
        if metric.startswith("ratio_"):
            return None
        raise UserError(f"scale table: the summaries have no column {metric}_mean")
    sd = float(r[f"{metric}_sd"])
    return float(r[f"{metric}_mean"]), (sd if np.isfinite(sd) else 0.0), int(r["seeds"])


def _borrowed(stat, elsewhere):
    """(mean, sd, seeds) with the sd of ``elsewhere`` (the same arm at the other scale) where ``stat`` has one seed."""
    if stat[2] > 1 or elsewhere[2] < 2:
        return stat
    return stat[0], elsewhere[1], stat[2]


def _comparison(a, b) -> tuple[float, str]:
    delta = a[0] - b[0]
    if not abs(delta) > a[1] + b[1]:
        return delta, "same"
    return delta, "higher" if delta > 0 else "lower"


def _towards(paper: int, before: str, after: str) -> str:
    want = {+1: "higher", -1: "lower"}.get(paper)
    if want is None:
        return "moved (no prediction)"
    rank = {want: 2, "same": 1}
    return "towards the paper" if rank.get(after, 0) > rank.get(before, 0) else "away from the paper"


def compare(small: dict, large: dict, names=("32²", "64²")) -> list[dict]:
    """One dict per row of :data:`ROWS` whose arms both summaries have; rows with a missing arm are left out."""
    out = []
    for row in ROWS:
        stats = [(_stat(s, row.arm, row.metric), _stat(s, row.other, row.metric) if row.other else None)
                 for s in (small, large)]
        if any(a is None or (row.other and b is None) for a, b in stats):
            continue
        entry = {"question": row.question, "measure": row.metric,
                 "arms": row.arm if row.other is None else f"{row.arm} − {row.other}",
                 "seeds": " / ".join(str(a[2]) if b is None else f"{a[2]}, {b[2]}" for a, b in stats)}
        if not all(np.isfinite(x[0]) for pair in stats for x in pair if x is not None):
            out.append({**entry, **dict.fromkeys(names, "–"), "verdict": "no value (no seed gave one)"})
            continue
        if row.other is None:
            (a1, _), (a2, _) = stats
            for name, a in zip(names, (a1, a2)):
                entry[name] = _shown(row.metric, a[0], a[1], a[2])
            moved = abs(a2[0] - a1[0]) > a1[1] + a2[1]
            if not moved:
                entry["verdict"] = "inside the spread"
            elif row.paper == 0:
                entry["verdict"] = "moved (no prediction)"
            else:
                entry["verdict"] = ("towards the paper" if np.sign(a2[0] - a1[0]) == row.paper
                                    else "away from the paper")
        else:
            # an arm with one seed at one scale borrows its sd at the other scale (its spread, if measured there)
            stats = [tuple(_borrowed(x, other[k]) for k, x in enumerate(pair))
                     for pair, other in zip(stats, stats[::-1])]
            verdicts = []
            for name, (a, b) in zip(names, stats):
                delta, said = _comparison(a, b)
                verdicts.append(said)
                entry[name] = f"Δ {_shown(row.metric, delta)}: {said}"
            entry["verdict"] = ("unchanged" if verdicts[0] == verdicts[1]
                                else _towards(row.paper, *verdicts))
        out.append(entry)
    return out


def collapse_rows(small: dict, large: dict, names=("32²", "64²")) -> list[dict]:
    """Per arm in both summaries: how many seeds collapsed below / near / above Tc at each scale."""
    out = []
    for arm in small:
        if arm not in large:
            continue
        entry = {"arm": arm}
        for name, s in zip(names, (small, large)):
            r = s[arm]
            n = int(r["seeds"])
            counts = " / ".join(str(int(r[f"collapsed_{reg}"])) for reg in REGIONS)
            entry[name] = f"{n} seed{'s' if n > 1 else ''}: {counts}"
        out.append(entry)
    return out


NOTES = [
    ("A claim on one arm moves where |mean at the larger scale − mean at the smaller| exceeds the two sds "
     "added; a comparison of two arms says 'higher' or 'lower' where |Δ of the means| exceeds the two arms' "
     "sds added, else 'same', and moves where that word changes between the scales."),
    ("seeds: per scale, separated by '/' (a comparison: its two arms', separated by ','). One seed is an "
     "anecdote: in a claim its sd counts as 0, so it is judged against the other scale's spread alone; in a "
     "comparison the arm borrows its sd at the other scale."),
    ("Towards the paper: the change has the sign the paper predicts (BcGAN follows T without collapse; CcGAN "
     "follows T worse and collapses; ε = 1e-6 changes little, 0.1 more). The factors are ours: no prediction."),
    ("Measures: spearman_all (grid), spearman_1_2 (inside [1, 2)), mae_all [J/k_B], diversity_flip (grid and "
     "above Tc), changed_ε (pixels changed, fp32, at Tc + ε), dist_e (⟨e⟩ against Monte Carlo, in the "
     "reference's bootstrap sd at that scale); ratio_<q>_<region>: the width (sd of T_e, or C) of a label's "
     "images over Monte Carlo's in that region, the two-sided target's (docs/methods.md), 1 = as wide."),
]
