"""Fig 2: PSD response model: training images in (slope, intercept, T) and the interpolated mean ± spread.

Panels: (a) 3D scatter of the training images' PSD slope, intercept and temperature, with the mean
response curve; (b) slope and (c) intercept vs T, mean curve with a ±1σ band and the bin means;
(d) the response curve in the slope–intercept plane coloured by T, over the training images (this is
the plane in which the inverse map looks for the nearest point). Tc is marked in every panel.
Inputs: a ``bcgan psd table`` CSV of the training images and a ``bcgan psd fit-response`` model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bcgan.errors import UserError
from bcgan.figures.style import plt, save_figure

T_LABEL = r"temperature $T$ [$J/k_B$]"
S_LABEL = r"PSD slope [$d\,\ln P / d\,\ln k$]"
I_LABEL = r"PSD intercept [$\ln P$ at $k=1$]"


def draw(slope, intercept, temperature, model, *, tc: float, max_points: int = 6000, seed: int = 0):
    """Build the figure from per-image PSD parameters and a ResponseModel; returns the Figure."""
    slope, intercept, t = (np.asarray(a, np.float64) for a in (slope, intercept, temperature))
    if not (slope.size == intercept.size == t.size) or slope.size == 0:
        raise UserError("fig2 needs equal, non-empty slope/intercept/temperature columns")
    if slope.size > max_points:  # a readable scatter; deterministic subsample
        keep = np.sort(np.random.default_rng(seed).choice(slope.size, max_points, replace=False))
        slope, intercept, t = slope[keep], intercept[keep], t[keep]
    g, mu = model.t_grid, model.mean
    sd = np.sqrt(np.stack([model.cov[:, 0, 0], model.cov[:, 1, 1]], axis=1))
    norm = plt.Normalize(min(t.min(), g.min()), max(t.max(), g.max()))
    cmap = plt.get_cmap("viridis")
    # axis limits: the mean curve +- 4 sigma (clipped to the data), so a few outliers (e.g. images whose
    # ring powers hit the floor) do not squash the plot; how many lie outside is stated in panel (d)
    lims = []
    for j, v in enumerate((slope, intercept)):
        lo = max((mu[:, j] - 4 * sd[:, j]).min(), v.min())
        hi = min((mu[:, j] + 4 * sd[:, j]).max(), v.max())
        lo, hi = min(lo, mu[:, j].min()), max(hi, mu[:, j].max())
        pad = 0.04 * (hi - lo)
        lims.append((lo - pad, hi + pad))
    outside = int(np.sum((slope < lims[0][0]) | (slope > lims[0][1]) | (intercept < lims[1][0])
                         | (intercept > lims[1][1])))
    inside = ((slope >= lims[0][0]) & (slope <= lims[0][1]) & (intercept >= lims[1][0])
              & (intercept <= lims[1][1]))

    fig = plt.figure(figsize=(7.2, 4.8), layout="constrained")
    grid = fig.add_gridspec(2, 3, width_ratios=[1.45, 1, 1], wspace=0.08)
    ax3 = fig.add_subplot(grid[:, 0], projection="3d")
    ax3.scatter(slope[inside], intercept[inside], t[inside], c=t[inside], cmap=cmap, norm=norm, s=2,
                alpha=0.5, linewidths=0, rasterized=True)
    ax3.plot(mu[:, 0], mu[:, 1], g, color="k", lw=1.5, label="mean response")
    i_tc = np.argmin(np.abs(g - tc))
    ax3.scatter([mu[i_tc, 0]], [mu[i_tc, 1]], [tc], color="k", marker="*", s=60, label=r"$T_c$")
    ax3.set_xlim(*lims[0])
    ax3.set_ylim(*lims[1])
    for axis in (ax3.xaxis, ax3.yaxis, ax3.zaxis):
        axis.set_major_locator(plt.MaxNLocator(4))
    ax3.set_xlabel("PSD slope", labelpad=-3)
    ax3.set_ylabel(r"intercept [$\ln P$]", labelpad=-3)
    ax3.set_zlabel(r"$T$ [$J/k_B$]", labelpad=-6)
    ax3.tick_params(pad=-2, labelsize=7)
    ax3.view_init(elev=20, azim=-60)
    ax3.set_box_aspect(None, zoom=0.95)
    ax3.set_title("(a) training images in (slope, intercept, T)", pad=-4)
    ax3.legend(loc="upper left", bbox_to_anchor=(0.0, 0.93), frameon=False)

    for row, (j, label, name) in enumerate(((0, S_LABEL, "(b) slope"), (1, I_LABEL, "(c) intercept"))):
        ax = fig.add_subplot(grid[row, 1])
        ax.scatter(t, (slope, intercept)[j], s=1, color="0.75", rasterized=True, label="training images")
        ax.fill_between(g, mu[:, j] - sd[:, j], mu[:, j] + sd[:, j], color="C0", alpha=0.3, lw=0,
                        label=r"mean $\pm 1\sigma$")
        ax.plot(g, mu[:, j], color="C0", lw=1.2)
        ax.plot(model.bin_t, model.bin_mean[:, j], "o", ms=2.5, color="C1", label="bin means")
        ax.axvline(tc, color="k", ls="--", lw=0.8, label=r"$T_c$")
        ax.set_ylim(*lims[j])
        ax.set_ylabel(label)
        ax.set_title(f"{name} vs $T$", loc="left")
        if row == 1:
            ax.set_xlabel(T_LABEL)
        else:
            ax.legend(loc="upper left", framealpha=0.9, markerscale=2, handlelength=1.2, borderpad=0.3)

    ax = fig.add_subplot(grid[:, 2])
    ax.scatter(slope, intercept, s=1, color="0.8", rasterized=True, label="training images")
    pts = ax.scatter(mu[:, 0], mu[:, 1], c=g, cmap=cmap, norm=norm, s=3, label="mean response")
    ax.plot(mu[i_tc, 0], mu[i_tc, 1], "k*", ms=9, label=r"$T_c$")
    ax.set_xlim(*lims[0])
    ax.set_ylim(*lims[1])
    ax.set_xlabel(S_LABEL)
    ax.set_ylabel(I_LABEL)
    ax.set_title("(d) response in the PSD plane", loc="left")
    ax.legend(loc="lower left", framealpha=0.9, markerscale=2)
    if outside:
        ax.text(0.98, 0.98, f"{outside} of {slope.size} images\noutside the axes", transform=ax.transAxes,
                ha="right", va="top", fontsize=7)
    fig.colorbar(pts, ax=ax, label=T_LABEL, location="bottom", shrink=0.9)
    return fig


def add_arguments(parser) -> None:
    parser.add_argument("--table", type=Path, required=True,
                        help="CSV from `bcgan psd table` of the training images (temperature, slope, intercept)")
    parser.add_argument("--response", type=Path, required=True, help="model from `bcgan psd fit-response`")
    parser.add_argument("--pdf", type=Path, required=True)
    parser.add_argument("--png", type=Path, default=None)
    parser.add_argument("--max-points", type=int, default=6000, help="scatter at most this many images")


def run(args) -> int:
    import pandas as pd

    from bcgan.psd.response import load_response

    model = load_response(args.response)
    try:
        df = pd.read_csv(args.table)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read PSD table {args.table} ({exc.__class__.__name__})") from None
    missing = {"temperature", "slope", "intercept"} - set(df.columns)
    if missing:
        raise UserError(f"PSD table {args.table} lacks column(s) {sorted(missing)}")
    tc = model.meta.get("tc")
    if tc is None:
        from bcgan.data.ising import TC as tc
    fig = draw(df["slope"], df["intercept"], df["temperature"], model, tc=tc, max_points=args.max_points)
    save_figure(fig, args.pdf, args.png)
    return 0
