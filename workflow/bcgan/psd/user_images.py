"""Images a user brings: a plain HDF5 file with an ``images`` dataset, a ``.npy`` stack, PNG files.

Why: evaluating someone else's microstructures (``bcgan psd table``) should not require our file
layout. Our own files (HDF5 with a ``kind`` attribute) still go through the strict reader of
bcgan.data.shards; anything else is converted to our convention (uint8, 0 = spin −1, 255 = spin +1, shape
(n, L, L)) and the conversion is described in one line (``ImageSet.note``) so a user can see how the
file was read. Accepted encodings: 0/255, ±1 or 0/1 (integers or floats); other real values in
[−1, 1] are thresholded at 0, in [0, 1] at 0.5 and in [0, 255] above 127 (the PSD convention).
A temperature is taken from an HDF5 ``temperature`` dataset or from PNG names ``T<value>_...``
(what ``bcgan generate`` writes); otherwise it is NaN.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bcgan.errors import UserError

__all__ = ["ImageSet", "read_user_images", "to_spins_uint8", "PNG_T_PATTERN"]

PNG_T_PATTERN = re.compile(r"^T(?P<t>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)_")
"""A PNG whose name starts with T<value>_ carries its temperature (e.g. T2.100_0003.png, T1e-30_0003.png)."""

MIN_L = 4  # the PSD fit needs rings k = 1 .. L/2 - 1: at least one
MAX_SIDE = 4096  # the largest PNG read: 4096 x 4096 (16 Mpixel); the paper's images are 128 x 128
MAX_PIXELS = MAX_SIDE * MAX_SIDE


@dataclass
class ImageSet:
    """Images uint8 0/255 (n, L, L), temperature float64 (n,) (NaN = unknown), how they were read."""

    images: np.ndarray
    temperature: np.ndarray
    note: str | None  # None for our own formats; one line for converted input
    files: list[str] | None = None  # per image, for a folder of PNGs (read in name order)


def _binary_encoding(values: np.ndarray) -> str | None:
    """The name of the binary encoding the distinct values fit, if any."""
    v = set(values.tolist())
    for name, allowed in (("0/255", {0, 255}), ("±1", {-1, 1}), ("0/1", {0, 1})):
        if v <= allowed:
            return name
    return None


def to_spins_uint8(array, source: str) -> tuple[np.ndarray, str]:
    """(uint8 0/255 images, description of the encoding) from any accepted numeric stack (n, L, L)."""
    a = np.asarray(array)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or a.shape[1] != a.shape[2]:
        raise UserError(f"{source}: images must have shape (n, L, L) (square), got {a.shape}")
    if a.shape[0] == 0:
        raise UserError(f"{source}: holds no images (shape {a.shape})")
    if a.shape[1] < MIN_L:
        raise UserError(f"{source}: images are {a.shape[1]}x{a.shape[2]}; the PSD needs L >= {MIN_L}")
    if a.dtype == bool:
        a = a.astype(np.uint8)
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise UserError(f"{source}: images must be numbers, got dtype {a.dtype}")
    if np.issubdtype(a.dtype, np.floating) and not np.isfinite(a).all():
        raise UserError(f"{source}: images contain NaN or infinite values")
    values = np.unique(a)
    encoding = _binary_encoding(values) if values.size <= 2 else None
    lo, hi = float(a.min()), float(a.max())
    if encoding == "0/255":
        up = a == 255
    elif encoding == "±1":
        up = a > 0
    elif encoding == "0/1":
        up = a == 1
    elif -1 <= lo < 0 and hi <= 1:
        encoding, up = "values in [-1, 1] thresholded at 0", a > 0
    elif 0 <= lo and hi <= 1:
        encoding, up = "values in [0, 1] thresholded at 0.5", a > 0.5
    elif 0 <= lo and hi <= 255:
        encoding, up = "values in [0, 255] thresholded at 127", a > 127
    else:
        raise UserError(f"{source}: image values span {lo:g} .. {hi:g}; expected 0/255, ±1 or 0/1 spins "
                        "(or values within [-1, 1], [0, 1] or [0, 255])")
    return np.where(up, 255, 0).astype(np.uint8), f"{a.dtype} {encoding}"


def _temperatures(values, n: int, source: str) -> np.ndarray:
    t = np.asarray(values)
    if t.shape != (n,) or not np.issubdtype(t.dtype, np.number):
        raise UserError(f"{source}: 'temperature' must be {n} numbers to match the images, got {t.dtype} {t.shape}")
    t = t.astype(np.float64)
    if not np.isfinite(t).all():
        raise UserError(f"{source}: 'temperature' contains NaN or infinite values")
    if (t < 0).any():  # as `bcgan generate` refuses them: |T_est - T| against a negative T means nothing
        i = int(np.argmax(t < 0))
        raise UserError(f"{source}: 'temperature' holds negative values (image {i}: {t[i]:g}); temperatures "
                        "are >= 0 (J/k_B)")
    return t


def _read_h5(path: Path) -> ImageSet:
    import h5py

    from bcgan.data.shards import read_shard

    try:
        with h5py.File(path, "r") as f:
            if "kind" in f.attrs:  # one of ours (or claims to be): strict checks
                ours = True
            else:
                ours = False
                ds = f.get("images")
                if not isinstance(ds, h5py.Dataset):
                    raise UserError(f"{path}: HDF5 file has no 'images' dataset (datasets: "
                                    f"{', '.join(sorted(f.keys())) or 'none'})")
                images = ds[()]
                tds = f.get("temperature")
                temps = tds[()] if isinstance(tds, h5py.Dataset) else None
    except UserError:
        raise
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{path}: cannot read HDF5 data (truncated or corrupt?): {reason}") from None
    if ours:
        d = read_shard(path)
        return ImageSet(d["images"], _temperatures(d["temperature"], len(d["images"]), f"{path}:temperature"), None)
    spins, encoding = to_spins_uint8(images, f"{path}:images")
    n = spins.shape[0]
    t = np.full(n, np.nan) if temps is None else _temperatures(temps, n, f"{path}:temperature")
    what = "temperature from 'temperature'" if temps is not None else "no temperature"
    return ImageSet(spins, t, f"{path}: plain HDF5 'images' {images.shape} read as {encoding}, {what}")


def _read_npy(path: Path) -> ImageSet:
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{path}: not a readable .npy array: {reason}") from None
    spins, encoding = to_spins_uint8(array, str(path))
    return ImageSet(spins, np.full(spins.shape[0], np.nan),
                    f"{path}: .npy {array.shape} read as {encoding}, no temperature")


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_PIXELS:
                raise UserError(f"{path}: image is {im.width}x{im.height} pixels, larger than the "
                                f"{MAX_PIXELS:,} this reader accepts (a spin image is L x L, L up to {MAX_SIDE})")
            return np.asarray(im.convert("L"))
    except Image.DecompressionBombError as exc:
        raise UserError(f"{path}: image too large to read ({str(exc).split(',')[0]})") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise UserError(f"{path}: not a readable PNG image ({type(exc).__name__})") from None


def _read_pngs(paths: list[Path], source: str) -> ImageSet:
    arrays = [_read_png(p) for p in paths]
    for p, a in zip(paths, arrays):
        if a.shape != arrays[0].shape:
            raise UserError(f"{p}: image is {a.shape[1]}x{a.shape[0]} but {paths[0].name} is "
                            f"{arrays[0].shape[1]}x{arrays[0].shape[0]}: all PNGs must have one size")
    spins, _ = to_spins_uint8(np.stack(arrays), source)
    matches = [PNG_T_PATTERN.match(p.name) for p in paths]
    if all(matches):
        t, what = np.array([float(m["t"]) for m in matches]), "temperature from the T<value>_ file names"
    else:
        t, what = np.full(len(paths), np.nan), "no temperature"
    return ImageSet(spins, t, f"{source}: {len(paths)} PNG(s) read in name order as grayscale > 127 = spin up, "
                              f"{what}", [str(p) for p in paths])


def read_user_images(path: str | os.PathLike) -> ImageSet:
    """Images from one file or folder (module doc); our own HDF5 formats are read strictly."""
    import h5py

    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: file not found")
    if path.is_dir():
        pngs = sorted(p for p in path.iterdir() if p.suffix.lower() == ".png" and p.is_file())
        if not pngs:
            raise UserError(f"{path}: folder holds no .png images")
        return _read_pngs(pngs, str(path))
    if not path.is_file():
        raise UserError(f"{path}: not a regular file")
    with open(path, "rb") as fh:
        magic = fh.read(8)
    if h5py.is_hdf5(path):
        return _read_h5(path)
    if magic.startswith(b"\x93NUMPY"):
        return _read_npy(path)
    if magic == b"\x89PNG\r\n\x1a\n":
        return _read_pngs([path], str(path))
    if path.suffix.lower() in (".h5", ".hdf5", ".hdf"):
        raise UserError(f"{path}: not a readable HDF5 file (truncated or corrupt?)")
    raise UserError(f"{path}: not an image file (expected HDF5 with an 'images' dataset, a .npy stack, "
                    "a PNG or a folder of PNGs)")
