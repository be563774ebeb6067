"""Training progress of every variant (not a paper figure): physics metrics against images seen.

Why: a GAN that has not converged proves nothing either way. Each panel is one metric of
``bcgan.training.progress`` (written to progress.csv by the training job) for all variants on shared axes;
the dashed black line is the same metric for real held-out images at the same grid temperatures
(the floor a perfect generator reaches). With ``--ema`` the moving average of G's weights
(``bcgan.training.ema``) is drawn as a thick line over a thin, faint line of G itself. A run has converged
when its curves are flat over the last part of training. Registered as ``bcgan train progress-figure``.
"""

from __future__ import annotations

from pathlib import Path

from bcgan.errors import UserError
from bcgan.figures.style import plt, save_figure
from bcgan.nets.names import title, variant_rank

PANELS = [
    ("mae_all", r"T-MAE, all T [$J/k_B$]", False),
    ("mae_near", r"T-MAE near $T_c$ [$J/k_B$]", False),
    ("psd_distance", "PSD distance [real std]", True),
    ("diversity_flip", "diversity (flip-invariant)", False),
    ("energy_error", r"energy error [$J$ per spin]", False),
    ("frac_positive", "fraction with m > 0", False),
]


def draw(progress: dict, real: dict | None = None, ema: dict | None = None):
    """progress: {variant: DataFrame of progress.csv}; real: the metrics of real images (or None);
    ema: {variant: DataFrame of progress_ema.csv} (or None)."""
    if not progress:
        raise UserError("no progress files given")
    ema = ema or {}
    order = sorted(progress, key=variant_rank)
    fig, axes = plt.subplots(2, 3, figsize=(7.0, 4.6), layout="constrained", sharex=True)
    for ax, (key, ylabel, log) in zip(axes.ravel(), PANELS):
        for i, v in enumerate(order):
            df, colour = progress[v], f"C{i}"
            if v in ema:
                ax.plot(df["images_seen"], df[key], lw=0.7, alpha=0.35, color=colour)
                ax.plot(ema[v]["images_seen"], ema[v][key], lw=1.6, color=colour, label=title(v))
            else:
                ax.plot(df["images_seen"], df[key], marker="o", ms=2.5, lw=1.1, color=colour, label=title(v))
        if real is not None:
            ax.axhline(real[key], color="k", ls="--", lw=1.0, label="real images")
        if log:
            ax.set_yscale("log")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, which="both")
    for ax in axes[1]:
        ax.set_xlabel("training images seen [thousands]")
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x / 1000:g}"))
    axes[1, 2].set_ylim(-0.05, 1.05)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if ema:
        handles += [plt.Line2D([], [], color="grey", lw=0.7, alpha=0.5), plt.Line2D([], [], color="grey", lw=1.6)]
        labels += ["G (last iterate)", "EMA of G's weights"]
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 5), frameon=False)
    return fig


def add_arguments(parser) -> None:
    parser.add_argument("progress", type=Path, nargs="+",
                        help="progress.csv files; the variant is the name of the folder holding each")
    parser.add_argument("--ema", type=Path, nargs="+", default=[], help="progress_ema.csv files of the same variants")
    parser.add_argument("--shards", type=Path, nargs="+", required=True, help="training shards (energy reference)")
    parser.add_argument("--heldout", type=Path, required=True, help="held-out real images (the floor)")
    parser.add_argument("--response", type=Path, required=True, help="PSD response model")
    parser.add_argument("--eval-temperatures", type=int, required=True, help="as in training")
    parser.add_argument("--eval-per-temperature", type=int, required=True, help="as in training")
    parser.add_argument("--seed", type=int, required=True, help="as in training")
    parser.add_argument("--pdf", type=Path, required=True)
    parser.add_argument("--png", type=Path, required=True)


def run(args) -> int:
    from bcgan.data.shards import read_images
    from bcgan.psd.response import load_response
    from bcgan.training.progress import make_eval_set, read_progress_files, real_reference

    progress = read_progress_files(args.progress)
    images, temps = read_images(args.shards)
    eval_set = make_eval_set(images, temps, load_response(args.response), n_temperatures=args.eval_temperatures,
                             per_temperature=args.eval_per_temperature, seed=args.seed)
    real = real_reference(*read_images([args.heldout]), eval_set)
    save_figure(draw(progress, real, read_progress_files(args.ema)), args.pdf, args.png)
    return 0
