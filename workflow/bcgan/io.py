"""File input and output: a result appears complete under its final name or not at all, and an input
that is missing or unreadable is a one-line UserError naming the file.

Single files are written to a temporary name beside the target and renamed (``atomic_path``);
HDF5 files are built in memory and written as one block of bytes (``atomic_hdf5``); output folders are
built under a temporary name beside the target and renamed when complete (``atomic_dir``). Temporary
names carry the writer's process id, so the next writer removes those of a killed run
(``remove_stale``). ``check_output_file`` tells before any work whether a file can be written where
asked; the CLI runs it on every output option (bcgan.cli.main). A failed write is a WriteError.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
from pathlib import Path

from bcgan.errors import UserError, WriteError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds.

    The temporary file lives in the same directory so the final ``os.replace`` is atomic on POSIX;
    an interrupted or failing writer leaves no file under the final name for a rerun to trust.
    """
    path = Path(path)
    check_output_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(path)
        fd, tmp = tempfile.mkstemp(prefix=_partial_prefix(path), suffix=".tmp" + path.suffix, dir=path.parent)
        os.close(fd)
        os.unlink(tmp)  # writers (h5py, torch, matplotlib) create the file themselves
    except OSError as exc:
        raise WriteError(f"{path}: cannot write ({_reason(exc)})") from None
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except OSError as exc:  # disk full, permissions changed, ...: one line naming the file we were asked for
        raise WriteError(f"{path}: cannot write ({_reason(exc)})") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_hdf5(path: str | os.PathLike, **options):
    """Yield an ``h5py.File`` held in memory; when the block succeeds its bytes go to ``path`` atomically.

    Why in memory: HDF5 writing onto a full disk fails below Python, with cascades of tracebacks and
    at last a segmentation fault; a plain write of the finished bytes fails with one OSError. The
    bytes are those HDF5 writes to a file. ``options`` go to ``h5py.File`` (e.g. track_order).
    """
    import h5py

    path = Path(path)
    check_output_file(path)
    with h5py.File(path.name, "w", driver="core", backing_store=False, **options) as f:
        yield f
        f.flush()
        image = f.id.get_file_image()
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(image)


def _reason(exc: OSError) -> str:
    return exc.strerror or (str(exc).splitlines() or [type(exc).__name__])[0] or type(exc).__name__


def _writable_folder(path: Path, what: str) -> None:
    """UserError unless ``path``'s folder exists and is writable, or can be made in a writable folder."""
    folder = path.absolute().parent
    while not os.path.lexists(folder):
        folder = folder.parent
    if not folder.is_dir():
        raise UserError(f"{what} {path}: cannot write there, {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise WriteError(f"{what} {path}: cannot write there, folder {folder} is not writable")


def check_output_file(path: str | os.PathLike, what: str = "output") -> None:
    """UserError naming ``path`` unless a file can be written there: not a folder, and its folder writable
    (or creatable). Writes nothing, so a command can check all its outputs before its work."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{what} {path} is a folder; give a file name")
    _writable_folder(path, what)


PARTIAL = ".partial-"  # marks a file or folder being built: .<name>.partial-<pid>-<random>


def _partial_prefix(path: Path) -> str:
    return f".{path.name}{PARTIAL}{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, another user's
    return True


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_stale(path: str | os.PathLike) -> None:
    """Remove temporary files and folders of ``path`` left by a run that no longer exists (killed)."""
    path = Path(path)
    if not path.parent.is_dir():
        return
    for tmp in path.parent.glob(f".{glob.escape(path.name)}{PARTIAL}*"):
        pid = tmp.name[len(f".{path.name}{PARTIAL}"):].split("-")[0]
        if tmp.is_symlink() or not pid.isdigit() or _alive(int(pid)):
            continue
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                tmp.unlink()


def check_output_dir(path: str | os.PathLike, overwrite: bool = False, ours=(), what: str = "output folder") -> None:
    """UserError naming ``path`` unless ``atomic_dir`` may build it: absent, empty, or (``overwrite``) a
    folder that holds only entries named in ``ours`` (what this command writes), and a writable parent."""
    path = Path(path)
    if path.is_symlink():  # renaming would replace the link, not its target, and leave the target's files
        raise UserError(f"{what} {path} is a symbolic link; give the folder itself ({path.resolve()})")
    if os.path.lexists(path) and not path.is_dir():
        raise UserError(f"{what} {path} exists and is not a folder")
    if path.is_dir():
        entries = sorted(p.name for p in path.iterdir())
        if entries and not overwrite:
            raise UserError(f"{what} {path} is not empty; give --overwrite to replace it, or another folder")
        foreign = [e for e in entries if e not in ours]
        if foreign:
            raise UserError(f"{what} {path} holds files this command did not write ({', '.join(foreign[:3])}"
                            f"{', ...' if len(foreign) > 3 else ''}); not replacing it, even with --overwrite")
        if Path.cwd().resolve().is_relative_to(path.resolve()):
            raise UserError(f"{what} {path} holds the current folder; not replacing it")
    _writable_folder(path, what)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike, overwrite: bool = False, ours=(), what: str = "output folder"):
    """Yield an empty temporary folder beside ``path``; when the block succeeds it becomes ``path``.

    ``path`` must be absent or empty, or with ``overwrite`` hold only ``ours`` (check_output_dir); an
    old folder is replaced whole, never mixed with the new one. A failing or interrupted block leaves
    ``path`` as it was and removes the temporary folder; a temporary folder of a killed run (kill -9)
    is removed by the next run.
    """
    path = Path(path)
    check_output_dir(path, overwrite, ours, what)
    remove_stale(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=_partial_prefix(path), dir=path.parent))
        tmp.chmod(0o777 & ~_umask())  # mkdtemp's 0700, private by design, is not what a result folder wants
    except OSError as exc:
        raise WriteError(f"{what} {path}: cannot write ({_reason(exc)})") from None
    old = None
    try:
        yield tmp
        if path.is_dir():  # empty, or replaced with --overwrite: move aside, then swap in
            old = tmp.with_name(tmp.name + "-old")
            os.rename(path, old)
        os.rename(tmp, path)
    except (OSError, WriteError) as exc:
        if old is not None and old.exists() and not os.path.lexists(path):
            os.rename(old, path)
        if isinstance(exc, WriteError):  # a file inside: named as it would have been, not by its temporary name
            raise WriteError(f"{what} {str(exc).replace(str(tmp), str(path))}") from None
        raise WriteError(f"{what} {path}: cannot write ({_reason(exc)})") from None
    finally:
        for leftover in (tmp, old):
            if leftover is not None and leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)


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
