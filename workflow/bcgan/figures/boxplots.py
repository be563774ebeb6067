"""Shared boxplot drawing of embedding-neuron activity (Figs 5, 10, 11).

Why one helper: the three figures differ only in which neurons are shown and whether the whiskers
are truncated (Fig 5: whiskers to 1.5 IQR, no fliers, as in the paper) or not (Figs 10/11: whiskers
to min/max). For many neurons (Fig 10 has hundreds to thousands) matplotlib's ``boxplot`` is slow
and unreadable, so the same five statistics are drawn vectorised as thin whisker lines, thick IQR
bars and median ticks. Dead neurons (range < dead_range) are drawn in red.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection

from bcgan.errors import UserError
from bcgan.evaluation.activity import Activity, dead_mask
from bcgan.figures.style import plt
from bcgan.nets.names import ORDER, title, variant_rank
from bcgan.variants import REGISTRY

ALIVE, DEAD = "tab:blue", "tab:red"


def box_stats(values: np.ndarray, truncated: bool) -> dict[str, np.ndarray]:
    """Per column of ``values`` (P, N): quartiles, median and whisker ends.

    truncated: whiskers at the most extreme data point within 1.5 IQR of the box (Tukey, matplotlib's
    default); else at min / max.
    """
    v = np.asarray(values, dtype=np.float64)
    q1, med, q3 = np.percentile(v, [25, 50, 75], axis=0)
    if truncated:
        iqr = q3 - q1
        lo_lim, hi_lim = q1 - 1.5 * iqr, q3 + 1.5 * iqr
        lo = np.where(v >= lo_lim, v, np.inf).min(axis=0)
        hi = np.where(v <= hi_lim, v, -np.inf).max(axis=0)
        lo, hi = np.minimum(lo, q1), np.maximum(hi, q3)
    else:
        lo, hi = v.min(axis=0), v.max(axis=0)
    return {"q1": q1, "med": med, "q3": q3, "lo": lo, "hi": hi}


def draw_boxes(ax, outputs: np.ndarray, neurons: np.ndarray, *, truncated: bool, dead: np.ndarray) -> None:
    """Boxes of the columns ``neurons`` of ``outputs`` (P, E) at x = neuron index."""
    s = box_stats(outputs[:, neurons], truncated)
    x = np.asarray(neurons, dtype=float)
    colors = np.where(dead[neurons], DEAD, ALIVE)
    if len(neurons) <= 40:  # classic boxes
        width = 0.6
        for i, c in enumerate(colors):
            xi = x[i]
            ax.add_patch(plt.Rectangle((xi - width / 2, s["q1"][i]), width, s["q3"][i] - s["q1"][i],
                                       facecolor=c, alpha=0.35, edgecolor=c, lw=1))
            ax.plot([xi - width / 2, xi + width / 2], [s["med"][i]] * 2, color="k", lw=1.2)
            ax.plot([xi, xi], [s["lo"][i], s["q1"][i]], color=c, lw=1)
            ax.plot([xi, xi], [s["q3"][i], s["hi"][i]], color=c, lw=1)
            for y in (s["lo"][i], s["hi"][i]):
                ax.plot([xi - width / 4, xi + width / 4], [y, y], color=c, lw=1)
        ax.set_xticks(x)
        ax.set_xlim(x.min() - 0.7, x.max() + 0.7)
    else:  # many neurons: vectorised
        lw_box = max(0.6, min(4.0, 400.0 / len(neurons)))
        ax.add_collection(LineCollection(np.stack([np.c_[x, s["lo"]], np.c_[x, s["hi"]]], axis=1),
                                         colors=colors, linewidths=0.4, alpha=0.6))
        ax.add_collection(LineCollection(np.stack([np.c_[x, s["q1"]], np.c_[x, s["q3"]]], axis=1),
                                         colors=colors, linewidths=lw_box))
        ax.scatter(x, s["med"], s=1.5, color="k", zorder=3, linewidths=0)
        ax.set_xlim(x.min() - 1, x.max() + 1)
    lo, hi = float(np.min(s["lo"])), float(np.max(s["hi"]))
    pad = 0.05 * (hi - lo) if hi > lo else 0.05 * max(abs(hi), 1e-3)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("neuron index")
    ax.set_ylabel("neuron output [a.u.]")
    ax.grid(axis="y", alpha=0.3)


def panel_title(act: Activity, dead: np.ndarray, shown: int) -> str:
    name = title(act.variant)
    lo, hi = act.working_range
    rng = f"classes {int(lo)}..{int(hi)}" if act.discrete else f"input [{lo:.3g}, {hi:.3g}]"
    return f"{name}: {rng}\ndead {int(dead.sum())}/{dead.size} ({100 * dead.mean():.0f} %), {shown} shown"


def sort_activities(acts: list[Activity], order=ORDER) -> list[Activity]:
    return sorted(acts, key=lambda a: variant_rank(a.variant, order))


def draw_activity(acts: list[Activity], *, neurons: int | None, truncated: bool, dead_range: float,
                  ncols: int, panel_size=(2.4, 2.0), suptitle: str | None = None, order=ORDER):
    """One panel per activity, in ``order``: the first ``neurons`` neurons (None = all). Returns the Figure."""
    if not acts:
        raise UserError("no activity files given")
    acts = sort_activities(acts, order)
    ncols = min(ncols, len(acts))
    nrows = -(-len(acts) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
                             layout="constrained", squeeze=False)
    for ax, act in zip(axes.flat, acts):
        dead = dead_mask(act.outputs, dead_range)
        e = act.outputs.shape[1]
        idx = np.arange(e if neurons is None else min(neurons, e))
        draw_boxes(ax, act.outputs, idx, truncated=truncated, dead=dead)
        ax.set_title(panel_title(act, dead, len(idx)))
        if act.variant in REGISTRY and REGISTRY[act.variant].kind == "cgan":
            ax.set_xlabel("lookup-table entry (column)")
            ax.set_ylabel("entry value (all classes)")
    for ax in list(axes.flat)[len(acts):]:
        ax.set_visible(False)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def draw_untruncated(activities, variants: tuple[str, ...], *, dead_range: float):
    """Every neuron of the given variants, one full-width panel each, in that order (Figs 10, 11)."""
    acts = [a for a in activities if a.variant in variants]
    return draw_activity(acts, neurons=None, truncated=False, dead_range=dead_range, ncols=1,
                         panel_size=(7.0, 2.2), order=variants)


def run_untruncated(args, variants: tuple[str, ...]) -> int:
    from bcgan.figures.style import save_figure

    fig = draw_untruncated(read_all(args.activity, variants), variants, dead_range=args.dead_range)
    save_figure(fig, args.pdf, args.png)
    return 0


def add_common_arguments(parser) -> None:
    from pathlib import Path

    parser.add_argument("--activity", type=Path, nargs="+", required=True,
                        help="activity HDF5 files of `bcgan analyse activity`")
    parser.add_argument("--dead-range", type=float, required=True, help="dead-neuron threshold (red boxes)")
    parser.add_argument("--pdf", type=Path, required=True)
    parser.add_argument("--png", type=Path, required=True)


def read_all(paths, required: tuple[str, ...] = ()) -> list[Activity]:
    from bcgan.evaluation.activity import read_activity

    acts = [read_activity(p) for p in paths]
    have = {a.variant for a in acts}
    missing = [v for v in required if v not in have]
    if missing:
        raise UserError(f"--activity lacks variant(s) {', '.join(missing)} (given: {', '.join(sorted(have))})")
    return acts
