"""Configuration: a named preset merged with the user's overrides, validated with one-line errors.

The workflow's config.yaml holds ``preset:`` plus any overrides. Presets live in ``presets.yaml`` and the
schema in ``config.schema.yaml``, both beside this module (package data), so the CLI (e.g. ``bcgan params
--preset paper``) sees the same values as Snakemake, also from a non-editable install.
"""

from __future__ import annotations

import copy
import math
from functools import cache
from pathlib import Path

import yaml

from bcgan.data import TC
from bcgan.errors import UserError

PRESETS_FILE = Path(__file__).with_name("presets.yaml")
SCHEMA_FILE = Path(__file__).with_name("config.schema.yaml")  # package data, as presets.yaml: `pip install .` works


@cache
def presets() -> dict:
    """{name: full preset}: each preset of presets.yaml merged over its ``base``, or over the earlier
    preset its ``extends:`` names (so that ``midi`` shows it is ``mini`` with only L changed)."""
    doc = yaml.safe_load(PRESETS_FILE.read_text())
    resolved: dict = {}
    for name, diff in doc["presets"].items():
        diff = dict(diff or {})
        parent = diff.pop("extends", None)
        if parent is not None and parent not in resolved:
            raise UserError(f"{PRESETS_FILE.name}: preset {name!r} extends {parent!r}, which is not defined above it")
        resolved[name] = deep_merge(resolved[parent] if parent else doc["base"], diff)
    return resolved


@cache
def schema() -> dict:
    return yaml.safe_load(SCHEMA_FILE.read_text())


def deep_merge(base: dict, override: dict) -> dict:
    """Return ``base`` with ``override`` merged in, recursing into dicts (lists are replaced whole)."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _reads_as(value, expected) -> bool:
    """Whether ``value`` is text that YAML would read as the ``expected`` JSON-schema type(s)."""
    if not isinstance(value, str):
        return False
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return False
    types = {"integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict, "null": type(None)}
    wanted = [expected] if isinstance(expected, str) else list(expected)
    return any(isinstance(parsed, types[t]) and not (t != "boolean" and isinstance(parsed, bool))
               for t in wanted if t in types)


def _one_line(error) -> str:
    """Phrase a schema violation as one line that names the key and what is allowed."""
    key = _key(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        return f"{key}: unknown key {', '.join(map(repr, unknown))} (allowed: {', '.join(allowed)})"
    if error.validator == "enum":
        return f"{key}: {error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "type":
        message = f"{key}: {error.instance!r} has the wrong type (expected {error.validator_value})"
        if len(error.absolute_path) > 1 and _reads_as(error.instance, error.validator_value):
            # Snakemake's --config parses a nested value (`data={n_images: 1000}`) as text throughout
            message += ("; --config reads nested values as text: put them in a config file instead"
                        " (--configfile config.yaml my.yaml)")
        return message
    if error.validator in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        relation = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
        return f"{key}: {error.instance!r} not allowed (must be {relation[error.validator]} {error.validator_value})"
    return f"{key}: {error.message}"


def non_finite(value, path=()) -> tuple | None:
    """(key path, value) of the first NaN or infinite number in ``value``, else None.

    Why: YAML reads ``.nan`` and ``.inf`` as numbers, and JSON-schema bounds do not catch them (NaN
    compares false with everything), so a NaN learning rate would reach a job, which Snakemake lets
    delete its good outputs before it fails."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = non_finite(item, (*path, key))
        if found:
            return found
    return None


def validate(cfg: dict) -> None:
    """Raise UserError naming the first offending key, by the schema and the cross-key rules."""
    import jsonschema  # here, not at the top: `bcgan bench` runs on GPU images that lack it

    found = non_finite(cfg)
    if found:
        raise UserError(f"config {_key(found[0])}: {found[1]!r} not allowed (must be a finite number)")
    validator = jsonschema.Draft7Validator(schema())
    errors = sorted(validator.iter_errors(cfg), key=lambda e: (len(e.absolute_path), _key(e.absolute_path)))
    if errors:
        raise UserError(f"config {_one_line(errors[0])}")
    data, psd = cfg["data"], cfg["psd"]
    if data["t_min"] >= data["t_max"]:
        raise UserError(f"config data.t_min: {data['t_min']} must be below data.t_max ({data['t_max']})")
    size = data["size"]
    if size < 16 or size & (size - 1):
        raise UserError(f"config data.size: {size} not allowed (the GANs need a power of two >= 16, e.g. 16, 32, 64, 128)")
    k_min = psd["k_min"] or 1
    k_max = psd["k_max"] or size // 2 - 1
    if not 1 <= k_min < k_max <= size // 2 - 1:
        raise UserError(f"config psd.k_min/k_max: {k_min}..{k_max} not allowed (need 1 <= k_min < k_max <= "
                        f"{size // 2 - 1} = data.size/2 - 1)")
    _check_variants(cfg)
    seen = set()
    for k, entry in enumerate(cfg["study"]["label_sets"]):
        labels = entry["labels"]
        if labels in seen:
            raise UserError(f"config study.label_sets.{k}.labels: {labels!r} is listed twice (merge its arms)")
        seen.add(labels)
        if labels.startswith("grid:") and not 2 <= int(labels[5:]) <= data["n_images"]:
            raise UserError(f"config study.label_sets.{k}.labels: {labels!r} needs 2 <= K <= data.n_images "
                            f"({data['n_images']})")
    if cfg["train"]["batch_size"] > data["n_images"]:
        raise UserError(f"config train.batch_size: {cfg['train']['batch_size']} exceeds data.n_images "
                        f"({data['n_images']})")


def _check_variants(cfg: dict) -> None:
    """Every variant and arm the config names is registered (bcgan.variants), with one line naming the key;
    ``models.variants`` takes the variants ``all`` may train (groups paper and workflow)."""
    from bcgan.variants import names

    trainable, known = names("paper", "workflow"), names()
    for k, v in enumerate(cfg["models"]["variants"]):
        if v not in trainable:
            raise UserError(f"config models.variants.{k}: {v!r} is not one of {', '.join(trainable)}")
    for net in ("g_channels", "d_channels"):
        for v in cfg["models"][net]:
            if v != "default" and v not in trainable:
                raise UserError(f"config models.{net}: unknown key {v!r} (allowed: default, {', '.join(trainable)})")
    for k, entry in enumerate(cfg["study"]["label_sets"]):
        for j, arm in enumerate(entry["arms"]):
            if arm not in known:
                raise UserError(f"config study.label_sets.{k}.arms.{j}: {arm!r} is not a registered arm "
                                f"(bcgan.variants; known: {', '.join(known)})")


def resolve(user_config: dict) -> dict:
    """Merge the user's config over its preset, fill derived defaults (T_max = 2 Tc), validate."""
    user_config = dict(user_config or {})
    name = user_config.get("preset", "smoke")
    if name not in presets():
        raise UserError(f"config preset: {name!r} is not one of {', '.join(presets())}")
    cfg = deep_merge({"preset": name, **presets()[name]}, user_config)
    data = cfg.get("data")
    if isinstance(data, dict) and data.get("t_max", 0) is None:
        data["t_max"] = 2 * TC
    validate(cfg)
    return cfg
