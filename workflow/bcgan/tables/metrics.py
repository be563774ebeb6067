"""Metrics table: temperature error by region, PSD distance to real data, diversity and dead neurons per model.

One row per generator variant plus a row "real" for real held-out images, which is the reference:
its temperature error is the PSD response model's own error (psd/accuracy.csv, the floor no
generator can beat), and its PSD distance and diversity are those of real images nearest each grid
temperature (as many per temperature as each generator has). Definitions in bcgan.psd.metrics:

* mae_all / mae_below / mae_near / mae_above: mean |T_est − T_cond| [J/k_B]; near = |T − Tc| < near_frac·Tc;
* bias_all: mean (T_est − T_cond);
* psd_distance: grid average of the Mahalanobis distance between the mean generated (slope,
  intercept) at T and the real-data response at T, in real per-image standard deviations;
* diversity / diversity_flip: mean pairwise pixel disagreement among images at the same T (flip:
  an image and its global spin flip count as equal), averaged over T; 0 = all identical (mode collapse);
* frac_positive: fraction of images with positive magnetisation (real data: about one half at every T);
* energy_error: grid mean of |<e>(T) − <e_real>(T)|, e the nearest-neighbour energy per spin (J = 1),
  against the real held-out images nearest each grid temperature (the "real" row is that reference);
* dead_fraction: fraction of the generator's embedding neurons that never respond (analysis stage;
  empty when not given).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from bcgan.errors import UserError
from bcgan.io import read_csv, read_json
from bcgan.nets.names import label
from bcgan.tables import write_table

log = logging.getLogger(__name__)

PSD_COLUMNS = ("index", "temperature", "slope", "intercept", "t_est")
REGIONS = ("all", "below", "near", "above")


def evaluate(images, t_cond, slope, intercept, t_est, model, *, tc: float, near_frac: float) -> dict:
    """All metrics of one generated set (images grouped by their conditioning temperature)."""
    from bcgan.psd.metrics import diversity, magnetisation, psd_distance, t_response, temperature_errors
    from bcgan.training.progress import diversity_by_region

    row = temperature_errors(t_cond, t_est, tc=tc, near_frac=near_frac)
    response = t_response(t_cond, t_est)
    row.update({k: response[k] for k in ("spearman_all", "spearman_1_2", "spearman_2_4")})
    row["psd_distance"] = psd_distance(t_cond, t_cond, slope, intercept, model)[0]
    row["diversity"] = diversity(images, t_cond)[0]
    row["diversity_flip"], flip = diversity(images, t_cond, flip_invariant=True)
    row.update(diversity_by_region(flip["key"], flip["diversity"], tc=tc, near_frac=near_frac))
    row["frac_positive"] = float(np.mean(magnetisation(images) > 0))
    row["n_images"] = int(np.asarray(t_cond).size)
    return row


def real_reference(images, temperature, grid, per_temperature: int, model, *, accuracy, tc: float,
                   near_frac: float) -> dict:
    """The "real" row: response-model floor from the accuracy table, PSD distance / diversity of real sets."""
    from bcgan.psd.metrics import diversity, magnetisation, mean_energy_by_group, nearest_sets, psd_distance
    from bcgan.psd.response import fit_with_model_settings
    from bcgan.training.progress import diversity_by_region

    idx, grp = nearest_sets(temperature, grid, per_temperature)
    sel = np.asarray(images)[idx]
    fit = fit_with_model_settings(model, sel)
    row = {"n_images": int(idx.size)}
    acc = accuracy.set_index("region")
    for region in REGIONS:
        row[f"mae_{region}"] = float(acc.loc[region, "mae"]) if region in acc.index else np.nan
        row[f"n_{region}"] = int(acc.loc[region, "n"]) if region in acc.index else 0
    row["bias_all"] = float(acc.loc["all", "bias"]) if "bias" in acc.columns and "all" in acc.index else np.nan
    row["psd_distance"] = psd_distance(grp, np.asarray(temperature)[idx], fit.slope, fit.intercept, model)[0]
    row["diversity"] = diversity(sel, grp)[0]
    row["diversity_flip"], flip = diversity(sel, grp, flip_invariant=True)
    row.update(diversity_by_region(np.asarray(grid)[flip["key"]], flip["diversity"], tc=tc, near_frac=near_frac))
    row["frac_positive"] = float(np.mean(magnetisation(sel) > 0))
    row["energy_by_t"] = mean_energy_by_group(sel, np.asarray(grid)[grp])
    return row


def read_activity(paths) -> dict:
    """{variant: dead_fraction} from the analysis stage's activity_{variant}.json summaries."""
    out = {}
    for p in paths or ():
        p = Path(p)
        doc = read_json(p, "activity summary")
        if not isinstance(doc, dict) or "dead_fraction" not in doc:
            raise UserError(f"activity summary {p}: no key 'dead_fraction'")
        variant = doc.get("variant") or p.stem.removeprefix("activity_")
        out[str(variant)] = float(doc["dead_fraction"])
    return out


COLUMNS = ["variant", "model", "n_images", "mae_all", "mae_below", "mae_near", "mae_above", "bias_all",
           "psd_distance", "diversity", "diversity_flip", "frac_positive", "energy_error", "spearman_all",
           "spearman_1_2", "spearman_2_4", "dead_fraction", "n_below", "n_near", "n_above",
           "diversity_flip_below", "diversity_flip_near", "diversity_flip_above"]


def build(rows: dict, dead: dict):
    """DataFrame from {variant: metrics dict} (variant 'real' last) and {variant: dead fraction}."""
    import pandas as pd

    out = []
    for v, r in rows.items():
        rec = {"variant": v, "model": "real images (held-out)" if v == "real" else label(v), **r,
               "dead_fraction": dead.get(v, np.nan)}
        out.append({c: rec.get(c, np.nan) for c in COLUMNS})
    return pd.DataFrame(out, columns=COLUMNS)


def markdown_frame(table):
    import pandas as pd

    def f(x, nd=3):
        return "–" if x is None or not np.isfinite(x) else f"{x:.{nd}f}"

    return pd.DataFrame({
        "Model": table["model"],
        "MAE all": table["mae_all"].map(f), "below Tc": table["mae_below"].map(f),
        "near Tc": table["mae_near"].map(f), "above Tc": table["mae_above"].map(f),
        "bias": table["bias_all"].map(f), "PSD distance": table["psd_distance"].map(lambda x: f(x, 2)),
        "diversity": table["diversity"].map(f), "diversity (flip)": table["diversity_flip"].map(f),
        **{f"(flip) {r} Tc": table[f"diversity_flip_{r}"].map(f) for r in ("below", "near", "above")},
        "m > 0": table["frac_positive"].map(lambda x: f(x, 2)), "energy error": table["energy_error"].map(f),
        "Spearman": table["spearman_all"].map(lambda x: f(x, 2)),
        "Spearman [2, 4)": table["spearman_2_4"].map(lambda x: f(x, 2)),
        "dead neurons": table["dead_fraction"].map(lambda x: "–" if not np.isfinite(x) else f"{100 * x:.0f}%"),
    })


def notes(near_frac: float, tc: float) -> list[str]:
    return [
        f"MAE: mean |T_est − T_cond| in J/k_B, T_est from the PSD response model; near Tc: |T − Tc| < "
        f"{near_frac:g}·Tc (Tc = {tc:.4f}). Row 'real': the response model's error on held-out real images, "
        "the floor no generator can beat.",
        "PSD distance: average over the temperature grid of the Mahalanobis distance between the mean generated "
        "(slope, intercept) and the real-data response at that T, in real per-image standard deviations.",
        "diversity: mean pairwise fraction of differing pixels among images at the same T (0 = identical "
        "images, 0.5 = independent random images); '(flip)' counts an image and its global spin flip as equal; "
        "'(flip) below / near / above Tc': the flip-invariant diversity averaged over the grid temperatures of "
        "each region, beside the real images' own (the grid mean hides one image per temperature in one phase).",
        "m > 0: fraction of images with positive magnetisation (real: about one half). energy error: mean over "
        "the grid of |mean energy per spin − that of the real images at the same T| (J = 1, nearest neighbours).",
        "Spearman: rank correlation of the mean T_est per conditioning T with T over the grid (1 = follows T); "
        "[2, 4): inside that binade, where a float's exponent is fixed and only its mantissa changes ('reads "
        "the mantissa'); – with fewer than 3 grid temperatures there.",
        "dead neurons: fraction of the generator's embedding neurons with no response over the working range.",
    ]


def add_arguments(parser) -> None:
    parser.add_argument("--samples", type=Path, nargs="+", required=True, help="samples/<variant>.h5 files")
    parser.add_argument("--psd", type=Path, nargs="+", required=True,
                        help="psd/samples_<variant>.csv from `bcgan psd table --response`, same order as --samples")
    parser.add_argument("--response", type=Path, required=True, help="PSD response model JSON")
    parser.add_argument("--accuracy", type=Path, required=True, help="psd/accuracy.csv of the response model")
    parser.add_argument("--heldout", type=Path, nargs="+", required=True, help="held-out real image shards")
    parser.add_argument("--activity", type=Path, nargs="*", default=[],
                        help="analysis/activity_<variant>.json summaries (optional; dead_fraction)")
    parser.add_argument("--near-frac", type=float, default=0.1, help="near Tc: |T − Tc| < FRAC·Tc (default 0.1)")
    parser.add_argument("--out-csv", type=Path, required=True)
    parser.add_argument("--out-md", type=Path, required=True)


def _load_set(samples_path, psd_path):
    from bcgan.data.shards import read_shard

    s = read_shard(samples_path)
    if s["attrs"].get("kind") != "samples":
        raise UserError(f"{samples_path}: not a generated-sample file (kind {s['attrs'].get('kind')!r})")
    df = read_csv(psd_path, PSD_COLUMNS, what="sample PSD table")
    t = s["temperature"].astype(np.float64)
    if len(df) != t.size or not np.array_equal(df["index"].to_numpy(), np.arange(t.size)) \
            or not np.allclose(df["temperature"].to_numpy(np.float64), t, rtol=0, atol=1e-6):
        raise UserError(f"sample PSD table {psd_path} does not match {samples_path} "
                        f"({len(df)} rows vs {t.size} images, or different temperatures): rebuild it")
    return s["attrs"]["variant"], s["images"], t, df


def run(args) -> int:
    from bcgan.data.shards import read_images
    from bcgan.psd.metrics import mean_energy_by_group
    from bcgan.psd.response import load_response

    if len(args.samples) != len(args.psd):
        raise UserError(f"{len(args.samples)} --samples files but {len(args.psd)} --psd tables: give one per variant")
    model = load_response(args.response)
    tc = model.meta.get("tc")
    if tc is None:
        from bcgan.data.ising import TC as tc
    accuracy = read_csv(args.accuracy, ("region", "n", "mae"), what="response accuracy table")
    rows, generated, grid, per_t = {}, {}, None, 1
    for sp, pp in zip(args.samples, args.psd):
        variant, images, t, df = _load_set(sp, pp)
        if variant in rows:
            raise UserError(f"{sp}: variant {variant} given twice")
        generated[variant] = images, t
        rows[variant] = evaluate(images, t, df["slope"], df["intercept"], df["t_est"], model, tc=tc,
                                 near_frac=args.near_frac)
        g, counts = np.unique(t, return_counts=True)
        grid = g if grid is None else np.union1d(grid, g)
        per_t = max(per_t, int(counts.max()))
        log.info("%s: MAE %.3f, PSD distance %.2f, diversity %.3f", variant, rows[variant]["mae_all"],
                 rows[variant]["psd_distance"], rows[variant]["diversity"])
    real_images, real_t = read_images(args.heldout)
    rows["real"] = real_reference(real_images, real_t, grid, max(per_t, 2), model, accuracy=accuracy, tc=tc,
                                  near_frac=args.near_frac)
    real_keys, real_energy = rows["real"].pop("energy_by_t")
    for variant, (images, t) in generated.items():
        keys, energy = mean_energy_by_group(images, t)
        rows[variant]["energy_error"] = float(np.mean(np.abs(energy - np.interp(keys, real_keys, real_energy))))
    table = build(rows, read_activity(args.activity))
    write_table(table, args.out_csv, markdown_frame(table), args.out_md,
                title="Generated-image metrics per model (real held-out images for reference)",
                notes=notes(args.near_frac, tc))
    return 0
