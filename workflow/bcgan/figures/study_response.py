"""The study's temperature response (not a paper figure): mean T_est against T, one panel per arm.

Why: whether a model follows T, only its exponent (two plateaus split at T = 2) or nothing is seen
at a glance, and so is whether that holds for every seed: each cell (label set, seed) of the arm is
one thin line, coloured by label set; the ideal T_est = T is the dashed line, Tc the dotted one.
Drawn by ``bcgan study summary``.
"""

from __future__ import annotations

import math

from bcgan.data.ising import TC
from bcgan.figures.style import plt


def draw(cells: list[dict]):
    arms = list(dict.fromkeys(c["arm"] for c in cells))
    label_sets = list(dict.fromkeys(c["label_set"] for c in cells))
    colours = {ls: f"C{i}" for i, ls in enumerate(label_sets)}
    ncols = min(4, len(arms))
    nrows = math.ceil(len(arms) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.8 * ncols + 0.4, 1.75 * nrows + 0.6), layout="constrained",
                             sharex=True, sharey=True, squeeze=False)
    top = max(max(c["grid"]) for c in cells)
    for ax, arm in zip(axes.ravel(), arms):
        ax.plot([0, top], [0, top], color="k", ls="--", lw=0.8)
        ax.axvline(TC, color="grey", ls=":", lw=0.8)
        for c in (c for c in cells if c["arm"] == arm):
            ax.plot(c["grid"], c["mean_t_est"], color=colours[c["label_set"]], lw=0.9, alpha=0.8)
        ax.set_title(arm, fontsize=9 if len(arm) <= 24 else 7)  # the study's long arm names fit their panel
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(arms):]:
        ax.set_visible(False)
    for col in range(ncols):  # the lowest panel of each column carries the T axis, also above an empty slot
        ax = axes[(len(arms) - 1 - col) // ncols, col]
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_xlabel(r"conditioning $T$ [$J/k_B$]")
    for ax in axes[:, 0]:
        ax.set_ylabel(r"mean $T_{est}$ [$J/k_B$]")
    handles = [plt.Line2D([], [], color=colours[ls], lw=1.2) for ls in label_sets]
    handles += [plt.Line2D([], [], color="k", ls="--", lw=0.8), plt.Line2D([], [], color="grey", ls=":", lw=0.8)]
    labels = [f"labels {ls} (one line per seed)" for ls in label_sets] + [r"$T_{est} = T$", r"$T_c$"]
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 4), frameon=False)
    return fig
