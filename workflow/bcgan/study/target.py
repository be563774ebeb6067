"""The embedding target (issue 30), judged on study cells: does an arm condition on the raw float, follow T
like CcGAN, and keep its diversity in every phase?

Why a module: the target is a list of thresholds fixed in advance; writing them once, beside the cells
they read, keeps the verdict from drifting with the reading. Criteria, for one arm over its seeds:

* ``spearman``: mean Spearman of the mean T_est with T over the grid >= 0.95;
* ``binades``: mean Spearman inside [1, 2) and inside [2, 4) each >= min(0.9, the held-out real images'
  value there - 0.05) (the ceiling the response model allows, ``bcgan study ceiling``);
* ``mae``: mean T-MAE <= the reference arm's (CcGAN) mean in the same study;
* ``diversity``: in every seed and every region (below, near, above Tc), flip diversity >= half the real
  images' in that region;
* ``psd`` and ``energy``: mean PSD distance and mean energy error <= the baseline arm's (``bcgan-proj``)
  mean + sd;
* ``epsilon``: in every seed, <= 0.1 % changed pixels at Tc + 1e-6, and at Tc + 0.1 at least 3x the
  change at Tc + 1e-2.

The two-sided width criteria (issue 39: a floor on diversity alone cannot see an ensemble that is too
wide), in every seed and every region, each the region's mean over its grid temperatures divided by the
same of a Monte Carlo set at the same temperatures and count (``bcgan.study.cells.physics_of_generator``;
the ⟨e⟩(T) curve that T_e inverts comes from one Monte Carlo set, the reference widths from the other):

* ``width``: the sd of T_e among one label's images within WIDTH_BOUNDS["t_energy"] x Monte Carlo's;
* ``chi`` and ``heat_capacity``: χ and C (variances over a label's images) within WIDTH_BOUNDS[...] x
  Monte Carlo's.

A collapsed arm fails them as surely as an over-dispersed one.
"""

from __future__ import annotations

import numpy as np

from bcgan.errors import UserError
from bcgan.training.progress import REGIONS

CRITERIA = ("spearman", "binades", "mae", "diversity", "psd", "energy", "epsilon", "width", "chi",
            "heat_capacity")
# [low, high] x Monte Carlo's, fixed before any arm judged by them trained (docs/methods.md)
WIDTH_BOUNDS = {"t_energy": (0.5, 1.5), "chi": (0.5, 2.25), "heat_capacity": (0.5, 2.25)}
WIDTH_CRITERIA = {"width": "t_energy", "chi": "chi", "heat_capacity": "heat_capacity"}
REFERENCE, BASELINE = "ccgan", "bcgan-proj"  # whose T-MAE an arm must match; whose PSD / energy bound it
NOTES = [
    "spearman: mean over seeds of the grid Spearman >= 0.95. binades: mean Spearman inside [1, 2) and [2, 4) "
    ">= min(0.9, held-out real images' - 0.05). mae: mean T-MAE <= the reference arm's mean.",
    "diversity: in every seed, flip diversity below, near and above Tc >= half the held-out real images' there.",
    "psd, energy: mean PSD distance and energy error <= the baseline arm's mean + sd.",
    "epsilon: in every seed, <= 0.1 % changed pixels at Tc + 1e-6, and at Tc + 0.1 >= 3x those at Tc + 1e-2.",
    "width, chi, heat_capacity: in every seed and region (below, near, above Tc), the region's mean sd of T_e "
    "among a label's images within [0.5, 1.5] x Monte Carlo's, its mean χ and C within [0.5, 2.25] x Monte "
    "Carlo's; shown: the range over seeds of the ratio below / near / above Tc, and what is out of bounds.",
]


def _inside(quantity: str, ratio: float) -> bool:
    """A width ratio within its bounds (WIDTH_BOUNDS, both ends included); NaN never is."""
    low, high = WIDTH_BOUNDS[quantity]
    return bool(low <= ratio <= high)


def _width(group, quantity) -> tuple[bool, str]:
    """(every seed and region inside the bounds, 'lo–hi / lo–hi / lo–hi' of the ratios and the misses)."""
    ranges, misses = [], []
    for r in REGIONS:
        ratios = [c.get(f"ratio_{quantity}_{r}", np.nan) for c in group]
        ranges.append(f"{min(ratios):.2f}–{max(ratios):.2f}" if np.isfinite(ratios).all() else "–")
        misses += [f"seed {c['seed']} {r} {x:.2f}" for c, x in zip(group, ratios) if not _inside(quantity, x)]
    text = " / ".join(ranges)
    return not misses, text if not misses else f"{text}; out: " + ", ".join(misses)


def _values(cells, key):
    return np.array([c[key] for c in cells], np.float64)


def _changed(cell, eps):
    for e, f in zip(cell["epsilon"], cell["changed_fraction"]):
        if np.isclose(e, eps, rtol=1e-9, atol=0):
            return f
    raise UserError(f"cell {cell['arm']} seed {cell['seed']}: no ε = {eps:g} in its sweep {cell['epsilon']}")


def judge(cells: list[dict], ceiling: dict, *, reference: str = REFERENCE, baseline: str = BASELINE) -> dict:
    """{arm: {criterion: (passed, what was measured)}} for every arm of ``cells`` (one label set)."""
    arms = {}
    for c in cells:
        arms.setdefault(c["arm"], []).append(c)
    for name in (reference, baseline):
        if name not in arms:
            raise UserError(f"embedding target: no cells of arm {name!r}, which the target compares with")
    ref_mae = _values(arms[reference], "mae_all").mean()
    base = {k: _values(arms[baseline], k) for k in ("psd_distance", "energy_error")}
    bound = {k: v.mean() + (v.std(ddof=1) if v.size > 1 else 0.0) for k, v in base.items()}
    out = {}
    for arm, group in arms.items():
        rho = _values(group, "spearman_all").mean()
        binades = {b: np.nanmean(_values(group, f"spearman_{b}")) for b in ("1_2", "2_4")}
        need = {b: min(0.9, ceiling[f"spearman_{b}"] - 0.05) for b in binades}
        mae = _values(group, "mae_all").mean()
        low = [(c["seed"], r, c[f"diversity_flip_{r}"]) for c in group for r in REGIONS
               if not c[f"diversity_flip_{r}"] >= 0.5 * ceiling[f"diversity_flip_{r}"]]
        eps = [(c["seed"], _changed(c, 1e-6), _changed(c, 1e-2), _changed(c, 0.1)) for c in group]
        eps_bad = [e for e in eps if not (e[1] <= 1e-3 and e[3] >= 3 * e[2])]
        psd, energy = (_values(group, k).mean() for k in ("psd_distance", "energy_error"))
        out[arm] = {
            "seeds": len(group),
            "spearman": (rho >= 0.95, f"{rho:.2f}"),
            "binades": (all(binades[b] >= need[b] for b in binades),
                        ", ".join(f"{binades[b]:.2f} (need {need[b]:.2f})" for b in binades)),
            "mae": (mae <= ref_mae, f"{mae:.2f} (CcGAN {ref_mae:.2f})"),
            "diversity": (not low, "every seed and region" if not low else
                          "; ".join(f"seed {s} {r} {d:.3f}" for s, r, d in low)),
            "psd": (psd <= bound["psd_distance"], f"{psd:.1f} (bound {bound['psd_distance']:.1f})"),
            "energy": (energy <= bound["energy_error"], f"{energy:.3f} (bound {bound['energy_error']:.3f})"),
            "epsilon": (not eps_bad, "every seed" if not eps_bad else
                        "; ".join(f"seed {s}: {100 * a:.2f} %, {100 * b:.2f} → {100 * c:.2f} %" for s, a, b, c in eps_bad)),
            **{name: _width(group, q) for name, q in WIDTH_CRITERIA.items()},
        }
    return out


def seed_frame(cells: list[dict]):
    """The width criteria seed by seed: per arm and seed, the three ratios below / near / above Tc, each
    marked ✗ where it is out of its bounds, and whether the seed passes all three."""
    import pandas as pd

    rows = []
    for c in sorted(cells, key=lambda c: (c["arm"], c["seed"])):
        row, ok = {"arm": c["arm"], "seed": c["seed"]}, True
        for name, q in WIDTH_CRITERIA.items():
            shown = []
            for r in REGIONS:
                x = c.get(f"ratio_{q}_{r}", np.nan)
                inside = _inside(q, x)
                ok &= inside
                shown.append(f"{x:.2f}" + ("" if inside else " ✗"))
            row[name] = " / ".join(shown)
        row["widths"] = "pass" if ok else "miss"
        rows.append(row)
    return pd.DataFrame(rows)


def markdown_frame(verdicts: dict):
    """One row per arm: ✓ or ✗ per criterion with the value it rests on, and whether all pass."""
    import pandas as pd

    rows = []
    for arm, v in verdicts.items():
        rows.append({"arm": arm, "seeds": v["seeds"],
                     **{k: ("✓ " if v[k][0] else "✗ ") + v[k][1] for k in CRITERIA},
                     "target": "met" if all(v[k][0] for k in CRITERIA) else "missed"})
    return pd.DataFrame(rows)
