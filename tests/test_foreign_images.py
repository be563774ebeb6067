"""`bcgan psd table` on images users bring: plain HDF5, .npy, PNG folders; d2 flags images unlike real ones."""

from __future__ import annotations

import h5py
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from bcgan.cli import main
from bcgan.data.shards import read_shard


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """A small real Ising set (training shard, held-out shard) and the response model fitted to it."""
    d = tmp_path_factory.mktemp("real")
    for name, count, first in (("train", 400, 0), ("heldout", 200, 400)):
        assert main(["ising", "--size", "16", "--t-range", "0.05", "4.54", "--count", str(count), "--seed", "7",
                     "--first-index", str(first), "--threads", "1", "--out", str(d / f"{name}.h5")]) == 0
    assert main(["psd", "fit-response", str(d / "train.h5"), "--n-bins", "12", "--power-floor", "1", "--threads", "1",
                 "--out", str(d / "response.json")]) == 0
    return d


def table(capsys, *args) -> tuple[pd.DataFrame, str]:
    out = args[-1]
    assert main(["psd", "table", *map(str, args[:-1]), "--threads", "1", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    return pd.read_csv(out), captured.err + captured.out


def test_every_foreign_encoding_reads_like_our_own_file(real, tmp_path, capsys):
    """The same 30 held-out images as 0/255 uint8, ±1 int8 + temperature, 0/1 float .npy and PNGs: same T_est."""
    ours = read_shard(real / "heldout.h5")
    images, t = ours["images"][:30], ours["temperature"][:30]
    ref, _ = table(capsys, real / "heldout.h5", "--response", real / "response.json", tmp_path / "ref.csv")
    ref = ref.iloc[:30]
    with h5py.File(tmp_path / "plain.h5", "w") as f:  # no 'kind', no noise_seed: what a user has
        f["images"] = np.where(images > 0, 1, -1).astype(np.int8)
        f["temperature"] = t.astype(np.float64)
    np.save(tmp_path / "stack.npy", (images > 0).astype(np.float32))
    (tmp_path / "pngs").mkdir()
    for i, im in enumerate(images):
        Image.fromarray(im).save(tmp_path / "pngs" / f"T{t[i]:.4f}_{i:04d}.png")
    for source, has_t in (("plain.h5", True), ("stack.npy", False), ("pngs", True)):
        df, err = table(capsys, tmp_path / source, "--response", real / "response.json", tmp_path / "out.csv")
        if source == "pngs":  # one row per file, in name order: back to the image order
            assert df["file"].str.endswith(".png").all()
            df = df.set_index(df["file"].str.extract(r"_(\d+)\.png$")[0].astype(int)).sort_index()
        notes = [line for line in err.splitlines() if line.startswith("note: ")]
        assert len(notes) == 1 and source in notes[0], err  # one line saying how the input was read
        for col in ("slope", "intercept", "t_est", "d2"):
            np.testing.assert_allclose(df[col], ref[col], rtol=0, atol=1e-9, err_msg=f"{source} {col}")
        if has_t:
            np.testing.assert_allclose(df["temperature"], t, atol=1e-4)
        else:
            assert df["temperature"].isna().all()
    assert "±1" in table(capsys, tmp_path / "plain.h5", "--power-floor", "1", tmp_path / "o.csv")[1]


def test_heldout_threshold_flags_one_percent_of_real_and_unreal_tilings(real, tmp_path, capsys):
    """unlike_real: d2 above the 99th percentile of held-out d2; a 4x4 checkerboard tiling is far above it."""
    from bcgan.psd.realism import GAUSSIAN_D2

    i, j = np.indices((16, 16))
    tiling = np.where((i // 4 + j // 4) % 2 == 0, 255, 0).astype(np.uint8)
    np.save(tmp_path / "tiling.npy", np.stack([tiling, 255 - tiling]))
    df, err = table(capsys, real / "heldout.h5", tmp_path / "tiling.npy", "--response", real / "response.json",
                    "--heldout", real / "heldout.h5", tmp_path / "t.csv")
    held = df[df["file"].str.endswith("heldout.h5")]
    threshold = np.quantile(held["d2"], 0.99)
    assert f"(d2 > {threshold:.2f})" in err
    assert held["unlike_real"].sum() == (held["d2"] > threshold).sum() <= 2  # at most 1 % of 200 real images
    assert df[df["file"].str.endswith("tiling.npy")]["unlike_real"].all()
    # without held-out images: the documented Gaussian chi-square(2) value
    df, _ = table(capsys, tmp_path / "tiling.npy", "--response", real / "response.json", tmp_path / "g.csv")
    assert GAUSSIAN_D2 == pytest.approx(9.2103, abs=1e-4) and df["unlike_real"].all()


def _h5(path, **datasets):
    with h5py.File(path, "w") as f:
        for k, v in datasets.items():
            f[k] = v
    return path


@pytest.mark.parametrize("make, message", [
    (lambda d: np.save(d / "x.npy", np.zeros((3, 16, 8), np.uint8)) or d / "x.npy", "shape (n, L, L)"),
    (lambda d: _h5(d / "x.h5", images=np.zeros((2, 8, 9))), "shape (n, L, L)"),
    (lambda d: _h5(d / "x.h5", pixels=np.zeros((2, 8, 8))), "no 'images' dataset"),
    (lambda d: _h5(d / "x.h5", images=np.full((2, 8, 8), 1000.0)), "values span 1000"),
    (lambda d: _h5(d / "x.h5", images=np.zeros((2, 8, 8)), temperature=np.ones(3)), "'temperature' must be 2"),
    # issue 37: `generate` refuses T <= 0, `psd table` took negative temperatures without a word
    (lambda d: _h5(d / "x.h5", images=np.zeros((2, 8, 8)), temperature=np.array([1.0, -2.0])),
     "negative values (image 1: -2)"),
    (lambda d: (d / "x.csv").write_text("T,slope\n1,2\n") and d / "x.csv", "not an image file"),
    (lambda d: (d / "empty").mkdir() or d / "empty", "no .png images"),
    (lambda d: d / "missing.h5", "file not found"),
])
def test_bad_input_is_one_line_naming_the_file(tmp_path, capsys, make, message):
    path = make(tmp_path)
    assert main(["psd", "table", str(path), "--out", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and path.name in err[0] and message in err[0], err
    assert not (tmp_path / "o.csv").exists()


def test_our_own_formats_keep_their_strict_checks(tmp_path, capsys):
    """A file claiming to be a sample set (kind attribute) must be one: no silent foreign reading."""
    path = _h5(tmp_path / "s.h5", images=np.zeros((2, 8, 8), np.uint8), temperature=np.ones(2, np.float32))
    with h5py.File(path, "a") as f:
        f.attrs["kind"], f.attrs["variant"] = "samples", "bcgan"
    assert main(["psd", "table", str(path), "--out", str(tmp_path / "o.csv")]) == 2
    assert "lacks dataset 'noise_seed'" in capsys.readouterr().err
