"""Physics metrics of a generator while it trains (``progress.csv``): is training converged?

Why: GAN losses do not say whether G makes the right microstructure at the right temperature. Every
``eval_every`` iterations the training job evaluates G on one fixed evaluation set and appends a row:

* the set: ``per_temperature`` images at each temperature of the sampling grid, image i with the
  recorded noise seed f(seed, i) of ``bcgan.nets.sampling`` (variant independent, so every variant and
  every evaluation sees the same noise);
* T-MAE through the PSD response model, overall and below / near / above Tc (``bcgan.psd.metrics``);
* PSD distance to the real response (grid mean of the Mahalanobis distance of the mean fit);
* diversity, raw and flip-invariant (mean pairwise pixel disagreement at each T), and the flip-invariant
  one by region, below / near / above Tc (the grid mean hides a generator that makes one image per
  temperature in the disordered phase and many below Tc);
* energy error: grid mean of |<e>_gen(T) − <e>_real(T)|, e the nearest-neighbour energy per spin,
  against the real training images nearest each grid temperature;
* frac_positive: fraction of images with positive magnetisation (real data: about one half);
* spearman_all, spearman_1_2, spearman_2_4: rank correlation of the mean T_est per grid T with T,
  over the grid and inside the binades [1, 2) and [2, 4) ("reads the mantissa", bcgan.psd.metrics.t_response).

G runs in eval mode without gradients, on its own noise, so an evaluation changes neither the
weights, the BatchNorm statistics nor any random stream: training with or without it, and a
resumed run, give the same bits on CPU. The rows carry no wall-clock values.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np

from bcgan.errors import UserError
from bcgan.io import atomic_path

COLUMNS = ["iteration", "images_seen", "mae_all", "mae_below", "mae_near", "mae_above", "psd_distance",
           "diversity", "diversity_flip", "energy_error", "frac_positive", "spearman_all", "spearman_1_2",
           "spearman_2_4", "diversity_flip_below", "diversity_flip_near", "diversity_flip_above"]
REGIONS = ("below", "near", "above")


@dataclass
class EvalSet:
    """Fixed conditioning temperatures and noise of the progress evaluation, with the real reference."""

    temperature: np.ndarray  # (n,) float32, temperature-major over the grid
    noise_seed: np.ndarray  # (n,) uint64, bcgan.nets.sampling's recorded seeds
    grid: np.ndarray  # (n_t,) float32
    real_energy: np.ndarray  # (n_t,) mean energy per spin of real images nearest each grid T
    response: object  # bcgan.psd.response.ResponseModel
    near_frac: float


def make_eval_set(images, temperatures, response, *, n_temperatures: int, per_temperature: int, seed: int,
                  near_frac: float = 0.1) -> EvalSet:
    """The evaluation set over the training range, and the real energies it is compared with."""
    from bcgan.nets.sampling import noise_seeds, temperature_grid
    from bcgan.psd.metrics import mean_energy_by_group, nearest_sets

    if per_temperature < 2:
        raise UserError(f"train.eval_per_temperature must be >= 2 (diversity needs pairs), got {per_temperature}")
    t = np.asarray(temperatures, np.float32)
    grid = temperature_grid(float(t.min()), float(t.max()), n_temperatures)
    idx, grp = nearest_sets(t, grid, per_temperature)
    real_energy = mean_energy_by_group(np.asarray(images)[idx], grp)[1]  # every grid T has its set
    temperature = np.repeat(grid, per_temperature)
    return EvalSet(temperature, noise_seeds(seed, temperature.size), grid, real_energy, response, near_frac)


def evaluate(generator, eval_set: EvalSet, *, device="cpu", precision: str = "fp32") -> dict:
    """One progress row (without iteration / images_seen) for ``generator`` on ``eval_set``."""
    from bcgan.nets.sampling import generate

    was_training = generator.training
    images = generate(generator, eval_set.temperature, eval_set.noise_seed, device=device, precision=precision,
                      progress=False)
    generator.train(was_training)
    return evaluate_images(images, eval_set.temperature, eval_set)


def real_reference(images, temperatures, eval_set: EvalSet) -> dict:
    """The same metrics for real images (e.g. held-out) nearest each grid temperature: the floor."""
    from bcgan.psd.metrics import nearest_sets

    per_temperature = eval_set.temperature.size // eval_set.grid.size
    idx, grp = nearest_sets(temperatures, eval_set.grid, per_temperature)
    return evaluate_images(np.asarray(images)[idx], eval_set.grid[grp], eval_set)


def estimate(images, eval_set: EvalSet):
    """(PSD fit, T_est per image) through the evaluation set's response model."""
    from bcgan.psd.response import estimate_temperature, fit_with_model_settings

    fit = fit_with_model_settings(eval_set.response, images, workers=1)
    return fit, estimate_temperature(eval_set.response, fit.slope, fit.intercept)


def evaluate_images(images, t_cond, eval_set: EvalSet) -> dict:
    """Metrics of images made at grid temperatures ``t_cond`` (module doc)."""
    return metrics_and_response(images, t_cond, eval_set)[0]


def metrics_and_response(images, t_cond, eval_set: EvalSet) -> tuple[dict, dict]:
    """The metrics of ``evaluate_images`` and the T response (``bcgan.psd.metrics.t_response``: mean T_est
    per grid temperature) they were computed from, from one PSD fit."""
    from bcgan.psd.metrics import (
        diversity,
        magnetisation,
        mean_energy_by_group,
        psd_distance,
        t_response,
        temperature_errors,
    )

    model = eval_set.response
    meta = model.meta
    fit, t_est = estimate(images, eval_set)
    t = np.asarray(t_cond, np.float32)
    errors = temperature_errors(t, t_est, tc=meta["tc"], near_frac=eval_set.near_frac)
    energy = mean_energy_by_group(images, t)[1]  # t covers every grid temperature, in grid order
    response = t_response(t, t_est)
    flip_mean, flip = diversity(images, t, flip_invariant=True)
    row = {
        **{f"mae_{r}": errors[f"mae_{r}"] for r in ("all", "below", "near", "above")},
        "psd_distance": psd_distance(t, t, fit.slope, fit.intercept, model)[0],
        "diversity": diversity(images, t)[0],
        "diversity_flip": flip_mean,
        **diversity_by_region(flip["key"], flip["diversity"], tc=meta["tc"], near_frac=eval_set.near_frac),
        "energy_error": float(np.mean(np.abs(energy - eval_set.real_energy))),
        "frac_positive": float(np.mean(magnetisation(images) > 0)),
        **{k: response[k] for k in ("spearman_all", "spearman_1_2", "spearman_2_4")},
    }
    return row, response


def diversity_by_region(t, values, *, tc: float, near_frac: float) -> dict:
    """{'diversity_flip_<region>': mean of the per-temperature diversities in that region} (nan if none)."""
    from bcgan.psd.response import region_of

    regions = region_of(t, tc=tc, near_frac=near_frac)
    values = np.asarray(values, np.float64)
    return {f"diversity_flip_{r}": float(values[regions == r].mean()) if (regions == r).any() else float("nan")
            for r in REGIONS}


def write_progress_csv(path, rows) -> None:
    """Rows (dicts with COLUMNS) as CSV; floats with repr so a file round-trips exactly. A metric a row
    lacks (one kept in a checkpoint from before that metric existed) is written as nan."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([int(r["iteration"]), int(r["images_seen"])] + [repr(float(r.get(c, "nan"))) for c in COLUMNS[2:]])


def read_progress_csv(path):
    """progress.csv -> pandas DataFrame; a file with other columns is a one-line UserError."""
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise UserError(f"{path}: progress file not found") from None
    if list(df.columns) != COLUMNS:
        raise UserError(f"{path}: not a progress.csv (columns {list(df.columns)})")
    return df


def read_progress_files(paths) -> dict:
    """{variant: DataFrame} from progress.csv files, the variant being the name of each file's folder."""
    progress = {}
    for path in paths:
        variant = path.parent.name
        if variant in progress:
            raise UserError(f"{path}: a second progress file for {variant}")
        progress[variant] = read_progress_csv(path)
    return progress
