"""HDF5 shard format: round trip, byte-identical rewrites, and one-line errors for bad files."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from bcgan.cli import main
from bcgan.data import ising, shards
from bcgan.errors import UserError


def _write(path, n=5, L=8, seed=1):
    temps = ising.dataset_temperatures(0.5, 4.0, seed, 0, n)
    res = ising.simulate(temps, L, seed=seed)
    shards.write_shard(path, images=res["images"], temperature=temps, seed=res["seed"], energy=res["energy"],
                       magnetization=res["magnetization"], steps=L**3, algorithm=ising.ALGORITHM,
                       extra_attrs={"global_seed": seed})
    return temps, res


def test_round_trip(tmp_path):
    path = tmp_path / "shard_0.h5"
    temps, res = _write(path)
    d = shards.read_shard(path)
    for key in ("images", "seed", "energy", "magnetization"):
        np.testing.assert_array_equal(d[key], res[key])
        assert d[key].dtype == res[key].dtype
    np.testing.assert_array_equal(d["temperature"], temps)
    assert d["temperature"].dtype == np.float32
    a = d["attrs"]
    assert a["kind"] == "ising" and a["L"] == 8 and a["steps"] == 512 and a["format_version"] == shards.FORMAT_VERSION
    assert a["algorithm"] == ising.ALGORITHM and a["global_seed"] == 1 and "package_version" in a
    with h5py.File(path) as f:
        assert f["images"].chunks == (1, 8, 8) and f["images"].compression == "gzip"
    assert not list(tmp_path.glob(".*tmp*"))  # temp file renamed away


def test_same_inputs_give_identical_bytes(tmp_path):
    _write(tmp_path / "a.h5")
    _write(tmp_path / "b.h5")
    assert (tmp_path / "a.h5").read_bytes() == (tmp_path / "b.h5").read_bytes()


def test_read_images_accepts_shards_and_samples(tmp_path):
    t1, r1 = _write(tmp_path / "s0.h5", n=3)
    imgs = np.full((2, 8, 8), 255, np.uint8)
    shards.write_samples(tmp_path / "bcgan.h5", images=imgs, temperature=[1.0, 2.0], noise_seed=[4, 5],
                         variant="bcgan")
    images, temps = shards.read_images([tmp_path / "s0.h5", tmp_path / "bcgan.h5"])
    assert images.shape == (5, 8, 8) and temps.dtype == np.float32
    np.testing.assert_array_equal(images[:3], r1["images"])
    np.testing.assert_array_equal(temps, np.concatenate([t1, [1.0, 2.0]]).astype(np.float32))
    d = shards.read_shard(tmp_path / "bcgan.h5")
    assert d["attrs"]["kind"] == "samples" and d["attrs"]["variant"] == "bcgan" and d["noise_seed"].dtype == np.uint64


def test_mixed_sizes_rejected(tmp_path):
    _write(tmp_path / "a.h5", L=8)
    _write(tmp_path / "b.h5", L=6)
    with pytest.raises(UserError, match="b.h5"):
        shards.read_images([tmp_path / "a.h5", tmp_path / "b.h5"])


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match=r"nope\.h5: file not found"):
        shards.read_shard(tmp_path / "nope.h5")


@pytest.mark.parametrize("keep", [0.3, 0.8, 0.97])
def test_truncated_file(tmp_path, keep):
    path = tmp_path / "cut.h5"
    _write(path, n=20, L=16)
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep)])
    with pytest.raises(UserError, match="cut.h5") as err:
        shards.read_shard(path)
    assert "\n" not in str(err.value)


def test_not_hdf5(tmp_path):
    path = tmp_path / "text.h5"
    path.write_text("hello")
    with pytest.raises(UserError, match="text.h5: not a readable HDF5"):
        shards.read_shard(path)


def test_foreign_hdf5(tmp_path):
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as f:
        f["images"] = np.zeros((2, 4, 4), np.uint8)
    with pytest.raises(UserError, match="foreign.h5: not a bcgan image file"):
        shards.read_shard(path)


def test_wrong_dataset_dtype_and_missing_dataset(tmp_path):
    path = tmp_path / "bad.h5"
    _write(path)
    with h5py.File(path, "a") as f:
        del f["energy"]
        f["energy"] = np.zeros(5, np.float32)
    with pytest.raises(UserError, match="bad.h5: dataset 'energy' is float32"):
        shards.read_shard(path)
    with h5py.File(path, "a") as f:
        del f["seed"]
    with pytest.raises(UserError, match="bad.h5: ising file lacks dataset 'seed'"):
        shards.read_shard(path)


def test_writer_rejects_mismatched_columns(tmp_path):
    with pytest.raises(UserError, match="temperature"):
        shards.write_shard(tmp_path / "x.h5", images=np.zeros((3, 4, 4), np.uint8), temperature=[1.0],
                           seed=[1, 2, 3], energy=[0, 0, 0], magnetization=[0, 0, 0], steps=1, algorithm="x")
    assert not (tmp_path / "x.h5").exists()


def test_cli_ising_and_inspect(tmp_path, capsys):
    out = tmp_path / "x.h5"
    rc = main(["ising", "--size", "8", "--t-range", "0.5", "4", "--count", "6", "--seed", "2",
               "--first-index", "4", "--threads", "1", "--chunk", "4", "--out", str(out)])
    assert rc == 0
    d = shards.read_shard(out)
    ref = ising.simulate(ising.dataset_temperatures(0.5, 4, 2, 4, 6), 8, seed=2, first_index=4)
    np.testing.assert_array_equal(d["images"], ref["images"])
    assert d["attrs"]["first_index"] == 4
    assert main(["inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "kind=ising n=6 L=8 steps=512" in text
    assert main(["ising", "--size", "2", "--temperatures", "1", "--seed", "0", "--out", str(out)]) == 2
    assert main(["ising", "--size", "8", "--t-range", "1", "2", "--count", "0", "--seed", "0",
                 "--out", str(out)]) == 2
    assert main(["inspect", str(tmp_path / "missing.h5")]) == 2
    assert "missing.h5: file not found" in capsys.readouterr().err
