"""Shared look of every figure, and saving a figure as PDF + PNG atomically."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bcgan.io import atomic_path  # noqa: E402

# Readable at paper size: a single-column figure is ~3.4 in wide, a full-width one ~7 in.
plt.rcParams.update(
    {
        "font.size": 9,
        "axes.labelsize": 9,
        "axes.titlesize": 9,
        "legend.fontsize": 8,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "figure.dpi": 100,
        "savefig.dpi": 200,
        "savefig.bbox": "tight",
        "pdf.fonttype": 42,
    }
)


def save_figure(fig, pdf: str | Path, png: str | Path | None = None) -> None:
    """Write ``fig`` to ``pdf`` and, if given, ``png``; each appears atomically. Closes the figure."""
    for path in (pdf, png):
        if path is None:
            continue
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix.lstrip("."))
    plt.close(fig)
