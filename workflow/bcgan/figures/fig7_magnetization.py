"""Fig 7: magnetization of the Ising dataset vs temperature, with Onsager's exact curve and example images."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bcgan.data.ising import TC, onsager_magnetization
from bcgan.figures.examples import nearest_examples
from bcgan.figures.style import save_figure


def draw(table: pd.DataFrame, images: np.ndarray, temperatures: np.ndarray, example_t) -> plt.Figure:
    """Top: <|m|> per T bin with interquartile band and the exact curve; bottom: example microstructures."""
    examples, example_t = nearest_examples(images, temperatures, example_t)
    n = len(examples)
    fig = plt.figure(figsize=(7.0, 4.2), layout="constrained")
    grid = fig.add_gridspec(2, n, height_ratios=[2.2, 1])
    ax = fig.add_subplot(grid[0, :])
    ax.fill_between(table.t_mean, table.abs_m_q25, table.abs_m_q75, color="C0", alpha=0.25,
                    label="interquartile range")
    ax.errorbar(table.t_mean, table.abs_m_mean, yerr=table.abs_m_std, fmt="o", ms=3, color="C0",
                capsize=2, label=r"Metropolis ($L^3$ flips from random spins) $\langle|m|\rangle$ ± std")
    t = np.linspace(table.t_low.min(), table.t_high.max(), 400)
    ax.plot(t, onsager_magnetization(t), color="k", lw=1.2, label="exact (Onsager), infinite lattice")
    ax.axvline(TC, color="C3", ls="--", lw=1, label=rf"$T_c$ = {TC:.3f}")
    ax.set_xlabel(r"temperature $T$ [$J/k_B$]")
    ax.set_ylabel(r"magnetization per spin $|m|$")
    ax.set_ylim(-0.03, 1.05)
    ax.legend(loc="center right", frameon=False)  # the empty region right of Tc
    for i, (image, t_i) in enumerate(zip(examples, example_t)):
        axi = fig.add_subplot(grid[1, i])
        axi.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        axi.set_title(f"T = {t_i:.2f}")
        axi.set_xticks([])
        axi.set_yticks([])
    L = images.shape[-1]
    fig.suptitle(f"Ising dataset: {len(temperatures)} images of {L}×{L} spins (white = +1, black = −1)")
    return fig


def add_arguments(parser) -> None:
    parser.add_argument("--magnetization", required=True, help="CSV from `bcgan dataset magnetization`")
    parser.add_argument("--shards", nargs="+", required=True, help="Ising shards to take example images from")
    parser.add_argument("--temperatures", nargs="+", type=float, required=True, help="example temperatures")
    parser.add_argument("--pdf", required=True)
    parser.add_argument("--png", required=True)


def run(args) -> int:
    from bcgan.data.shards import read_images

    images, temperatures = read_images(args.shards)
    fig = draw(pd.read_csv(args.magnetization), images, temperatures, args.temperatures)
    save_figure(fig, args.pdf, args.png)
    return 0
