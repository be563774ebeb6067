"""The study stage: the paper's comparison with its seed spread, and the factors that decide it.

Why: a GAN comparison from one seed is an anecdote. A *cell* is one training of an *arm* (a variant
of ``bcgan.nets.models``, the paper's five or a study arm) on a *label set* with a training *seed*; the
data are fixed. Label sets: ``uniform`` (the workflow's own shards: every label unique) and
``grid:K`` (K temperatures evenly spaced over the same range, each repeated n / K times:
``bcgan.data.ising.grid_temperatures``). Every cell trains through the train rule's command and is then
evaluated here on one fixed grid of conditioning temperatures and noise (``bcgan.training.progress``): T-MAE
by region, Spearman of the mean T_est with T over the grid and inside [1, 2) and [2, 4) ("reads the
mantissa"), flip-invariant diversity over the grid and below / near / above Tc, PSD distance, energy
error, two collapse diagnostics (``bcgan.training.diagnostics``), the ε sweep at Tc (paper Fig 6,
``bcgan.evaluation.perturb``): the fraction of pixels that change when the label moves from Tc to
Tc + ε, over fixed noise rows; and the physics yardstick (``bcgan.evaluation.physics``): the cell's
lattices at every grid temperature against fresh Monte Carlo lattices simulated at the same
temperatures with the data's recipe, the same number each, and a second Monte Carlo set as the floor.
A seed *collapsed* in a region when its flip diversity there is below half the Monte Carlo lattices'.
The summary gives, per arm and label set, the number of seeds, how many collapsed, and the mean and
standard deviation of each metric over seeds: a difference between arms is real only where it
exceeds that spread.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from bcgan.errors import UserError
from bcgan.evaluation.dispersion import WIDTHS
from bcgan.io import atomic_path, read_json
from bcgan.training.progress import REGIONS

LABEL_SET = re.compile(r"^(uniform|grid:([1-9][0-9]*))$")
# = dist_<each of bcgan.evaluation.physics.SCALARS> (tested): spelt out so that planning the workflow,
# which imports this module, does not load Numba
PHYSICS_METRICS = [*(f"dist_{k}" for k in ("abs_m", "e", "chi", "heat_capacity", "binder", "xi", "domain_size",
                                           "largest_domain")), "peak_chi", "peak_heat_capacity"]
# the width of a label's images (bcgan.evaluation.dispersion.widths), and its ratio to Monte Carlo's
WIDTH_METRICS = [f"{kind}_{q}_{r}" for kind in ("width", "ratio") for q in WIDTHS for r in REGIONS]
METRICS = ["mae_all", "mae_below", "mae_near", "mae_above", "spearman_all", "spearman_1_2", "spearman_2_4",
           "diversity_flip", "psd_distance", "energy_error", "gain_mean", "z_share",
           *(f"diversity_flip_{r}" for r in REGIONS), *PHYSICS_METRICS, *WIDTH_METRICS]
COLLAPSE = 0.5  # collapsed in a region: flip diversity below this fraction of the Monte Carlo lattices'
CELL_FORMAT = "bcgan-study-cell/4"  # /2: the ε sweep; /3: diversity by region and the physics yardstick; /4: widths


def grid_points(label_set: str) -> int | None:
    """K of ``grid:K``, None for ``uniform``; anything else is a UserError naming it."""
    m = LABEL_SET.match(str(label_set))
    if m is None:
        raise UserError(f"study label set {label_set!r} must be 'uniform' or 'grid:K' (K >= 2)")
    k = None if m.group(2) is None else int(m.group(2))
    if k is not None and k < 2:
        raise UserError(f"study label set {label_set!r}: a grid needs K >= 2")
    return k


def label_set_dir(label_set: str) -> str:
    """Folder name of a label set: ``uniform``, ``grid100`` (no colon in paths)."""
    k = grid_points(label_set)
    return "uniform" if k is None else f"grid{k}"


def study_cell_tag(epochs: int, own: int) -> str:
    """'' where a study trains its preset's own number of epochs (``own``), else ``epochs<N>``: the folder
    (under the study's) of cells of another training length, so that no cell resumes or replaces one of
    another length."""
    return "" if int(epochs) == int(own) else f"epochs{int(epochs)}"


def evaluate_cell(generator, eval_set, *, epsilons, epsilon_rows: int, epsilon_seed: int, physics_reference,
                  precision: str = "fp32") -> dict:
    """Metrics (METRICS), the mean T_est per grid temperature, the ε sweep and the physics of one trained
    generator; ``physics_reference`` comes from :func:`physics_reference` (the same for every cell)."""
    from bcgan.nets.sampling import generate
    from bcgan.training.diagnostics import cbn_gain_stats, z_share
    from bcgan.training.progress import metrics_and_response

    images = generate(generator.eval(), eval_set.temperature, eval_set.noise_seed, precision=precision,
                      progress=False)
    row, response = metrics_and_response(images, eval_set.temperature, eval_set)
    row.update(gain_mean=cbn_gain_stats(generator, eval_set.grid)["gain_mean"],
               z_share=z_share(generator, eval_set.grid))
    row.update(physics_of_generator(generator, physics_reference, seed=epsilon_seed, precision=precision))
    return {**{k: float(row[k]) for k in METRICS},
            **{k: response[k] for k in ("n_all", "n_1_2", "n_2_4")},
            "grid": [float(g) for g in response["grid"]], "mean_t_est": [float(m) for m in response["mean_t_est"]],
            **{f"real_diversity_flip_{r}": physics_reference[f"diversity_flip_{r}"] for r in REGIONS},
            **{f"mc_width_{q}_{r}": physics_reference["widths"][q][r] for q in WIDTHS for r in REGIONS},
            "physics_per_temperature": physics_reference["per_temperature"],
            "physics_floor": physics_reference["floor"], "physics_real_peaks": physics_reference["peaks"],
            **epsilon_sweep(generator, epsilons, rows=epsilon_rows, seed=epsilon_seed)}


def physics_reference(grid, *, size: int, steps: int, per_temperature: int, bootstrap: int, seed: int,
                      near_frac: float = 0.1, threads: int | None = None) -> dict:
    """Two fresh Monte Carlo sets at the grid temperatures (the data's recipe: ``steps`` flips from random
    spins; seeds ``seed`` + 1 and + 2): the first is the reference, the second's distance to it the
    floor. Also the reference's peaks and its flip diversity by region (the collapse threshold), and the
    widths the two-sided target compares with (``bcgan.evaluation.dispersion.widths``): the ⟨e⟩(T) curve
    that T_e inverts comes from the first set, the widths themselves from the second, so no set is read
    against itself."""
    from bcgan.data.ising import TC, simulate
    from bcgan.evaluation.dispersion import energy_curve, widths
    from bcgan.evaluation.physics import distances, observables, peak_temperature, wide
    from bcgan.psd.metrics import diversity, energy_per_spin
    from bcgan.training.progress import diversity_by_region

    t = np.repeat(np.asarray(grid, np.float32), per_temperature)
    sets = [simulate(t, size, steps=steps, seed=seed + k, threads=threads)["images"] for k in (1, 2)]
    real, second = (observables(images, t, bootstrap=bootstrap, seed=seed) for images in sets)
    grid_t, value, _ = wide(real)
    _, flip = diversity(sets[0], t, flip_invariant=True)
    curve = energy_curve(energy_per_spin(sets[0]), t)
    return {"table": real, "temperature": t, "bootstrap": int(bootstrap), "per_temperature": int(per_temperature),
            "curve": curve, "near_frac": float(near_frac),
            "widths": widths(sets[1], t, second, curve, tc=TC, near_frac=near_frac),
            "floor": {k: v for k, v in distances(second, real).items() if k.startswith("dist_")},
            "peaks": {"chi": peak_temperature(grid_t, value["chi"]),
                      "heat_capacity": peak_temperature(grid_t, value["heat_capacity"])},
            **diversity_by_region(flip["key"], flip["diversity"], tc=TC, near_frac=near_frac)}


def physics_of_generator(generator, reference: dict, *, seed: int, precision: str) -> dict:
    """The PHYSICS_METRICS and WIDTH_METRICS of a generator's lattices at the reference's temperatures and
    count: widths per region, and their ratio to the second Monte Carlo set's."""
    from bcgan.data.ising import TC
    from bcgan.evaluation.dispersion import widths
    from bcgan.evaluation.physics import distances, observables
    from bcgan.nets.sampling import generate, noise_seeds

    t = reference["temperature"]
    images = generate(generator.eval(), t, noise_seeds(seed, t.size), precision=precision, progress=False)
    table = observables(images, t, bootstrap=reference["bootstrap"], seed=seed)
    own = widths(images, t, table, reference["curve"], tc=TC, near_frac=reference["near_frac"])
    out = distances(table, reference["table"])
    for q in WIDTHS:
        for r in REGIONS:
            mc = reference["widths"][q][r]
            out[f"width_{q}_{r}"] = own[q][r]
            out[f"ratio_{q}_{r}"] = own[q][r] / mc if mc > 0 else np.nan
    return out


def collapsed(cell: dict) -> dict:
    """{region: True where the cell's flip diversity is below COLLAPSE x the Monte Carlo lattices'}."""
    return {r: bool(cell[f"diversity_flip_{r}"] < COLLAPSE * cell[f"real_diversity_flip_{r}"]) for r in REGIONS
            if np.isfinite(cell[f"diversity_flip_{r}"]) and np.isfinite(cell[f"real_diversity_flip_{r}"])}


CEILING_FORMAT = "bcgan-study-ceiling/1"


def real_ceiling(images, temperatures, eval_set) -> dict:
    """The cell metrics of held-out real images, the ``per_temperature`` nearest each grid temperature
    taken as made at it (``bcgan.training.progress.real_reference``): the T-MAE and Spearman the response
    model allows, and the real images' flip diversity by region, beside which every cell is read."""
    from bcgan.training.progress import real_reference

    row = real_reference(images, temperatures, eval_set)
    keys = [k for k in METRICS if k in row]  # no CBN gain, z share or physics for images
    return {"format": CEILING_FORMAT, **{k: float(row[k]) for k in keys}}


def epsilon_sweep(generator, epsilons, *, rows: int, seed: int) -> dict:
    """Changed-pixel fraction and mean |Δ output| at T = Tc + ε, each the mean over ``rows`` fixed noise
    inputs. fp32, as the workflow's own ε analysis (``perturb`` rule): in bf16, a change of 1e-6 in a
    normalised label (CcGAN's) would be rounded away before the first layer."""
    from bcgan.data.ising import TC
    from bcgan.evaluation.perturb import noise_seeds, perturbation_sweep

    p = perturbation_sweep(generator, epsilons, t0=TC, seeds=noise_seeds(int(seed), rows))
    return {"epsilon": [float(e) for e in p.epsilon], "epsilon_rows": int(rows),
            "changed_fraction": [float(c) for c in p.changed_fraction.mean(axis=0)],
            "mean_abs_delta": [float(d) for d in p.mean_abs_delta.mean(axis=0)]}


def epsilon_column(eps: float) -> str:
    """Summary column of the changed fraction at one ε: ``changed_1e-06``."""
    return f"changed_{eps:g}"


def write_cell(path, *, arm: str, label_set: str, seed: int, iterations: int, precision: str, device: str,
               result: dict) -> None:
    """The cell's record; precision and device are kept because ``auto`` may differ between machines."""
    doc = {"format": CELL_FORMAT, "arm": arm, "label_set": label_set, "seed": int(seed),
           "iterations": int(iterations), "precision": precision, "device": device, **result}
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(doc, indent=1, allow_nan=True) + "\n")


def read_cells(paths) -> list[dict]:
    """Cell documents; a missing, unreadable or foreign file is a UserError naming it."""
    cells = []
    for path in paths:
        doc = read_json(path, "study cell")
        if not isinstance(doc, dict) or doc.get("format") != CELL_FORMAT:
            raise UserError(f"study cell {path}: not a {CELL_FORMAT} file")
        cells.append(doc)
    if not cells:
        raise UserError("study summary: no cell files given")
    return cells


def summarise(cells: list[dict]):
    """One row per (arm, label set): seeds, grid points, and mean / sd over seeds of every metric."""
    import pandas as pd

    epsilons = cells[0]["epsilon"]
    for c in cells:
        if c["epsilon"] != epsilons:
            raise UserError(f"study summary: cell {c['arm']}, labels {c['label_set']}, seed {c['seed']} swept "
                            f"ε = {c['epsilon']}, the first cell {epsilons}")
    metrics = [*METRICS, *map(epsilon_column, epsilons)]
    frame = pd.DataFrame([{**{k: c[k] for k in ("arm", "label_set", "seed", "iterations", "precision", "n_all",
                                                  "n_1_2", "n_2_4", "epsilon_rows", "physics_per_temperature",
                                                  *METRICS)},
                           **{f"real_diversity_flip_{r}": c[f"real_diversity_flip_{r}"] for r in REGIONS},
                           **{f"collapsed_{r}": flag for r, flag in collapsed(c).items()},
                           **{epsilon_column(e): f for e, f in zip(epsilons, c["changed_fraction"])}}
                          for c in cells])
    for r in REGIONS:
        if f"collapsed_{r}" not in frame:
            frame[f"collapsed_{r}"] = False
    frame["collapsed_any"] = frame[[f"collapsed_{r}" for r in REGIONS]].fillna(False).any(axis=1)
    duplicated = frame[frame.duplicated(["arm", "label_set", "seed"])]
    if len(duplicated):
        r = duplicated.iloc[0]
        raise UserError(f"study summary: two cells for arm {r.arm}, labels {r.label_set}, seed {r.seed}")
    rows = []
    for (arm, label_set), group in frame.groupby(["arm", "label_set"], sort=False):
        row = {"arm": arm, "label_set": label_set, "seeds": int(len(group)),
               "iterations": int(group["iterations"].max()),
               "precision": ",".join(sorted(set(group["precision"]))),  # two names: the seeds mixed them
               **{k: int(group[k].iloc[0]) for k in ("n_all", "n_1_2", "n_2_4", "epsilon_rows",
                                                     "physics_per_temperature")},
               **{f"collapsed_{r}": int(group[f"collapsed_{r}"].fillna(False).sum()) for r in ("any", *REGIONS)},
               **{f"real_diversity_flip_{r}": float(group[f"real_diversity_flip_{r}"].iloc[0]) for r in REGIONS}}
        for m in metrics:
            values = group[m].to_numpy(float)
            finite = values[np.isfinite(values)]
            row[f"{m}_mean"] = float(finite.mean()) if finite.size else float("nan")
            row[f"{m}_sd"] = float(finite.std(ddof=1)) if finite.size > 1 else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def _pm(row, m, nd, scale=1.0):
    """'mean ± sd' of metric m in a summary row; '–' where no seed has a value."""
    mean, sd = row[f"{m}_mean"] * scale, row[f"{m}_sd"] * scale
    if not np.isfinite(mean):
        return "–"
    return f"{mean:.{nd}f}" + (f" ± {sd:.{nd}f}" if np.isfinite(sd) else "")


def read_ceiling(path) -> dict:
    """The document of :func:`real_ceiling` at ``path``; another file is a UserError naming it."""
    doc = read_json(path, "real-image ceiling")
    if not isinstance(doc, dict) or doc.get("format") != CEILING_FORMAT:
        raise UserError(f"real-image ceiling {path}: not a {CEILING_FORMAT} document")
    return doc


def ceiling_row(ceiling: dict) -> dict:
    """A summary row (mean = the value, no sd) for the held-out real images of :func:`real_ceiling`."""
    row = {"arm": "real images (held-out)", "label_set": "", "seeds": "", "collapsed_any": "", "precision": ""}
    for m in METRICS:
        row[f"{m}_mean"], row[f"{m}_sd"] = float(ceiling.get(m, float("nan"))), float("nan")
    return row


def markdown_frame(summary):
    """The summary as people read it: mean ± sd (over seeds) per metric."""
    import pandas as pd

    columns = {"T-MAE all": ("mae_all", 2), "below Tc": ("mae_below", 2), "near Tc": ("mae_near", 2),
               "above Tc": ("mae_above", 2), "Spearman": ("spearman_all", 2), "Spearman [1, 2)": ("spearman_1_2", 2),
               "Spearman [2, 4)": ("spearman_2_4", 2), "diversity (flip)": ("diversity_flip", 3),
               "PSD distance": ("psd_distance", 1), "energy error": ("energy_error", 3),
               "gain 1+γ": ("gain_mean", 2), "z share": ("z_share", 2)}
    out = pd.DataFrame({"arm": summary["arm"], "labels": summary["label_set"], "seeds": summary["seeds"],
                        "collapsed": summary["collapsed_any"], "precision": summary["precision"]})
    for name, (m, nd) in columns.items():
        out[name] = [_pm(r, m, nd) for _, r in summary.iterrows()]
    return out


def region_frame(summary):
    """Flip diversity below / near / above Tc, mean ± sd over seeds, the Monte Carlo lattices' beside it,
    and how many seeds fell below half of it (collapsed) in each region."""
    import pandas as pd

    out = pd.DataFrame({"arm": summary["arm"], "labels": summary["label_set"], "seeds": summary["seeds"]})
    first = summary.iloc[0]
    for r in REGIONS:
        real = first[f"real_diversity_flip_{r}"]
        out[f"{r} Tc (Monte Carlo {real:.3f})"] = [_pm(row, f"diversity_flip_{r}", 3) for _, row in summary.iterrows()]
        out[f"collapsed {r}"] = summary[f"collapsed_{r}"]
    return out


def physics_frame(summary, floor: dict, peaks: dict):
    """The physics yardstick: distance to Monte Carlo in the reference's sd per observable (mean ± sd over
    seeds), the χ and C peak temperatures, and the floor (a second Monte Carlo set) as the first row."""
    import pandas as pd

    from bcgan.evaluation.physics import NAMES as names
    rows = [{"arm": "Monte Carlo, second set (floor)", "labels": "", "seeds": "",
             **{name: f"{floor[f'dist_{k}']:.1f}" for k, name in names.items()},
             **{f"{name} peak T": f"{peaks[k]:.2f}" if np.isfinite(peaks[k]) else "–"
                for k, name in (("chi", "χ"), ("heat_capacity", "C"))}}]
    for _, r in summary.iterrows():
        rows.append({"arm": r["arm"], "labels": r["label_set"], "seeds": r["seeds"],
                     **{name: _pm(r, f"dist_{k}", 1) for k, name in names.items()},
                     "χ peak T": _pm(r, "peak_chi", 2), "C peak T": _pm(r, "peak_heat_capacity", 2)})
    return pd.DataFrame(rows)


def width_frame(summary):
    """The two-sided target's widths: per region, the sd of T_e among a label's images, χ and C, each over
    Monte Carlo's at the same temperatures (1 = as wide), mean ± sd over seeds."""
    import pandas as pd

    out = pd.DataFrame({"arm": summary["arm"], "labels": summary["label_set"], "seeds": summary["seeds"]})
    for q, name in (("t_energy", "sd of T_e"), ("chi", "χ"), ("heat_capacity", "C")):
        out[f"{name} below / near / above"] = [
            " / ".join(_pm(row, f"ratio_{q}_{r}", 2) for r in REGIONS) for _, row in summary.iterrows()]
    return out


def epsilon_frame(summary):
    """The ε sweep as people read it: changed pixels [%] at Tc + ε, mean ± sd over seeds."""
    import pandas as pd

    columns = [c.removesuffix("_mean") for c in summary.columns if c.startswith("changed_") and c.endswith("_mean")]
    out = pd.DataFrame({"arm": summary["arm"], "labels": summary["label_set"], "seeds": summary["seeds"]})
    for m in columns:
        out[f"ε = {m.removeprefix('changed_')}"] = [_pm(r, m, 2, scale=100.0) for _, r in summary.iterrows()]
    return out


def notes(summary) -> list[str]:
    first = summary.iloc[0]
    return [
        "Each cell: one training (arm, label set, seed) at the study's budget, then evaluated on one fixed "
        f"grid of {first.n_all} conditioning temperatures ({first.n_1_2} in [1, 2), {first.n_2_4} in [2, 4)) "
        "with fixed noise; mean ± sd over the seeds (sd needs 2 seeds).",
        "T-MAE: mean |T_est − T| [J/k_B] through the PSD response model. Spearman: rank correlation of the "
        "mean T_est with T over the grid; [1, 2) and [2, 4): inside one binade, where the float32 exponent is "
        "fixed and only the mantissa changes ('reads the mantissa'); – where fewer than 3 grid points fall.",
        "diversity (flip): mean pairwise pixel disagreement at the same T, an image and its spin flip equal "
        "(0 = collapse). gain 1+γ: mean gain of G's first conditional BN; z share: the fraction of block 0's "
        "output variance due to the noise (bcgan.training.diagnostics).",
        f"ε at Tc: the percentage of pixels whose spin changes when the label moves from Tc to Tc + ε, fp32, "
        f"the mean over {first.epsilon_rows} fixed noise inputs (the same for every cell), then over seeds.",
        f"collapsed: seeds whose flip diversity in some region (below, near, above Tc) is below {COLLAPSE:g} x that "
        "of fresh Monte Carlo lattices at the same temperatures (the sections below give each region).",
        f"Physics: each cell's {first.physics_per_temperature} images per grid temperature against as many fresh "
        "Monte Carlo lattices (L³ flips from random spins, as the data); per observable the mean over the grid of "
        "|cell − Monte Carlo| / the Monte Carlo estimator's bootstrap sd (bcgan.evaluation.physics); the first row "
        "is a second Monte Carlo set: the floor.",
        "A difference between arms is real only where it exceeds the seed spread.",
    ]
