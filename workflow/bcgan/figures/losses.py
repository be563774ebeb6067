"""Loss curve of one GAN training run (written by ``bcgan train gan``; not a paper figure).

Why: a glance at D/G losses and D's mean logits tells whether a run diverged or collapsed
(D loss -> 0 and G loss growing = D wins; both flat = nothing learned). Top panel: hinge losses,
bottom panel: mean D logit on real and on fake images; thin lines are per iteration, thick lines
a running mean.
"""

from __future__ import annotations

import numpy as np

from bcgan.figures.style import plt, save_figure


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    if window <= 1 or y.size < window:
        return y
    c = np.cumsum(np.insert(y, 0, 0.0))
    out = (c[window:] - c[:-window]) / window
    return np.concatenate([np.full(window - 1, np.nan), out])


def draw_loss_curve(rows, variant: str):
    """rows: [iteration, epoch, d_loss, g_loss, d_real, d_fake] -> matplotlib Figure."""
    a = np.asarray(rows, dtype=np.float64).reshape(-1, 6)
    it = a[:, 0]
    window = max(1, a.shape[0] // 50)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(5.0, 4.2), sharex=True)
    for ax, cols in ((ax1, ((2, "D loss", "C0"), (3, "G loss", "C1"))),
                     (ax2, ((4, "D(real) mean logit", "C2"), (5, "D(fake) mean logit", "C3")))):
        for col, label, color in cols:
            y = a[:, col]
            ax.plot(it, y, color=color, lw=0.5, alpha=0.35)
            ax.plot(it, _smooth(y, window), color=color, lw=1.4, label=label)
        ax.legend(loc="best", frameon=False)
        ax.grid(alpha=0.3)
    ax1.set_ylabel("hinge loss")
    ax2.set_ylabel("discriminator logit")
    ax2.set_xlabel("iteration (one D step + one G step)")
    epochs = int(a[-1, 1]) if a.size else 0
    ax1.set_title(f"{variant}: training losses ({epochs} epochs, {a.shape[0]} iterations)")
    fig.align_ylabels((ax1, ax2))
    return fig


def save_loss_curve(path, rows, variant: str) -> None:
    """Draw and save the PNG (or PDF, by suffix) atomically."""
    save_figure(draw_loss_curve(rows, variant), path)
