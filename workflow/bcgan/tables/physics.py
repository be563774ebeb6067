"""Physics table: how far each model's lattices are from fresh Monte Carlo ones, per observable.

Why: a second yardstick beside the PSD one (``bcgan.evaluation.physics``). Each cell is the mean over
the temperature grid of |model − real| in units of the real estimator's bootstrap standard deviation at
the same number of images per temperature, so 1 means "as far as one sd of the reference"; the row
"real, second set" is a second, independent Monte Carlo set measured the same way: the floor (about
2/√π ≈ 1.1 for estimators that differ only by chance). The χ- and C-peak temperatures are beside the
real ones; for quenched lattices they need not sit at Tc.

  bcgan table physics --real real_a.csv --floor real_b.csv --models samples_ccgan.csv ... --out-csv T.csv --out-md T.md
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bcgan.errors import UserError
from bcgan.evaluation.physics import NAMES, read_observables



def build(real, floor, models: dict):
    """One row per set (the real reference itself, the floor, then each model): distances and peaks."""
    import pandas as pd

    from bcgan.evaluation.physics import distances, peak_temperature, wide

    t, value, _ = wide(real)
    rows = [{"model": "real", "n_per_t": int(real["n"].iloc[0]), "grid_points": int(t.size),
             **{f"dist_{k}": 0.0 for k in NAMES},
             "peak_chi": peak_temperature(t, value["chi"]),
             "peak_heat_capacity": peak_temperature(t, value["heat_capacity"])}]
    for name, frame in [("real, second set", floor), *models.items()]:
        rows.append({"model": name, "n_per_t": int(frame["n"].iloc[0]), "grid_points": int(t.size),
                     **distances(frame, real)})
    return pd.DataFrame(rows)


def markdown_frame(table):
    import pandas as pd

    from bcgan.nets.names import label

    def f(x, nd=1):
        return "–" if not np.isfinite(x) else f"{x:.{nd}f}"

    out = pd.DataFrame({"Model": [m if m.startswith("real") else label(m) for m in table["model"]]})
    for key, name in NAMES.items():
        out[name] = table[f"dist_{key}"].map(f)
    out["χ peak T"] = table["peak_chi"].map(lambda x: f(x, 2))
    out["C peak T"] = table["peak_heat_capacity"].map(lambda x: f(x, 2))
    return out


def notes(table) -> list[str]:
    r = table.iloc[0]
    return [
        f"Each cell: the mean over {r.grid_points} temperatures of |model − real| / sd, sd the bootstrap standard "
        f"deviation of the real estimator at n = {r.n_per_t} images per temperature (the models have the same n). "
        "0 = on the Monte Carlo value; the row 'real, second set' (an independent Monte Carlo set) is the floor.",
        "Real lattices: fresh Metropolis runs at exactly the grid temperatures, L³ attempted flips from random spins "
        "each (the dataset's recipe), so ⟨·⟩ is over independent quenches; below Tc χ and C are spreads of "
        "non-equilibrated lattices and their peaks need not sit at Tc = 2.269.",
        "⟨|m|⟩ and ⟨e⟩ (J = 1, nearest neighbours, periodic); χ = N var(|m|)/T, C = N var(e)/T² (n − 1); "
        "U₄ = 1 − ⟨m⁴⟩/(3⟨m²⟩²); ξ₂ the second-moment correlation length from S(0) and S(k_min); domains: "
        "same-spin clusters (4-neighbour, periodic), mean size N / count and the largest one's fraction of N.",
        "Peak T: the highest maximum of χ or C inside the grid, refined by the parabola through it and its "
        "neighbours; – where there is none (χ and C of quenched lattices can grow all the way to the lowest T).",
        "Not independent of the PSD yardstick: ⟨e⟩ is −2 × the correlation at the nearest-neighbour step (binned into G(1) with the diagonal) and G(r) is the Fourier pair of the power spectrum; "
        "⟨|m|⟩, χ, C, U₄ and the domains are moments and shapes the mean PSD fit does not fix.",
    ]


def add_arguments(parser) -> None:
    parser.add_argument("--real", type=Path, required=True, help="observables of the reference Monte Carlo set")
    parser.add_argument("--floor", type=Path, required=True, help="observables of a second, independent real set")
    parser.add_argument("--models", type=Path, nargs="+", required=True, help="observables of each model's images")
    parser.add_argument("--out-csv", type=Path, required=True)
    parser.add_argument("--out-md", type=Path, required=True)


def run(args) -> int:
    from bcgan.tables import write_table

    _, real = read_observables(args.real)
    _, floor = read_observables(args.floor)
    models = {}
    for path in args.models:
        name, frame = read_observables(path)
        if name in models:
            raise UserError(f"physics observables {path}: model {name} given twice")
        models[name] = frame
    table = build(real, floor, models)
    shown = markdown_frame(table)
    write_table(table, args.out_csv, shown, args.out_md, title="Physics of the generated lattices against Monte Carlo",
                notes=notes(table))
    print(shown.to_string(index=False))
    return 0
