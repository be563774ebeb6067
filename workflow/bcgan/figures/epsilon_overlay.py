"""Shared difference-overlay drawing of the ε-perturbation figures (Figs 6 and 9).

The original binarised image is shown in gray (spin +1 light, -1 dark); in the difference panels
the original stays gray and every pixel that changed under T = Tc + ε is coloured: blue where the
spin went - -> + and red where it went + -> - (as in the paper).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.patches import Patch

from bcgan.errors import UserError
from bcgan.figures.style import plt

GRAY_UP, GRAY_DOWN = 0.78, 0.45
BLUE = np.array([0.12, 0.35, 0.95])   # - -> +
RED = np.array([0.90, 0.10, 0.10])    # + -> -


def gray(image: np.ndarray) -> np.ndarray:
    """uint8 0/255 image -> (L, L, 3) gray RGB."""
    g = np.where(np.asarray(image) > 127, GRAY_UP, GRAY_DOWN)
    return np.repeat(g[..., None], 3, axis=2)


def overlay(original: np.ndarray, perturbed: np.ndarray) -> np.ndarray:
    """(L, L, 3) RGB: gray original, blue where - -> +, red where + -> -."""
    a, b = np.asarray(original) > 127, np.asarray(perturbed) > 127
    rgb = gray(original)
    rgb[~a & b] = BLUE
    rgb[a & ~b] = RED
    return rgb


def eps_label(e: float) -> str:
    if e == 0:
        return r"$\epsilon = 0$"
    exp = int(np.floor(np.log10(e)))
    mant = e / 10.0**exp
    return rf"$\epsilon = 10^{{{exp}}}$" if np.isclose(mant, 1) else rf"$\epsilon = {mant:.3g}\times10^{{{exp}}}$"


def draw_grid(p, rows, *, title: str | None = None, panel: float = 1.45):
    """Rows = noise inputs ``rows`` of a Perturbation; columns = original, then one overlay per ε > 0."""
    keep = np.flatnonzero(p.epsilon > 0)
    if keep.size == 0:
        raise UserError("the perturbation file has no ε > 0 to show")
    rows = list(rows)
    ncols = 1 + keep.size
    fig, axes = plt.subplots(len(rows), ncols, figsize=(panel * ncols, panel * len(rows) + 0.55),
                             layout="constrained", squeeze=False)
    ref = p.reference_images
    imgs = p.images
    for r_i, r in enumerate(rows):
        axes[r_i, 0].imshow(gray(ref[r]), interpolation="nearest")
        axes[r_i, 0].set_ylabel(f"noise seed\n{int(p.noise_seed[r])}")
        if r_i == 0:
            axes[r_i, 0].set_title(f"original\nT = {p.t0:.4f}")
        for c, e_i in enumerate(keep, start=1):
            ax = axes[r_i, c]
            ax.imshow(overlay(ref[r], imgs[r, e_i]), interpolation="nearest")
            frac = p.changed_fraction[r, e_i]
            ax.set_xlabel(f"{100 * frac:.2f} % changed")
            if r_i == 0:
                ax.set_title(eps_label(float(p.epsilon[e_i])))
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.legend(handles=[Patch(color=BLUE, label=r"spin $-\to+$"), Patch(color=RED, label=r"spin $+\to-$"),
                        Patch(color=(GRAY_UP,) * 3, label="original +1"),
                        Patch(color=(GRAY_DOWN,) * 3, label="original $-1$")],
               loc="outside lower center", ncol=4, frameon=False)
    if title:
        fig.suptitle(title)
    return fig


def add_arguments(parser) -> None:
    parser.add_argument("--perturbation", type=Path, required=True,
                        help="perturbation HDF5 of `bcgan analyse perturb` (the BcGAN one in the paper)")
    parser.add_argument("--pdf", type=Path, required=True)
    parser.add_argument("--png", type=Path, required=True)
