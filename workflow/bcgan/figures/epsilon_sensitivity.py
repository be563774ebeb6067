"""ε-sensitivity of every embedding (beyond the paper): how much the image changes at T = Tc + ε.

Left: fraction of pixels whose spin changed vs ε (log x), one curve per variant (mean over the noise
rows, band = min..max). Right: mean |Δ output| of the continuous tanh output (symlog y, so an exact
zero -- a CGAN whose class bin did not change -- stays visible). ε = 0 is left out of the log axis;
its values (which must be 0) are stated in the legend. Registered as ``bcgan analyse sensitivity-figure``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bcgan.errors import UserError
from bcgan.evaluation.perturb import read_perturbation
from bcgan.figures.style import plt, save_figure
from bcgan.nets.names import title, variant_rank

MARKERS = {"ccgan": "s", "cgan64": "v", "cgan256": "^", "cgan1024": "D", "bcgan": "o", "bcgan-proj": "X", "bcgan16": "P"}


def draw(perturbations):
    if not perturbations:
        raise UserError("no perturbation files given")
    ps = sorted(perturbations, key=lambda p: variant_rank(p.variant))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.0, 2.8), layout="constrained")
    for p in ps:
        pos = p.epsilon > 0
        if not pos.any():
            raise UserError(f"{p.variant}: no ε > 0 in the perturbation file")
        order = np.argsort(p.epsilon[pos])
        eps = p.epsilon[pos][order]
        zero = ~pos
        label = title(p.variant)
        if zero.any():
            label += f" (ε=0: max Δ {p.mean_abs_delta[:, zero].max():.2g})"
        for ax, stat in ((ax1, p.changed_fraction), (ax2, p.mean_abs_delta)):
            v = stat[:, pos][:, order]
            line, = ax.plot(eps, v.mean(0), marker=MARKERS.get(p.variant, "o"), ms=4, lw=1.2, label=label)
            if v.shape[0] > 1:
                ax.fill_between(eps, v.min(0), v.max(0), color=line.get_color(), alpha=0.15, lw=0)
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xlabel(r"temperature perturbation $\epsilon$ [$J/k_B$] at $T_c$")
        ax.grid(alpha=0.3, which="both")
    ax1.set_ylabel("fraction of changed pixels")
    ax1.set_ylim(bottom=-0.02)
    ax2.set_yscale("symlog", linthresh=1e-7)
    ax2.set_ylim(bottom=0)
    ax2.set_ylabel(r"mean $|\Delta|$ tanh output")
    ax1.legend(loc="upper left", fontsize=7)
    return fig


def add_arguments(parser) -> None:
    parser.add_argument("perturbation", type=Path, nargs="+", help="perturbation HDF5 files, one per variant")
    parser.add_argument("--pdf", type=Path, required=True)
    parser.add_argument("--png", type=Path, required=True)


def run(args) -> int:
    save_figure(draw([read_perturbation(p) for p in args.perturbation]), args.pdf, args.png)
    return 0
