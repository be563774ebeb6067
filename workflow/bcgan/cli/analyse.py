"""``bcgan analyse``: embedding activity probe, ε-perturbation sweep, and the ε-sensitivity figure.

  bcgan analyse activity --generator G.pt --points 64 --dead-range 1e-3 --out A.h5 --summary A.json
  bcgan analyse perturb --generator G.pt --epsilons 1e-6 1e-4 1e-2 --rows 2 --seed 1 --out P.h5 [--temperature T]
  bcgan analyse sensitivity-figure P_ccgan.h5 P_bcgan.h5 ... --pdf F.pdf --png F.png
  bcgan analyse diversity S_a.h5 S_b.h5 ... [--real heldout.h5] --out D.csv
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def _threads(n):
    from bcgan.nets.precision import set_cpu_threads

    set_cpu_threads(int(n) if n else None)


def _activity(args) -> int:
    from bcgan.evaluation.activity import probe_generator, write_activity
    from bcgan.training.checkpoints import load_generator

    _threads(args.threads)
    G, payload = load_generator(args.generator, variant=args.variant)
    act = probe_generator(G, args.points)
    summary = write_activity(args.out, args.summary, act, args.dead_range, generator=str(args.generator))
    log.info("%s: %d neurons, %d dead (%.1f %%), working range %s", summary["variant"], summary["n_neurons"],
             summary["n_dead"], 100 * summary["dead_fraction"], summary["working_range"])
    print(json.dumps({k: summary[k] for k in ("variant", "n_neurons", "n_dead", "dead_fraction")}))
    return 0


def _perturb(args) -> int:
    from bcgan.data.ising import TC
    from bcgan.evaluation.perturb import noise_seeds, perturbation_sweep, write_perturbation
    from bcgan.training.checkpoints import load_generator

    _threads(args.threads)
    G, _ = load_generator(args.generator, variant=args.variant)
    t0 = TC if args.temperature is None else args.temperature
    p = perturbation_sweep(G, args.epsilons, t0=t0, seeds=noise_seeds(args.seed, args.rows))
    write_perturbation(args.out, p, generator=str(args.generator))
    for e, c, d in zip(p.epsilon, p.changed_fraction.mean(0), p.mean_abs_delta.mean(0)):
        log.info("%s eps=%g: changed pixels %.4f, mean |d output| %.3g", p.variant, e, c, d)
    return 0


def _write_table(rows, out) -> int:
    """One row per image set: logged, written atomically as CSV, and printed."""
    import pandas as pd

    from bcgan.io import atomic_path

    for row in rows:
        log.info(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else str(v) for k, v in row.items()))
    table = pd.DataFrame(rows)
    with atomic_path(out) as tmp:
        table.to_csv(tmp, index=False)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


def _diversity(args) -> int:
    """Flip and shift-and-flip diversity by region for sample files (images grouped by their temperature),
    and for held-out real images taken nearest each of the first file's temperatures."""
    import numpy as np

    from bcgan.data.ising import TC
    from bcgan.data.shards import read_images
    from bcgan.psd.metrics import diversity, nearest_sets
    from bcgan.training.progress import diversity_by_region

    sets = [(str(p), *read_images(p)) for p in args.images]
    if args.real is not None:
        grid, counts = np.unique(sets[0][2], return_counts=True)
        real, real_t = read_images(args.real)
        per_temperature = int(counts.max())
        idx, group = nearest_sets(real_t, grid, per_temperature)
        sets.append(("real images (held-out)", real[idx], grid[group]))
    rows = []
    for name, images, t in sets:
        row = {"images": name}
        for kind, shift in (("flip", False), ("shift_flip", True)):
            _, per = diversity(images, t, flip_invariant=True, shift_invariant=shift)
            by_region = diversity_by_region(per["key"], per["diversity"], tc=TC, near_frac=args.near_frac)
            row.update({f"{kind}_{k.removeprefix('diversity_flip_')}": v for k, v in by_region.items()})
        rows.append(row)
    return _write_table(rows, args.out)


def _dispersion(args) -> int:
    """Within-label spread of T_psd and T_e by region, for sample files and a Monte Carlo set at the same
    temperatures (which also gives the ⟨e⟩(T) curve that T_e inverts)."""
    import numpy as np

    from bcgan.data.ising import TC
    from bcgan.data.shards import read_images
    from bcgan.errors import UserError
    from bcgan.evaluation.dispersion import dispersion, energy_curve, temperature_of_energy
    from bcgan.psd.metrics import energy_per_spin
    from bcgan.psd.realism import d2_of
    from bcgan.psd.response import load_response

    response = load_response(args.response)
    real, real_t = read_images(args.real)
    sets = [(f"{args.real} (Monte Carlo)", real, real_t)] + [(str(p), *read_images(p)) for p in args.images]
    for name, _, t in sets[1:]:
        if not np.isin(np.unique(t), np.unique(real_t)).all():
            raise UserError(f"{name}: its temperatures are not those of --real {args.real}")
    curve = energy_curve(energy_per_spin(real), real_t)
    rows = []
    for name, images, t in sets:
        t_psd = d2_of(response, images)[0]  # T_est with the response model's own PSD settings
        t_energy = temperature_of_energy(energy_per_spin(images), curve)
        row = {"images": name}
        for region, values in dispersion(t, t_psd, t_energy, tc=TC, near_frac=args.near_frac).items():
            row.update({f"{k}_{region}": v for k, v in values.items()})
        rows.append(row)
    return _write_table(rows, args.out)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("analyse", help="embedding activity probe and ε-perturbation sweep")
    sub = parser.add_subparsers(dest="analyse_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("activity", help="probe G.embed over its working range; dead-neuron summary")
    p.add_argument("--generator", type=Path, required=True, help="generator.pt (bcgan.training.checkpoints format)")
    p.add_argument("--variant", default=None, help="refuse a generator of any other variant (the workflow's check)")
    p.add_argument("--points", type=int, required=True,
                   help="inputs over a continuous working range (a CGAN is probed at every class id)")
    p.add_argument("--dead-range", type=float, required=True,
                   help="a neuron is dead if max - min of its output over the working range is below this")
    p.add_argument("--out", type=Path, required=True, help="HDF5: inputs (P,), outputs (P, E)")
    p.add_argument("--summary", type=Path, required=True, help="JSON summary (dead_fraction, ...)")
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=_activity)

    p = sub.add_parser("perturb", help="images at T = T0 + ε with fixed noise (T0 = Tc by default)")
    p.add_argument("--generator", type=Path, required=True)
    p.add_argument("--variant", default=None, help="refuse a generator of any other variant (the workflow's check)")
    p.add_argument("--epsilons", type=float, nargs="+", required=True, help="perturbations of the temperature")
    p.add_argument("--rows", type=int, required=True, help="number of fixed noise inputs")
    p.add_argument("--seed", type=int, required=True, help="noise seeds are seed, seed+1, ...")
    p.add_argument("--temperature", type=float, default=None, help="T0 (default Tc)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=_perturb)

    p = sub.add_parser("diversity", help="flip and shift-and-flip diversity below / near / above Tc")
    p.add_argument("images", type=Path, nargs="+", help="sample files (`bcgan sample`): images at grid temperatures")
    p.add_argument("--real", type=Path, default=None,
                   help="held-out real images: as many nearest each temperature of the first file, as a last row")
    p.add_argument("--near-frac", type=float, default=0.1, help="near Tc: |T - Tc| < this x Tc (as T-MAE's)")
    p.add_argument("--out", type=Path, required=True, help="CSV: one row per image set")
    p.set_defaults(func=_diversity)

    p = sub.add_parser("dispersion", help="how wide in T each label's images are: sd of T_psd and T_e by region")
    p.add_argument("images", type=Path, nargs="+", help="sample files: images at the temperatures of --real")
    p.add_argument("--real", type=Path, required=True,
                   help="Monte Carlo lattices at the same temperatures (`bcgan ising --t-grid`): first row, and "
                        "the <e>(T) curve that T_e inverts")
    p.add_argument("--response", type=Path, required=True, help="the PSD response model (psd/response.json)")
    p.add_argument("--near-frac", type=float, default=0.1, help="near Tc: |T - Tc| < this x Tc (as T-MAE's)")
    p.add_argument("--out", type=Path, required=True, help="CSV: one row per image set")
    p.set_defaults(func=_dispersion)

    from bcgan.figures import epsilon_sensitivity

    p = sub.add_parser("sensitivity-figure", help="changed-pixel fraction and mean |Δ output| vs ε, per variant")
    epsilon_sensitivity.add_arguments(p)
    p.set_defaults(func=epsilon_sensitivity.run)
