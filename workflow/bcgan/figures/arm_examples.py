"""Images of several generators at a few labels, beside fresh Monte Carlo lattices at the same labels.

Why: a width or a diversity is a number; whether a label's images look like one lattice repeated, like
lattices of neighbouring temperatures, or like the Monte Carlo ones is seen. One row per generator (and a
first row of Monte Carlo lattices made with the data's recipe), one block of columns per temperature, the
same noise for every generator: ``bcgan figure arm_examples --generators a.pt b.pt --temperatures 1.5 2.269
3.5 --per-temperature 4 --seed 7 --pdf f.pdf --png f.png``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bcgan.errors import UserError
from bcgan.figures.style import plt, save_figure


def draw(rows: list[tuple[str, np.ndarray]], temperatures, per_temperature: int):
    """``rows``: (name, images (len(temperatures) * per_temperature, L, L) uint8, grouped by temperature)."""
    n_t = len(temperatures)
    cols = n_t * per_temperature
    fig, axes = plt.subplots(len(rows), cols, figsize=(0.62 * cols + 1.6, 0.66 * len(rows) + 0.5), squeeze=False,
                             gridspec_kw={"wspace": 0.06, "hspace": 0.12})
    for r, (name, images) in enumerate(rows):
        for c in range(cols):
            ax = axes[r, c]
            ax.imshow(images[c], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=7)
            if r == 0 and c % per_temperature == 0:
                ax.set_title(f"T = {temperatures[c // per_temperature]:g} J/k_B", loc="left", fontsize=8)
    fig.suptitle("Images per label (white: spin up); same noise in every row", fontsize=9, y=1.0)
    return fig


def add_arguments(parser) -> None:
    parser.add_argument("--generators", type=Path, nargs="+", required=True, help="generator.pt files, one row each")
    parser.add_argument("--names", nargs="+", default=None, help="row names (default: each file's variant)")
    parser.add_argument("--temperatures", type=float, nargs="+", required=True, help="labels, in J/k_B")
    parser.add_argument("--per-temperature", type=int, default=4, help="images per label")
    parser.add_argument("--seed", type=int, default=7, help="noise seed (the same for every generator)")
    parser.add_argument("--monte-carlo-seed", type=int, default=424242,
                        help="seed of the Monte Carlo row (the data's recipe: L³ flips from random spins)")
    parser.add_argument("--pdf", type=Path, required=True)
    parser.add_argument("--png", type=Path, default=None)


def run(args) -> int:
    from bcgan.data.ising import simulate
    from bcgan.nets.sampling import generate, noise_seeds
    from bcgan.training.checkpoints import load_generator

    if args.per_temperature < 1:
        raise UserError(f"--per-temperature must be >= 1, got {args.per_temperature}")
    if args.names is not None and len(args.names) != len(args.generators):
        raise UserError(f"--names gives {len(args.names)} names for {len(args.generators)} generators")
    if not all(np.isfinite(t) and t > 0 for t in args.temperatures):
        raise UserError(f"--temperatures must be finite and > 0, got {args.temperatures}")
    generators = [load_generator(p) for p in args.generators]
    sizes = {g.image_size for g, _ in generators}
    if len(sizes) != 1:
        raise UserError(f"the generators make images of different sizes {sorted(sizes)}")
    t = np.repeat(np.float32(args.temperatures), args.per_temperature)
    seeds = noise_seeds(args.seed, t.size)
    rows = [("Monte Carlo", simulate(t, sizes.pop(), seed=args.monte_carlo_seed)["images"])]
    for k, (G, _) in enumerate(generators):
        name = args.names[k] if args.names else G.spec.name
        rows.append((name, generate(G, t, seeds, precision="fp32", progress=False)))
    save_figure(draw(rows, args.temperatures, args.per_temperature), args.pdf, args.png)
    return 0
