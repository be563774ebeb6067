"""Rule resources measured from Snakemake ``benchmark:`` files, so that SLURM requests are not guesses.

A benchmark TSV records a job's wall time (``s``) and peak resident memory (``max_rss``, MB). For each
rule we take the largest value over its jobs and add headroom: memory x2 (at least 500 MB), runtime x3
(at least 5 minutes, rounded up to whole minutes). The result is the YAML table that
``workflow/rules/common.smk`` reads for the preset (``workflow/resources/<preset>.yaml``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import yaml

from bcgan.errors import UserError
from bcgan.io import atomic_path

MEMORY_FACTOR, MIN_MEM_MB = 2.0, 500
RUNTIME_FACTOR, MIN_RUNTIME_MIN = 3.0, 5


def rule_names(rules_dir: str | Path) -> list[str]:
    """Every ``rule NAME:`` declared in the .smk files of ``rules_dir``."""
    names = []
    for smk in sorted(Path(rules_dir).glob("*.smk")):
        names += re.findall(r"^rule (\w+):", smk.read_text(), flags=re.M)
    if not names:
        raise UserError(f"{rules_dir}: no Snakemake rules found")
    return names


def rule_of(benchmark: Path, rules: list[str]) -> str:
    """The rule a benchmark file belongs to: its name is ``<rule>`` or ``<rule>_<wildcards>``."""
    stem = benchmark.stem
    matches = [r for r in rules if stem == r or stem.startswith(r + "_")]
    if not matches:
        raise UserError(f"{benchmark}: no rule named like this benchmark file")
    return max(matches, key=len)


def read_benchmark(path: Path) -> tuple[float, float]:
    """(seconds, max_rss in MB) of one benchmark TSV (the largest row if the job was repeated)."""
    import pandas as pd

    try:
        table = pd.read_csv(path, sep="\t")
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: not a readable benchmark file ({type(exc).__name__})") from None
    if not {"s", "max_rss"} <= set(table.columns) or table.empty:
        raise UserError(f"{path}: a benchmark file needs columns s and max_rss")
    rss = pd.to_numeric(table["max_rss"], errors="coerce").fillna(0.0)  # '-' when too short to sample
    return float(table["s"].max()), float(rss.max())


def measured_resources(benchmarks: list[str | Path], rules: list[str]) -> dict[str, dict[str, int]]:
    """{rule: {"mem_mb": ..., "runtime": minutes}} with headroom, from the worst job of each rule."""
    worst: dict[str, tuple[float, float]] = {}
    for path in map(Path, benchmarks):
        rule = rule_of(path, rules)
        seconds, rss = read_benchmark(path)
        old = worst.get(rule, (0.0, 0.0))
        worst[rule] = (max(old[0], seconds), max(old[1], rss))
    return {
        rule: {
            "mem_mb": max(MIN_MEM_MB, int(math.ceil(MEMORY_FACTOR * rss / 100.0)) * 100),
            "runtime": max(MIN_RUNTIME_MIN, int(math.ceil(RUNTIME_FACTOR * seconds / 60.0))),
        }
        for rule, (seconds, rss) in sorted(worst.items())
    }


def write_resources(table: dict, out: str | Path, source: str) -> None:
    header = (f"# Rule resources measured from {source} by `bcgan resources`:\n"
              f"# worst job per rule, memory x{MEMORY_FACTOR:g} (>= {MIN_MEM_MB} MB), "
              f"runtime x{RUNTIME_FACTOR:g} (>= {MIN_RUNTIME_MIN} min).\n")
    with atomic_path(out) as tmp:
        tmp.write_text(header + yaml.safe_dump(table, sort_keys=True))
