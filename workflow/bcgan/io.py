"""File input and output: a result appears complete under its final name or not at all, and an input
that is missing or unreadable is a one-line UserError naming the file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from bcgan.errors import UserError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds.

    The temporary file lives in the same directory so the final ``os.replace`` is atomic on POSIX;
    an interrupted or failing writer leaves no file under the final name for a rerun to trust.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # writers (h5py, torch, matplotlib) create the file themselves
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_torch(payload, path: str | os.PathLike) -> None:
    """``torch.save`` atomically and byte-reproducibly.

    torch.save names the zip's top folder after the file; saving through a buffer gives every file
    the same folder name, so equal payloads give equal bytes whatever the (temporary) file name.
    """
    import io

    import torch

    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def read_json(path: str | os.PathLike, what: str):
    """The JSON document at ``path``; missing or unreadable -> UserError naming ``what`` and the file."""
    import json

    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UserError(f"{what} {path}: file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{what} {path}: unreadable JSON ({exc.__class__.__name__})") from None


def read_csv(path, required=(), what: str = "table"):
    """pandas DataFrame of a CSV input; missing/unreadable file or missing columns -> UserError naming it."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{what} {path}: file not found")
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise UserError(f"{what} {path}: unreadable CSV ({exc.__class__.__name__})") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise UserError(f"{what} {path} lacks column(s) {', '.join(missing)}")
    return df
