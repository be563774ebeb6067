"""Fig 9: BcGAN images at T = Tc + ε for several fixed noise inputs, one row per noise input (App. D).

Each row: the original, then the overlays (gray original, blue - -> +, red + -> -) for every ε.
"""

from __future__ import annotations

from bcgan.evaluation.perturb import read_perturbation
from bcgan.figures import epsilon_overlay
from bcgan.figures.style import save_figure
from bcgan.nets.names import title


def draw(perturbation):
    rows = range(len(perturbation.noise_seed))
    return epsilon_overlay.draw_grid(perturbation, rows, panel=1.4,
                                     title=f"{title(perturbation.variant)}, "
                                           r"$T = T_c + \epsilon$, one row per noise input")


def add_arguments(parser) -> None:
    epsilon_overlay.add_arguments(parser)


def run(args) -> int:
    save_figure(draw(read_perturbation(args.perturbation)), args.pdf, args.png)
    return 0
