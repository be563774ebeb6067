"""Shared drawing of the generator comparison figures (Fig 3: CcGAN vs BcGAN, Fig 4: CGAN 64/256/1024).

One column per generator. Rows: (1) PSD slope and (2) PSD intercept of the generated images vs the
conditioning temperature, mean ± 1σ over the images at each T, over the real-data response band
(response model mean ± 1σ); (3) the temperature the response model assigns to the generated images
vs the conditioning temperature (the paper's accuracy measure; the diagonal is perfect); (4) a strip
of generated images at a few temperatures (same noise in every column: the sampling stage gives every
variant the same per-image noise). Tc is marked in every plot.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bcgan.errors import UserError
from bcgan.figures.fig2_response import I_LABEL, S_LABEL, T_LABEL
from bcgan.figures.style import plt
from bcgan.nets.names import label


def load_panel(samples_path, psd_path) -> dict:
    """One column's data: a samples HDF5 and its ``bcgan psd table --response`` CSV (rows in file order)."""
    from bcgan.data.shards import read_shard
    from bcgan.io import read_csv

    s = read_shard(samples_path)
    if s["attrs"].get("kind") != "samples":
        raise UserError(f"{samples_path}: not a generated-sample file")
    df = read_csv(psd_path, ("index", "temperature", "slope", "intercept", "t_est"), what="sample PSD table")
    t = s["temperature"].astype(np.float64)
    if len(df) != t.size or not np.array_equal(df["index"].to_numpy(), np.arange(t.size)):
        raise UserError(f"sample PSD table {psd_path} does not match {samples_path} ({len(df)} rows vs {t.size} images)")
    return {"variant": str(s["attrs"]["variant"]), "images": s["images"], "temperature": t,
            "slope": df["slope"].to_numpy(np.float64), "intercept": df["intercept"].to_numpy(np.float64),
            "t_est": df["t_est"].to_numpy(np.float64)}


def _by_temperature(t, values):
    grid, inv = np.unique(t, return_inverse=True)
    n = np.bincount(inv)
    mean = np.bincount(inv, values) / n
    var = np.bincount(inv, (values - mean[inv]) ** 2) / np.maximum(n - 1, 1)
    return grid, mean, np.sqrt(var)


def draw(panels: list[dict], model, *, tc: float, strip_temperatures=(0.5, 1.5, 2.269, 3.0, 4.5),
         strip_rows: int = 2, letters: bool = True, width: float = 7.2):
    """The comparison figure for ``panels`` (dicts from ``load_panel``); returns the Figure."""
    if not panels:
        raise UserError("comparison figure needs at least one generator")
    strip_temperatures = list(strip_temperatures)
    ncol = len(panels)
    g, mu = model.t_grid, model.mean
    sd = np.sqrt(np.stack([model.cov[:, 0, 0], model.cov[:, 1, 1]], axis=1))
    n_strip = len(strip_temperatures)
    strip_h = width / ncol / n_strip * strip_rows + 0.35
    fig = plt.figure(figsize=(width, 5.6 + strip_h), layout="constrained")
    outer = fig.add_gridspec(4, ncol, height_ratios=[1, 1, 1, strip_h / 1.85])
    axes = np.empty((3, ncol), object)
    for c, p in enumerate(panels):
        name = label(p["variant"])
        for r, (key, ylabel) in enumerate((("slope", S_LABEL), ("intercept", I_LABEL), ("t_est", None))):
            ax = fig.add_subplot(outer[r, c], sharey=axes[r, 0] if c else None)
            axes[r, c] = ax
            grid, m, s = _by_temperature(p["temperature"], p[key])
            if r < 2:
                ax.fill_between(g, mu[:, r] - sd[:, r], mu[:, r] + sd[:, r], color="0.6", alpha=0.35, lw=0,
                                label=r"real data: mean $\pm 1\sigma$")
                ax.plot(g, mu[:, r], color="0.35", lw=1.0)
            else:
                ax.plot([g[0], g[-1]], [g[0], g[-1]], color="0.35", lw=1.0, label=r"perfect: $T_{est} = T$")
                ylabel = r"estimated $T_{est}$ [$J/k_B$]"
            ax.errorbar(grid, m, yerr=s, fmt="o-", ms=3, lw=1, capsize=2, color="C3",
                        label=rf"generated: mean $\pm 1\sigma$ (n={int(round(p['temperature'].size / grid.size))}/T)")
            ax.axvline(tc, color="k", ls="--", lw=0.8, label=r"$T_c$")
            if c == 0:
                ax.set_ylabel(ylabel)
            else:
                ax.tick_params(labelleft=False)
            if r == 2:
                ax.set_xlabel(r"conditioning " + T_LABEL)
            else:
                ax.tick_params(labelbottom=False)
            if r == 0:
                title = f"({chr(97 + c)}) {name}" if letters else name
                ax.set_title(title, fontweight="bold")
        # image strip: the first ``strip_rows`` replicates at the grid temperatures nearest the wanted ones
        sub = outer[3, c].subgridspec(strip_rows, n_strip, wspace=0.05, hspace=0.05)
        grid_t = np.unique(p["temperature"])
        for j, wanted in enumerate(strip_temperatures):
            t_show = grid_t[np.argmin(np.abs(grid_t - wanted))]
            idx = np.flatnonzero(p["temperature"] == t_show)
            for i in range(strip_rows):
                ax = fig.add_subplot(sub[i, j])
                if i < idx.size:
                    ax.imshow(p["images"][idx[i]], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
                ax.set_xticks([])
                ax.set_yticks([])
                if i == 0:
                    ax.set_title(f"T={t_show:.2f}", fontsize=7, pad=2)
                if j == 0 and i == 0 and c == 0:
                    ax.set_ylabel("generated", fontsize=7)
    # one legend for the whole figure, above the columns (the same symbols in every plot)
    handles, labels = [], []
    for ax in (axes[0, 0], axes[2, 0]):
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="outside upper center", ncol=len(labels), frameon=False)
    return fig


def run_comparison(args, variants: tuple[str, ...]) -> int:
    """Shared CLI body: check the files are the expected variants, draw, save PDF + PNG."""
    from bcgan.figures.style import save_figure
    from bcgan.psd.response import load_response

    if len(args.samples) != len(variants) or len(args.psd) != len(variants):
        raise UserError(f"give {len(variants)} --samples and --psd files, for {', '.join(variants)} in this order")
    panels = [load_panel(s, p) for s, p in zip(args.samples, args.psd)]
    got = tuple(p["variant"] for p in panels)
    if got != variants:
        raise UserError(f"--samples hold variants {', '.join(got)}; expected {', '.join(variants)} in this order")
    model = load_response(args.response)
    tc = model.meta.get("tc")
    if tc is None:
        from bcgan.data.ising import TC as tc
    fig = draw(panels, model, tc=tc, strip_temperatures=args.temperatures, strip_rows=args.strip_rows)
    save_figure(fig, args.pdf, args.png)
    return 0


def add_comparison_arguments(parser, variants: tuple[str, ...]) -> None:
    names = ", ".join(variants)
    parser.add_argument("--samples", type=Path, nargs="+", required=True, help=f"samples HDF5 of {names}, in this order")
    parser.add_argument("--psd", type=Path, nargs="+", required=True,
                        help="`bcgan psd table --response` CSVs of those samples, same order")
    parser.add_argument("--response", type=Path, required=True, help="PSD response model JSON (real-data band)")
    parser.add_argument("--temperatures", type=float, nargs="+", default=[0.5, 1.5, 2.269, 3.0, 4.5],
                        help="temperatures of the image strip (nearest grid point is shown)")
    parser.add_argument("--strip-rows", type=int, default=2, help="images per temperature in the strip")
    parser.add_argument("--pdf", type=Path, required=True)
    parser.add_argument("--png", type=Path, default=None)
