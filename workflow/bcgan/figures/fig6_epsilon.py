"""Fig 6: BcGAN images at T = Tc + ε with fixed noise: the original, then its difference to each perturbed image.

Original in gray; changed pixels in blue (spin - -> +) and red (+ -> -). First noise row of the sweep.
"""

from __future__ import annotations

from bcgan.evaluation.perturb import read_perturbation
from bcgan.figures import epsilon_overlay
from bcgan.figures.style import save_figure
from bcgan.nets.names import title


def draw(perturbation):
    return epsilon_overlay.draw_grid(perturbation, [0], panel=1.6,
                                     title=f"{title(perturbation.variant)}, "
                                           r"$T = T_c + \epsilon$, fixed noise")


def add_arguments(parser) -> None:
    epsilon_overlay.add_arguments(parser)


def run(args) -> int:
    save_figure(draw(read_perturbation(args.perturbation)), args.pdf, args.png)
    return 0
