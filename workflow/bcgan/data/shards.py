"""HDF5 files of Ising images: the dataset shards (kind "ising") and generated sample sets (kind "samples").

Why a strict reader: shards are produced by long jobs and consumed by many; a truncated, foreign or
stale file must stop the consumer with one line naming the file and the problem, never a traceback
from deep inside h5py or silently wrong data. Why atomic writes: a file under its final name is
always complete, so Snakemake and reruns can trust it. Files are byte-identical for identical inputs
(no timestamps, fixed compression), so results can be compared by checksum.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from bcgan import __version__
from bcgan.errors import UserError
from bcgan.io import atomic_hdf5

FORMAT_VERSION = 1
"""Bumped when the layout changes incompatibly; readers refuse files from a newer format."""

# dataset name -> (dtype, ndim); the first axis of every dataset is the image index.
_SCHEMAS = {
    "ising": {
        "datasets": {
            "images": (np.uint8, 3),
            "temperature": (np.float32, 1),
            "seed": (np.uint64, 1),
            "energy": (np.float64, 1),
            "magnetization": (np.float64, 1),
        },
        "attrs": ("L", "steps", "algorithm", "format_version", "package_version"),
    },
    "samples": {
        "datasets": {
            "images": (np.uint8, 3),
            "temperature": (np.float32, 1),
            "noise_seed": (np.uint64, 1),
        },
        "attrs": ("variant",),
    },
}


def _image_dataset(f: h5py.File, images: np.ndarray, compression: str) -> None:
    """Images chunked one per chunk (random access to single images), compressed."""
    n, L, _ = images.shape
    opts = {"compression": compression}
    if compression == "gzip":
        opts["compression_opts"] = 4
    f.create_dataset("images", data=images, chunks=(1, L, L) if n else None, track_times=False,
                     **(opts if n else {}))


def _check_images(images) -> np.ndarray:
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1] != images.shape[2]:
        raise UserError(f"images must be uint8 of shape (n, L, L), got {images.dtype} {images.shape}")
    return np.ascontiguousarray(images)


def _column(name: str, values, dtype, n: int) -> np.ndarray:
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise UserError(f"{name} must have shape ({n},) to match the images, got {arr.shape}")
    return np.ascontiguousarray(arr.astype(dtype, copy=False))


def _to_attr(value):
    return value.decode() if isinstance(value, bytes) else value


def write_shard(path: str | os.PathLike, *, images, temperature, seed, energy, magnetization, steps: int,
                algorithm: str, extra_attrs: dict | None = None, compression: str = "gzip") -> Path:
    """Write one Ising dataset shard (kind "ising", layout in CONTRACT.md) atomically; return its path.

    images uint8 0/255 (n, L, L); temperature float32 (n,); seed uint64 per-image stream seed;
    energy, magnetization float64 per spin. extra_attrs (e.g. global_seed, first_index) are stored too.
    """
    if compression not in ("gzip", "lzf"):
        raise UserError(f"compression must be 'gzip' or 'lzf', got {compression!r}")
    images = _check_images(images)
    n, L, _ = images.shape
    cols = {
        "temperature": _column("temperature", temperature, np.float32, n),
        "seed": _column("seed", seed, np.uint64, n),
        "energy": _column("energy", energy, np.float64, n),
        "magnetization": _column("magnetization", magnetization, np.float64, n),
    }
    attrs = dict(extra_attrs or {})
    attrs.update(kind="ising", L=int(L), steps=int(steps), algorithm=str(algorithm),
                 format_version=FORMAT_VERSION, package_version=__version__)
    return _write(path, images, cols, attrs, compression)


def write_samples(path: str | os.PathLike, *, images, temperature, noise_seed, variant: str,
                  extra_attrs: dict | None = None, compression: str = "gzip") -> Path:
    """Write a generated-sample set (kind "samples": images, conditioning temperature, noise_seed) atomically."""
    images = _check_images(images)
    n = images.shape[0]
    cols = {
        "temperature": _column("temperature", temperature, np.float32, n),
        "noise_seed": _column("noise_seed", noise_seed, np.uint64, n),
    }
    attrs = dict(extra_attrs or {})
    attrs.update(kind="samples", variant=str(variant), L=int(images.shape[1]), format_version=FORMAT_VERSION,
                 package_version=__version__)
    return _write(path, images, cols, attrs, compression)


def _write(path, images, cols: dict, attrs: dict, compression: str) -> Path:
    path = Path(path)
    with atomic_hdf5(path, track_order=False) as f:
        _image_dataset(f, images, compression)
        for name, arr in cols.items():
            f.create_dataset(name, data=arr, track_times=False)
        for key in sorted(attrs):
            f.attrs[key] = attrs[key]
    return path


def read_shard(path: str | os.PathLike) -> dict:
    """Read and validate one "ising" shard or "samples" file.

    Returns {dataset name: numpy array, ..., "attrs": {name: value}}. Any problem (missing, truncated,
    not HDF5, not ours, wrong dtype/shape, newer format) raises UserError naming the file.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: file not found")
    if not path.is_file():
        raise UserError(f"{path}: not a regular file")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{path}: not a readable HDF5 file (truncated or corrupt?): {reason}") from None
    try:
        with f:
            attrs = {k: _to_attr(v) for k, v in f.attrs.items()}
            kind = attrs.get("kind")
            if kind not in _SCHEMAS:
                what = "no 'kind' attribute" if kind is None else f"unknown kind {kind!r}"
                raise UserError(f"{path}: not a bcgan image file ({what}); expected kind 'ising' or 'samples'")
            schema = _SCHEMAS[kind]
            missing = [a for a in schema["attrs"] if a not in attrs]
            if missing:
                raise UserError(f"{path}: {kind} file lacks attribute(s) {', '.join(missing)}")
            version = attrs.get("format_version", FORMAT_VERSION)
            if int(version) > FORMAT_VERSION:
                raise UserError(f"{path}: format_version {version} is newer than this bcgan supports ({FORMAT_VERSION})")
            data = {}
            n = None
            for name, (dtype, ndim) in schema["datasets"].items():
                ds = f.get(name)
                if not isinstance(ds, h5py.Dataset):
                    raise UserError(f"{path}: {kind} file lacks dataset '{name}'")
                if ds.dtype != np.dtype(dtype) or ds.ndim != ndim:
                    raise UserError(f"{path}: dataset '{name}' is {ds.dtype} with {ds.ndim} dims, "
                                    f"expected {np.dtype(dtype)} with {ndim}")
                if n is None:
                    n = ds.shape[0]
                elif ds.shape[0] != n:
                    raise UserError(f"{path}: dataset '{name}' has {ds.shape[0]} entries but images has {n}")
                data[name] = ds[()]
    except UserError:
        raise
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{path}: cannot read data (truncated or corrupt?): {reason}") from None
    images = data["images"]
    if images.shape[1] != images.shape[2]:
        raise UserError(f"{path}: images are not square: shape {images.shape}")
    if "L" in attrs and int(attrs["L"]) != images.shape[1]:
        raise UserError(f"{path}: attribute L={attrs['L']} does not match image size {images.shape[1]}")
    data["attrs"] = attrs
    return data


def read_images(paths) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate images (uint8 (N, L, L)) and temperatures (float32 (N,)) from shards or sample files.

    All files must share one lattice size; a single path is accepted too.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    if not paths:
        raise UserError("read_images: no files given")
    images, temps = [], []
    L = None
    for p in paths:
        d = read_shard(p)
        size = d["images"].shape[1]
        if L is None:
            L = size
        elif size != L:
            raise UserError(f"{p}: image size {size} differs from {L} in {paths[0]}")
        images.append(d["images"])
        temps.append(d["temperature"])
    return np.concatenate(images), np.concatenate(temps)
