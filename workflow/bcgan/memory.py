"""Sizes that set memory (image counts times image size) are checked against the machine's memory
before any work: a huge ``--count`` is one line naming the option, not numpy's ArrayMemoryError
after the work has started. The commands hold their images in memory (no streaming), so this is
their bound: all images, plus the HDF5 file built in memory (bcgan.io.atomic_hdf5), must fit.
"""

from __future__ import annotations

import os

from bcgan.errors import UserError


def physical_memory() -> int | None:
    """Bytes of memory of this machine, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def check_images_fit(n_images: int, side: int, what: str, extra_per_image: int = 16) -> None:
    """UserError naming ``what`` when ``n_images`` images of side x side (uint8, twice: the array and
    the HDF5 file) and ``extra_per_image`` bytes each do not fit in this machine's memory."""
    total = physical_memory()
    need = int(n_images) * (2 * int(side) ** 2 + extra_per_image)
    if total is not None and need > total:
        raise UserError(f"{what}: {n_images:,} images of {side}x{side} need about {need / 2**30:,.1f} GiB of "
                        f"memory, more than this machine's {total / 2**30:,.1f} GiB; ask for fewer")
