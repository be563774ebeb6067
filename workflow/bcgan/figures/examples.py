"""Pick example images nearest to requested temperatures, for the image strips of several figures."""

from __future__ import annotations

import numpy as np


def nearest_examples(images: np.ndarray, temperatures: np.ndarray, wanted) -> tuple[np.ndarray, np.ndarray]:
    """For each wanted T, the image whose temperature is closest: returns (images, their actual T)."""
    idx = np.array([int(np.argmin(np.abs(temperatures - t))) for t in wanted])
    return images[idx], temperatures[idx]
