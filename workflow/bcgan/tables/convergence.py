"""Has each variant's training converged? A table read from the progress.csv files.

Why: a GAN that has not converged proves nothing either way, and "the curves look flat" is not a
measurement. For each variant and each physics metric of ``bcgan.training.progress`` this fits a straight line
to the evaluations in the last fifth of training and compares the change it makes over that fifth
(the *drift*) with the evaluation-to-evaluation *scatter*: the standard deviation of the residuals of
a straight line through the evaluations of the second half. A metric is flat when
|drift| <= 2 scatter (``--fraction`` and ``--tolerance`` change the fifth and the 2); a variant has
converged when all its metrics are flat. Fewer than 3 evaluations in the last fifth (or 4 in the
second half) give no verdict. With ``--ema`` the moving average of G's weights (``bcgan.training.ema``) is
judged too: a last iterate that orbits while its average stands still has reached the end of what
constant-learning-rate training gives. The average's drift is compared with G's scatter, not its own:
averaging over ~1,000 iterations removes nearly all evaluation-to-evaluation scatter (CGAN-256 in
mini: PSD distance ± 0.18 against G's ± 0.7), so its own scatter would call "moving" a 2-3 % drift
that is smaller than G's scatter.

Because a constant-learning-rate GAN wanders (mini: CGAN-64's PSD distance and energy error swing
with a period of ~6,000 iterations), a verdict depends on where the last fifth falls, and so does a
final snapshot. A second table therefore gives each metric's mean ± standard deviation over the
evaluations of the last fifth: the band a comparison of variants should hold on, not one snapshot.
Registered as ``bcgan train convergence``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bcgan.errors import UserError

METRICS = {"mae_all": "T-MAE", "psd_distance": "PSD distance", "diversity_flip": "diversity (flip)",
           "energy_error": "energy error", "diversity_flip_below": "diversity (flip) below Tc",
           "diversity_flip_near": "diversity (flip) near Tc", "diversity_flip_above": "diversity (flip) above Tc"}
FRACTION = 0.2   # the last fifth of training
TOLERANCE = 2.0  # flat: |drift| <= TOLERANCE * scatter


def _line(x, y):
    """Least-squares straight line: (slope, intercept, residuals)."""
    slope, intercept = np.polyfit(x, y, 1)
    return slope, intercept, y - (slope * x + intercept)


def metric_convergence(iterations, values, *, fraction: float = FRACTION, tolerance: float = TOLERANCE,
                       yardstick: float | None = None) -> dict:
    """drift over the last ``fraction`` of training, scatter, and the flat verdict (None = too few points).

    ``yardstick``: judge the drift against this scatter instead of the curve's own (``own_scatter``),
    as the weight average is judged against G's."""
    x = np.asarray(iterations, dtype=float)
    y = np.asarray(values, dtype=float)
    end = x.max()
    last = x >= end * (1 - fraction)
    half = x >= end * 0.5
    out = {"evaluations": int(last.sum()), "start": np.nan, "end": np.nan, "drift": np.nan, "scatter": np.nan,
           "own_scatter": np.nan, "flat": None, "mean": float(y[last].mean()),
           "sd": float(y[last].std(ddof=1)) if last.sum() > 1 else np.nan}
    if last.sum() < 3 or half.sum() < 4:
        return out
    slope, intercept, _ = _line(x[last], y[last])
    residuals = _line(x[half], y[half])[2]
    first = x[last].min()
    own_scatter = float(np.std(residuals, ddof=2))
    scatter = own_scatter if yardstick is None else float(yardstick)
    drift = float(slope * (end - first))
    rounding = 1e-9 * max(1.0, float(np.abs(y).max()))  # a constant metric is flat despite float error
    start = float(slope * first + intercept)
    out.update(start=start, end=start + drift, drift=drift, scatter=scatter, own_scatter=own_scatter,
               flat=bool(abs(drift) <= tolerance * scatter + rounding))
    return out


def build(progress: dict, ema: dict | None = None, *, fraction: float = FRACTION, tolerance: float = TOLERANCE):
    """{variant: progress DataFrame} (and the same of G's weight average) -> long DataFrame, one row
    per variant, generator ("G" or "EMA") and metric; an EMA row is judged against G's scatter."""
    import pandas as pd

    from bcgan.nets.names import variant_rank

    ema = ema or {}
    if set(ema) - set(progress):
        raise UserError(f"EMA progress without the G progress of {sorted(set(ema) - set(progress))}")
    rows = []
    for variant in sorted(progress, key=variant_rank):
        g_scatter = {}  # filled by G's rows, read by the average's (G comes first)
        for generator, df in (("G", progress[variant]), ("EMA", ema.get(variant))):
            if df is None:
                continue
            for key in METRICS:
                verdict = metric_convergence(df["iteration"], df[key], fraction=fraction, tolerance=tolerance,
                                             yardstick=g_scatter.get(key))
                if generator == "G":
                    g_scatter[key] = verdict["scatter"]
                rows.append({"variant": variant, "generator": generator, "metric": key,
                             "last_iteration": int(df["iteration"].max()), "fraction": fraction, **verdict})
    return pd.DataFrame(rows)


def _model_name(variant: str, generator: str) -> str:
    """A table row's name: the variant's label, marked when it is G's weight average."""
    from bcgan.nets.names import label

    return label(variant) if generator == "G" else f"{label(variant)}, EMA of G"


def markdown_frame(table):
    """One row per variant: 'start → end (scatter s)' per metric, flat or not, and the verdict."""
    import pandas as pd

    def cell(r):
        if r["flat"] is None or pd.isna(r["flat"]):
            n = r["evaluations"]
            return f"– ({n} evaluation{'' if n == 1 else 's'} in the last {r['fraction']:.0%})"
        mark = "flat" if r["flat"] else "**moving**"
        return f"{r['start']:.3g} → {r['end']:.3g} (± {r['scatter']:.2g}) {mark}"

    out = []
    for (variant, generator), group in table.groupby(["variant", "generator"], sort=False):
        flats = [f for f in group["flat"] if f is not None and not pd.isna(f)]
        verdict = "–" if len(flats) < len(group) else ("converged" if all(flats) else "not converged")
        rec = {"Model": _model_name(variant, generator), "iterations": f"{group['last_iteration'].iloc[0]:,}"}
        rec.update({METRICS[r["metric"]]: cell(r) for _, r in group.iterrows()})
        rec["verdict"] = verdict
        out.append(rec)
    return pd.DataFrame(out)


def band_frame(table):
    """One row per variant: each metric's 'mean ± sd' over the evaluations of the last fraction."""
    import pandas as pd

    out = []
    for (variant, generator), group in table.groupby(["variant", "generator"], sort=False):
        rec = {"Model": _model_name(variant, generator), "evaluations": str(group["evaluations"].iloc[0])}
        rec.update({METRICS[r["metric"]]: f"{r['mean']:.3g} ± {r['sd']:.2g}" for _, r in group.iterrows()})
        out.append(rec)
    return pd.DataFrame(out)


def notes(fraction: float, tolerance: float, ema: bool) -> list[str]:
    return [f"Each cell: a straight line through the evaluations of the last {fraction:.0%} of training, from its "
            "start to its end, ± the scatter (standard deviation of the residuals of a straight line through the "
            "evaluations of the second half).",
            f"flat: |change| <= {tolerance:g} × scatter; converged: every metric flat. Too few evaluations give no "
            "verdict (–)."] + (["EMA of G: the exponential moving average of G's weights (bcgan.training.ema), "
                         "evaluated on the same set; training never reads it. Its change is judged against G's scatter (± shows G's), because "
                         "averaging removes nearly all of its own."] if ema else [])


def add_arguments(parser) -> None:
    parser.add_argument("progress", type=Path, nargs="+",
                        help="progress.csv files; the variant is the name of the folder holding each")
    parser.add_argument("--ema", type=Path, nargs="+", default=[],
                        help="progress_ema.csv files of the same variants (the moving average of G's weights)")
    parser.add_argument("--fraction", type=float, default=FRACTION, help="judge this last fraction of training")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE, help="flat: |change| <= tolerance x scatter")
    parser.add_argument("--out-csv", type=Path, required=True)
    parser.add_argument("--out-md", type=Path, required=True)


def run(args) -> int:
    from bcgan.tables import write_table
    from bcgan.training.progress import read_progress_files

    if not 0 < args.fraction <= 0.5:
        raise UserError(f"--fraction must be in (0, 0.5], got {args.fraction}")
    if args.tolerance <= 0:
        raise UserError(f"--tolerance must be > 0, got {args.tolerance}")
    progress = read_progress_files(args.progress)
    ema = read_progress_files(args.ema)
    table = build(progress, ema, fraction=args.fraction, tolerance=args.tolerance)
    shown = markdown_frame(table)
    band = band_frame(table)
    write_table(table, args.out_csv, shown, args.out_md, title="Convergence of training",
                notes=notes(args.fraction, args.tolerance, bool(ema)),
                sections=[(f"Last {args.fraction:.0%} of training: mean ± standard deviation of the evaluations", band)])
    print(shown.to_string(index=False))
    print(band.to_string(index=False))
    return 0
