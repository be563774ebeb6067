"""Table 1: parameters (Gen, Disc, EmbedG, EmbedD) and training time per model, ours beside the paper's.

Inputs: the CSV of ``bcgan params`` (counts at the preset's widths) and the Snakemake benchmark TSVs
of the training rules (column ``s`` = wall seconds; several rows = repeats, averaged):
``train_{variant}.tsv`` for every variant, and for CcGAN also ``ccgan_regressor.tsv`` and
``ccgan_y2h.tsv``. As in the paper, CcGAN's training time counts its pretraining (ResNet regressor
and y2h MLP) and shows that part in parentheses: "total (pretraining)". Total parameters =
Gen + Disc + EmbedG + EmbedD; the ResNet regressor is listed apart and not counted, as in the paper.

A GAN's training time is read from its training log (``--train-logs``, ``train_{variant}.log``): the
last line of ``bcgan train gan`` gives the time summed over the training's runs, where a benchmark
times only the last job (a job resumed after a kill, or continued to more epochs, would count only
its own part). Without a log, the benchmark's time is used.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from bcgan.errors import UserError
from bcgan.io import read_csv
from bcgan.nets.names import label
from bcgan.variants import variant_spec
from bcgan.tables import format_count, write_table

# The paper's Table 1: totals and training hours (parameter columns come with the params CSV).
PAPER_TOTAL = {"ccgan": 75.21e6, "cgan64": 14.64e6, "cgan256": 17.85e6, "cgan1024": 30.52e6, "bcgan": 14.42e6}
PAPER_HOURS = {"ccgan": (24.1, 3.1), "cgan64": (27.4, None), "cgan256": (27.5, None), "cgan1024": (28.4, None),
               "bcgan": (22.5, None)}
PRETRAIN_RULES = ("ccgan_regressor", "ccgan_y2h")
PARAM_COLUMNS = ("gen", "disc", "embed_g", "embed_d", "regressor")


def read_benchmark(path) -> float:
    """Wall seconds of one Snakemake benchmark TSV (mean of column ``s`` over its rows)."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise UserError(f"benchmark file {path}: not found")
    try:
        df = pd.read_csv(path, sep="\t")
    except (OSError, ValueError) as exc:
        raise UserError(f"benchmark file {path}: unreadable TSV ({exc.__class__.__name__})") from None
    if "s" not in df.columns or df.empty:
        raise UserError(f"benchmark file {path}: no column 's' (wall seconds) or no rows")
    s = pd.to_numeric(df["s"], errors="coerce").to_numpy(np.float64)
    if not np.isfinite(s).all() or (s < 0).any():
        raise UserError(f"benchmark file {path}: column 's' has non-numeric or negative values")
    return float(s.mean())


def read_training_log(path) -> tuple[str, float]:
    """(variant, seconds) of the last ``variant=V ... seconds=S`` line of a ``bcgan train gan`` log."""
    path = Path(path)
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        raise UserError(f"training log {path}: unreadable ({exc.strerror or type(exc).__name__})") from None
    found = re.findall(r"^variant=(\S+) epochs=\d+ iterations=\d+ seconds=([0-9.]+) ", text, re.MULTILINE)
    if not found:
        raise UserError(f"training log {path}: no 'variant=... seconds=...' line of a finished training")
    return found[-1][0], float(found[-1][1])


def classify_benchmarks(paths) -> tuple[dict, dict]:
    """Split benchmark paths by name into ({variant: seconds} of train_{variant}, {pretrain rule: seconds})."""
    train, pretrain = {}, {}
    for p in paths:
        stem = Path(p).name.removesuffix(".tsv")
        m = re.fullmatch(r"train_([\w-]+)", stem)
        if m:
            train[m.group(1)] = read_benchmark(p)
        elif stem in PRETRAIN_RULES:
            pretrain[stem] = read_benchmark(p)
        else:
            raise UserError(f"benchmark file {p}: name is not train_<variant>.tsv or one of "
                            f"{', '.join(r + '.tsv' for r in PRETRAIN_RULES)}")
    return train, pretrain


def build(params, train_seconds: dict, pretrain_seconds: dict):
    """Table 1 as a DataFrame from the params rows and benchmark seconds (one row per variant in params)."""
    import pandas as pd

    params = pd.DataFrame(params)
    missing = [c for c in ("variant", *PARAM_COLUMNS) if c not in params.columns]
    if missing:
        raise UserError(f"params table lacks column(s) {', '.join(missing)}")
    rows = []
    for r in params.to_dict("records"):
        v = r["variant"]
        if v not in train_seconds:
            raise UserError(f"no training benchmark for variant {v}: expected train_{v}.tsv")
        pre = 0.0
        pretrained = variant_spec(v).kind == "ccgan"  # its regressor and y2h are trained first
        if pretrained:
            absent = [k for k in PRETRAIN_RULES if k not in pretrain_seconds]
            if absent:
                raise UserError(f"CcGAN training time needs its pretraining benchmark(s): "
                                f"{', '.join(a + '.tsv' for a in absent)}")
            pre = sum(pretrain_seconds[k] for k in PRETRAIN_RULES)
        counts = {k: int(r[k]) for k in PARAM_COLUMNS}
        paper_h, paper_pre = PAPER_HOURS.get(v, (np.nan, None))
        row = {"variant": v, "model": label(v),
               "total": counts["gen"] + counts["disc"] + counts["embed_g"] + counts["embed_d"], **counts,
               "train_hours": (train_seconds[v] + pre) / 3600.0,
               "pretrain_hours": pre / 3600.0 if pretrained else np.nan,
               "paper_total": PAPER_TOTAL.get(v, np.nan)}
        for k in PARAM_COLUMNS:
            row[f"paper_{k}"] = r.get(f"paper_{k}", np.nan)
        row["paper_train_hours"] = paper_h
        row["paper_pretrain_hours"] = np.nan if paper_pre is None else paper_pre
        rows.append(row)
    return pd.DataFrame(rows)


def _hours(h) -> str:
    """A duration given in hours, in the unit a reader takes in at a glance (h, min or s)."""
    if h is None or not np.isfinite(h):
        return "–"
    if h >= 1:
        return f"{h:.1f} h"
    if h * 60 >= 1:
        return f"{h * 60:.1f} min"
    return f"{h * 3600:.1f} s"


def markdown_frame(table):
    """The people-facing version: 'ours / paper' per cell, CcGAN time as 'total (pretraining)'."""
    import pandas as pd

    out = []
    for r in table.to_dict("records"):
        def pair(k):
            return f"{format_count(r[k])} / {format_count(r['paper_' + k])}"

        ours_t = _hours(r["train_hours"])
        paper_t = _hours(r["paper_train_hours"])
        pretrained = variant_spec(r["variant"]).kind == "ccgan"
        if pretrained:
            ours_t += f" ({_hours(r['pretrain_hours'])})"
            paper_t += f" ({_hours(r['paper_pretrain_hours'])})"
        embed_g = pair("embed_g")
        embed_d = pair("embed_d")
        if pretrained:  # the paper lists the ResNet size with the MLP in parentheses
            embed_g = f"{format_count(r['regressor'])} ({format_count(r['embed_g'])}) / " \
                      f"{format_count(r['paper_regressor'])} ({format_count(r['paper_embed_g'])})"
            embed_d = f"{format_count(r['regressor'])} ({format_count(r['embed_d'])}) / " \
                      f"{format_count(r['paper_regressor'])} ({format_count(r['paper_embed_d'])})"
        out.append({"Model": r["model"], "Total": pair("total"), "Gen": pair("gen"), "Disc": pair("disc"),
                    "Embed G": embed_g, "Embed D": embed_d, "Training time": f"{ours_t} / {paper_t}"})
    return pd.DataFrame(out)


NOTES = [
    "Each cell: ours / paper. Gen and Disc exclude their embedding; Total = Gen + Disc + Embed G + Embed D.",
    "CcGAN embedding: ResNet34 regressor size with the y2h MLP (the part inside the GAN) in parentheses; "
    "the ResNet is not counted in Total.",
    "Training time: the training's time summed over its runs (a run resumed after a kill or continued to "
    "more epochs adds to the earlier ones), as its log reports. CcGAN: total including "
    "its pretraining (ResNet regressor + y2h MLP), pretraining in parentheses. Our hardware and epochs "
    "differ from the paper's, so only ratios between models are comparable.",
]


def add_arguments(parser) -> None:
    parser.add_argument("--params", type=Path, required=True, help="CSV from `bcgan params --out`")
    parser.add_argument("--benchmarks", type=Path, nargs="+", required=True,
                        help="benchmark TSVs: train_<variant>.tsv for each variant, ccgan_regressor.tsv, ccgan_y2h.tsv")
    parser.add_argument("--train-logs", type=Path, nargs="*", default=[],
                        help="logs of `bcgan train gan` (train_<variant>.log): each variant's training time summed "
                             "over its runs, in place of its benchmark's last job")
    parser.add_argument("--out-csv", type=Path, required=True)
    parser.add_argument("--out-md", type=Path, required=True)


def run(args) -> int:
    params = read_csv(args.params, ("variant", *PARAM_COLUMNS), what="params table")
    train, pretrain = classify_benchmarks(args.benchmarks)
    train.update(read_training_log(path) for path in args.train_logs)
    table = build(params, train, pretrain)
    write_table(table, args.out_csv, markdown_frame(table), args.out_md,
                title="Table 1: parameters and training time (ours / paper)", notes=NOTES)
    return 0
