"""The physics of each model's lattices against fresh Monte Carlo ones, as a physicist reads them.

Why: which model carries the phase transition is seen at a glance: one panel per observable against T
(⟨|m|⟩, ⟨e⟩, χ, C, U₄, ξ₂, the mean domain size and the largest domain), the real lattices as a black
line with their ±1 bootstrap-sd band, every model on the same axes, Tc dotted. ξ₂ points flagged as
too large for the lattice (> 0.4 L) are drawn hollow.

  bcgan figure physics --real real_a.csv --models samples_ccgan.csv ... --pdf F.pdf --png F.png
"""

from __future__ import annotations

from pathlib import Path


from bcgan.data.ising import TC
from bcgan.evaluation.physics import LABELS, SCALARS, read_observables, wide
from bcgan.figures.style import plt, save_figure
from bcgan.nets.names import title, variant_rank

LOG_SCALE = {"chi", "heat_capacity", "xi", "domain_size"}


def draw(real, models: dict):
    fig, axes = plt.subplots(2, 4, figsize=(7.0, 3.9), layout="constrained", sharex=True)
    t, value, sd = wide(real)
    for ax, name in zip(axes.ravel(), SCALARS):
        v, s = value[name], sd[name]
        ax.fill_between(t, v - s, v + s, color="0.75", lw=0)
        ax.plot(t, v, color="k", lw=1.2)
        for k, (model, frame) in enumerate(models.items()):
            tm, vm, _ = wide(frame)
            ax.plot(tm, vm[name], color=f"C{k}", lw=0.8, marker="o", ms=2)
            if name == "xi":
                flagged = frame[(frame["observable"] == "xi") & (frame["flag"] != "")]
                ax.plot(flagged["t"], flagged["value"], ls="", marker="o", ms=4, mfc="none", color=f"C{k}")
        ax.axvline(TC, color="grey", ls=":", lw=0.8)
        if name in LOG_SCALE:
            ax.set_yscale("log")
        ax.set_ylabel(LABELS[name])
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel(r"$T$ [$J/k_B$]")
    handles = [(plt.Line2D([], [], color="k", lw=1.2), "Monte Carlo (±1 sd band)")]
    handles += [(plt.Line2D([], [], color=f"C{k}", lw=0.8, marker="o", ms=2), title(m)) for k, m in enumerate(models)]
    handles += [(plt.Line2D([], [], color="grey", ls=":", lw=0.8), r"$T_c$")]
    fig.legend(*zip(*handles), loc="outside lower center", ncol=min(len(handles), 4), frameon=False)
    return fig


def add_arguments(parser) -> None:
    parser.add_argument("--real", type=Path, required=True, help="observables of the reference Monte Carlo set")
    parser.add_argument("--models", type=Path, nargs="+", required=True, help="observables of each model's images")
    parser.add_argument("--pdf", type=Path, required=True)
    parser.add_argument("--png", type=Path, default=None)


def run(args) -> int:
    _, real = read_observables(args.real)
    models = dict(sorted((read_observables(p) for p in args.models), key=lambda kv: variant_rank(kv[0])))
    save_figure(draw(real, models), args.pdf, args.png)
    return 0
