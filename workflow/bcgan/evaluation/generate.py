"""Inverse design for a user: microstructures of a trained generator at the temperatures asked for.

Why: the paper's purpose is "ask for a temperature, get microstructures that have it". This module
turns a generator file and a few temperatures into files anyone can open: one PNG per image
in ``images/`` (L × L, 0/255 like the dataset, named ``T<temperature>_<index>.png`` so the temperature
travels with the file), a contact sheet, and the same images in our "samples" HDF5 format so they can be evaluated
(``bcgan psd table``). Noise follows bcgan.nets.sampling exactly: image i = temperature index × count +
replicate gets noise seed f(seed, i), so the same seed gives the same images, and an image at a
temperature of the sampling grid equals the one ``bcgan sample`` made with the same seed and count.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from bcgan.errors import UserError
from bcgan.io import atomic_path

__all__ = ["plan", "range_warnings", "temperature_text", "png_name", "write_pngs", "contact_sheet"]

def plan(temperatures, count: int, seed: int, side: int) -> tuple[np.ndarray, np.ndarray]:
    """(temperature float32, noise_seed uint64) per image, temperature-major (bcgan.nets.sampling's convention);
    the images (side x side) must fit in memory (bcgan.memory)."""
    from bcgan.memory import check_images_fit
    from bcgan.nets.sampling import noise_seeds

    t = np.asarray(temperatures, np.float64).ravel()
    if t.size == 0:
        raise UserError("give at least one --temperature")
    for v in t:
        if not (math.isfinite(v) and v > 0):
            raise UserError(f"--temperature {v:g}: temperatures must be finite and > 0 (J/k_B)")
        with np.errstate(over="ignore", under="ignore"):
            v32 = np.float32(v)
        if not np.isfinite(v32) or v32 == 0:
            f32 = np.finfo(np.float32)
            raise UserError(f"--temperature {v:g}: {'overflows' if v > 1 else 'underflows'} float32, the "
                            f"generator's number type (positive float32 values are {f32.smallest_subnormal:g} "
                            f"to {f32.max:g})")
    if count < 1:
        raise UserError(f"--count must be >= 1, got {count}")
    if seed < 0:
        raise UserError(f"--seed must be >= 0, got {seed}")
    check_images_fit(t.size * count, side, f"--count {count} x {t.size} temperature(s)")
    temperature = np.repeat(t.astype(np.float32), count)
    return temperature, noise_seeds(seed, temperature.size)


def range_warnings(temperatures, t_range) -> list[str]:
    """One warning per temperature outside the range the generator was trained on (it extrapolates there)."""
    lo, hi = float(t_range[0]), float(t_range[1])
    return [f"T = {t:g} is outside the trained range [{lo:g}, {hi:g}]: the generator extrapolates "
            "(a CGAN uses its end class), so its images need not have this temperature"
            for t in dict.fromkeys(float(v) for v in np.ravel(temperatures)) if not lo <= t <= hi]


def temperature_text(temperature: float) -> str:
    """The float32 temperature as text that reads back to the same float32: ``2.1000`` (4 decimals, as
    always) where that is exact enough, else the shortest decimal that is (``1.00001``, ``1e-30``, ``3e+07``)."""
    t = np.float32(temperature)
    if 1e-4 <= t < 1e5:
        fixed = f"{float(t):.4f}"
        if np.float32(fixed) == t:
            return fixed
        return np.format_float_positional(t, unique=True, trim="-")
    return np.format_float_scientific(t, unique=True, trim="-")


def png_name(temperature: float, index: int) -> str:
    """``T2.1000_0003.png`` (``T1e-30_0003.png`` far from 1): bcgan.psd.user_images reads the temperature
    back from this name; distinct float32 temperatures never share a name."""
    return f"T{temperature_text(temperature)}_{index:04d}.png"


def write_pngs(out_dir, images: np.ndarray, temperature: np.ndarray) -> list[str]:
    """One L × L grayscale PNG per image (0/255) in ``out_dir`` (a folder being built, bcgan.io.atomic_dir)."""
    from PIL import Image

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [png_name(t, i) for i, t in enumerate(temperature)]
    for name, image in zip(names, images):
        Image.fromarray(image, mode="L").save(out_dir / name, format="PNG")
    return names


def contact_sheet(path, images: np.ndarray, temperature: np.ndarray, t_est=None, *, columns: int = 8,
                  tile: int = 64) -> None:
    """All images on one PNG: a labelled block of rows per requested temperature, T_est under each image."""
    from PIL import Image, ImageDraw, ImageFont

    images = np.asarray(images)
    L = images.shape[1]
    scale = max(1, math.ceil(tile / L))
    side, gap = L * scale, 6
    font = ImageFont.load_default(size=12)
    label_h = 16 if t_est is not None else 0
    groups = [np.flatnonzero(temperature == t) for t in dict.fromkeys(temperature.tolist())]
    cols = min(columns, max(len(g) for g in groups))
    width = gap + cols * (side + gap)
    heights = [20 + math.ceil(len(g) / cols) * (side + label_h + gap) for g in groups]
    sheet = Image.new("L", (width, sum(heights) + gap), 255)
    draw = ImageDraw.Draw(sheet)
    y = gap
    for g, h in zip(groups, heights):
        draw.text((gap, y + 2), f"T = {float(temperature[g[0]]):.4g}  ({len(g)} images)", fill=0, font=font)
        for k, i in enumerate(g):
            x0 = gap + (k % cols) * (side + gap)
            y0 = y + 20 + (k // cols) * (side + label_h + gap)
            sheet.paste(Image.fromarray(images[i], mode="L").resize((side, side), Image.NEAREST), (x0, y0))
            draw.rectangle((x0 - 1, y0 - 1, x0 + side, y0 + side), outline=128)
            if t_est is not None:
                draw.text((x0, y0 + side + 2), f"T_est {float(t_est[i]):.2f}", fill=0, font=font)
        y += h
    with atomic_path(path) as tmp:
        sheet.save(tmp, format="PNG")
