"""The study's widths against Monte Carlo's (not a paper figure): the two-sided target's three ratios.

Why: a ratio of 0.1 (one lattice per label) and one of 10 (lattices of neighbouring temperatures) both
miss, and a table of numbers hides which arm misses on which side in which region. One panel per
quantity (the sd of T_e among a label's images, χ, C), regions on the x axis, one marker per cell (arm,
label set, seed) on a log axis, the target's band shaded. Drawn by ``bcgan study summary``.
"""

from __future__ import annotations

import numpy as np

from bcgan.figures.style import plt
from bcgan.training.progress import REGIONS

NAMES = {"t_energy": "sd of $T_e$ among a label's images", "chi": r"$\chi$", "heat_capacity": "$C$"}


def draw(cells: list[dict], bounds: dict):
    """``bounds``: {quantity: (low, high)} of the target (bcgan.study.target.WIDTH_BOUNDS)."""
    arms = list(dict.fromkeys((c["arm"], c["label_set"]) for c in cells))
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.6), layout="constrained", sharey=True)
    offsets = np.linspace(-0.3, 0.3, len(arms)) if len(arms) > 1 else np.zeros(1)
    for ax, (q, (low, high)) in zip(axes, bounds.items()):
        name = NAMES[q]
        ax.axhspan(low, high, color="tab:green", alpha=0.12, lw=0)
        ax.axhline(1.0, color="k", lw=0.8, ls="--")
        for k, key in enumerate(arms):
            mine = [c for c in cells if (c["arm"], c["label_set"]) == key]
            for r, region in enumerate(REGIONS):
                y = [c.get(f"ratio_{q}_{region}", np.nan) for c in mine]
                ax.plot(np.full(len(y), r + offsets[k]), y, ls="none", marker="o", ms=3.5, color=f"C{k % 10}",
                        label=f"{key[0]} ({key[1]})" if r == 0 else None)
        ax.set_yscale("log")
        ax.set_xticks(range(len(REGIONS)), [f"{r} $T_c$" for r in REGIONS])
        ax.set_title(f"{name} / Monte Carlo's")
        ax.grid(alpha=0.3, axis="y")
    axes[0].set_ylabel("ratio to Monte Carlo (log scale)")
    handles, labels = axes[0].get_legend_handles_labels()
    handles += [plt.Rectangle((0, 0), 1, 1, color="tab:green", alpha=0.25), plt.Line2D([], [], color="k", ls="--")]
    labels += ["the target's band", "as wide as Monte Carlo"]
    fig.legend(handles, labels, loc="outside lower center", ncol=4, frameon=False, fontsize=7)
    return fig
