"""Config resolution: presets merge with overrides; bad values stop with one line naming the key."""

import pytest

from bcgan.config import deep_merge, presets, resolve
from bcgan.data.ising import TC
from bcgan.errors import UserError


def test_every_preset_resolves_and_fills_t_max():
    for name in ("smoke", "mini", "midi", "paper"):
        cfg = resolve({"preset": name})
        assert cfg["preset"] == name
        assert cfg["data"]["t_max"] == pytest.approx(2 * TC)


def test_paper_preset_matches_the_paper():
    cfg = resolve({"preset": "paper"})
    assert cfg["data"]["size"] == 128 and cfg["data"]["steps"] is None  # N = 128, N^3 steps


def test_midi_is_mini_with_only_the_lattice_size_changed():
    """The scale check's one factor is L: everything a model or its evaluation sees is mini's."""
    mini, midi = resolve({"preset": "mini"}), resolve({"preset": "midi"})
    assert (mini["data"]["size"], midi["data"]["size"]) == (32, 64)
    for cfg in (mini, midi):
        cfg.pop("preset"), cfg["data"].pop("size"), cfg["study"].pop("label_sets")
    assert midi == mini
    arms = resolve({"preset": "midi"})["study"]["label_sets"]
    assert arms == [{"labels": "uniform", "arms": ["ccgan", "cgan64", "bcgan", "bcgan-proj", "scalar-proj",
                                                   "scalar-boundgain-proj", "scalar-boundgain-ms-proj"]}]


def test_a_preset_extending_an_undefined_one_is_named(tmp_path, monkeypatch):
    import bcgan.config as config

    bad = tmp_path / "presets.yaml"
    bad.write_text("base: {seed: 1}\npresets:\n  a: {extends: b}\n")
    monkeypatch.setattr(config, "PRESETS_FILE", bad)
    config.presets.cache_clear()
    try:
        with pytest.raises(UserError, match="preset 'a' extends 'b'"):
            config.presets()
    finally:
        config.presets.cache_clear()


def test_override_replaces_only_the_given_value():
    cfg = resolve({"preset": "smoke", "data": {"n_images": 1000}})
    assert cfg["data"]["n_images"] == 1000
    assert cfg["data"]["size"] == presets()["smoke"]["data"]["size"]


def test_deep_merge_does_not_mutate_inputs():
    base = {"a": {"b": 1, "c": [1]}}
    merged = deep_merge(base, {"a": {"b": 2}})
    assert merged == {"a": {"b": 2, "c": [1]}} and base == {"a": {"b": 1, "c": [1]}}


@pytest.mark.parametrize(
    "override, expected",
    [
        ({"preset": "huge"}, "preset: 'huge' is not one of smoke, mini, midi, paper"),
        ({"data": {"n_image": 5}}, "data: unknown key 'n_image' (allowed: heldout_images, n_images"),
        ({"colour": 1}, "unknown key 'colour'"),
        ({"data": {"size": "big"}}, "data.size: 'big' has the wrong type (expected integer)"),
        ({"data": {"size": 3}}, "data.size: 3 not allowed (must be >= 4)"),
        ({"data": {"size": 24}}, "data.size: 24 not allowed (the GANs need a power of two >= 16"),
        ({"data": {"size": 8}}, "data.size: 8 not allowed (the GANs need a power of two >= 16"),
        ({"psd": {"k_min": 5, "k_max": 4}}, "psd.k_min/k_max: 5..4 not allowed"),
        ({"psd": {"k_max": 8}}, "psd.k_min/k_max: 1..8 not allowed (need 1 <= k_min < k_max <= 7"),
        ({"train": {"batch_size": 1000}}, "train.batch_size: 1000 exceeds data.n_images (400)"),
        ({"data": {"t_min": 0}}, "data.t_min: 0 not allowed (must be > 0)"),
        ({"data": {"t_min": -1.0}}, "data.t_min: -1.0 not allowed (must be > 0)"),
        ({"data": {"t_min": 3.0, "t_max": 2.0}}, "data.t_min: 3.0 must be below data.t_max (2.0)"),
        ({"data": {"t_min": 2.0, "t_max": 2.0}}, "data.t_min: 2.0 must be below data.t_max (2.0)"),
        # YAML's .nan and .inf are numbers that no schema bound catches (issue 37)
        ({"train": {"lr": float("nan")}}, "train.lr: nan not allowed (must be a finite number)"),
        ({"train": {"lr": float("inf")}}, "train.lr: inf not allowed (must be a finite number)"),
        ({"data": {"t_min": float("nan")}}, "data.t_min: nan not allowed (must be a finite number)"),
        ({"train": {"betas": [0.0, float("nan")]}}, "train.betas.1: nan not allowed"),
        ({"analysis": {"dead_range": float("inf")}}, "analysis.dead_range: inf not allowed"),
        ({"figures": {"example_temperatures": [1.0, float("-inf")]}}, "figures.example_temperatures.1: -inf"),
    ],
)
def test_bad_config_gives_one_line_naming_the_key(override, expected):
    with pytest.raises(UserError) as info:
        resolve({"preset": "smoke", **override})
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_a_nested_value_from_the_command_line_is_sent_to_a_config_file():
    """`snakemake --config 'data={n_images: 1000}'` hands over the text '1000': the message says why."""
    with pytest.raises(UserError) as info:
        resolve({"preset": "smoke", "data": {"n_images": "1000"}})
    message = str(info.value)
    assert message.startswith("config data.n_images: '1000' has the wrong type (expected integer)")
    assert "--config reads nested values as text" in message and "--configfile" in message
    assert "\n" not in message
    # text that is no number is just the wrong type
    with pytest.raises(UserError) as info:
        resolve({"preset": "smoke", "data": {"size": "big"}})
    assert "--configfile" not in str(info.value)
