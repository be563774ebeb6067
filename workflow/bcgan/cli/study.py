"""``bcgan study``: evaluate one study cell, and summarise the cells with their seed spread.

  bcgan study cell --generator G.pt --arm A --labels uniform|grid:K --seed S --shards SHARD.h5 ...
      --response response.json --eval-temperatures 32 --eval-per-temperature 16 --eval-seed 20240601 \
      --epsilons 1e-6 1e-2 --epsilon-rows 16 --physics-per-temperature 128 --physics-bootstrap 200 --out cell.json
  bcgan study summary CELL.json ... --out-csv summary.csv --out-md summary.md --pdf t_response.pdf --png t_response.png
  bcgan study scale results/mini/study/summary.csv results/midi/study/summary.csv --out-csv scale.csv --out-md scale.md

The cells are trained by the workflow's train command (workflow/rules/study.smk); see bcgan.study.cells.
"""

from __future__ import annotations

from pathlib import Path

from bcgan.study.target import BASELINE, REFERENCE


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("study", help="evaluate study cells and summarise them over seeds")
    sub = parser.add_subparsers(dest="study_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("cell", help="metrics and T response of one trained cell")
    p.add_argument("--generator", type=Path, required=True, help="the cell's generator.pt")
    p.add_argument("--arm", required=True)
    p.add_argument("--labels", required=True, help="the cell's label set: uniform or grid:K")
    p.add_argument("--seed", type=int, required=True, help="the cell's training seed (recorded)")
    p.add_argument("--shards", type=Path, nargs="+", required=True, help="real training shards (energy reference)")
    p.add_argument("--response", type=Path, required=True, help="PSD response model")
    p.add_argument("--eval-temperatures", type=int, required=True)
    p.add_argument("--eval-per-temperature", type=int, required=True)
    p.add_argument("--eval-seed", type=int, required=True, help="noise seed of the evaluation, the same for every cell")
    p.add_argument("--epsilons", type=float, nargs="+", required=True, help="label perturbations ε at Tc")
    p.add_argument("--epsilon-rows", type=int, required=True, help="fixed noise inputs of the ε sweep")
    p.add_argument("--physics-per-temperature", type=int, required=True,
                   help="images per grid temperature of the physics yardstick (the cell's and Monte Carlo's)")
    p.add_argument("--physics-bootstrap", type=int, required=True, help="bootstrap resamples of its estimators")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--out", type=Path, required=True, help="output cell.json")
    p.set_defaults(func=run_cell)

    p = sub.add_parser("ceiling", help="the cell metrics of held-out real images: what the response model allows")
    p.add_argument("--heldout", type=Path, nargs="+", required=True, help="held-out real image shards")
    p.add_argument("--shards", type=Path, nargs="+", required=True, help="real training shards (the grid's range)")
    p.add_argument("--response", type=Path, required=True, help="PSD response model")
    p.add_argument("--eval-temperatures", type=int, required=True)
    p.add_argument("--eval-per-temperature", type=int, required=True)
    p.add_argument("--eval-seed", type=int, required=True)
    p.add_argument("--out", type=Path, required=True, help="output JSON")
    p.set_defaults(func=run_ceiling)

    p = sub.add_parser("target", help="the embedding target (bcgan.study.target) judged on cells of one label set")
    p.add_argument("cells", type=Path, nargs="+", help="cell.json files, the reference and baseline arms included")
    p.add_argument("--labels", default=None,
                   help="the label set judged (default: the cells' only one); its reference and baseline arms "
                        "come from the same label set, or from uniform where it has none")
    p.add_argument("--ceiling", type=Path, required=True, help="`bcgan study ceiling` JSON of the same study")
    p.add_argument("--reference", default=REFERENCE, help=f"the arm whose T-MAE must be matched (default {REFERENCE})")
    p.add_argument("--baseline", default=BASELINE, help="the arm whose PSD distance and energy error bound "
                                                        f"(default {BASELINE})")
    p.add_argument("--out-csv", type=Path, required=True)
    p.add_argument("--out-md", type=Path, required=True)
    p.set_defaults(func=run_target)

    p = sub.add_parser("summary", help="mean ± sd over seeds per arm and label set, and the T-response figure")
    p.add_argument("cells", type=Path, nargs="+", help="cell.json files of `bcgan study cell`")
    p.add_argument("--ceiling", type=Path, default=None,
                   help="`bcgan study ceiling` JSON: the held-out real images' row, first in the tables")
    p.add_argument("--out-csv", type=Path, required=True)
    p.add_argument("--out-md", type=Path, required=True)
    p.add_argument("--pdf", type=Path, required=True)
    p.add_argument("--png", type=Path, required=True)
    p.add_argument("--widths-pdf", type=Path, default=None, help="the widths figure (bcgan.figures.study_widths)")
    p.add_argument("--widths-png", type=Path, default=None)
    p.set_defaults(func=run_summary)

    p = sub.add_parser("scale", help="the scale table: each claim and factor in two study summaries")
    p.add_argument("small", type=Path, help="`bcgan study summary` CSV at the smaller scale (e.g. mini)")
    p.add_argument("large", type=Path, help="the same at the larger scale (e.g. midi)")
    p.add_argument("--names", nargs=2, default=["32²", "64²"], help="column names of the two scales")
    p.add_argument("--labels", default="uniform", help="the label set compared (default uniform)")
    p.add_argument("--out-csv", type=Path, required=True)
    p.add_argument("--out-md", type=Path, required=True)
    p.set_defaults(func=run_scale)


def run_cell(args) -> int:
    from bcgan.data.shards import read_images, read_shard
    from bcgan.errors import UserError
    from bcgan.nets.precision import set_cpu_threads
    from bcgan.psd.response import load_response
    from bcgan.study.cells import evaluate_cell, grid_points, physics_reference, write_cell
    from bcgan.training.checkpoints import load_generator
    from bcgan.training.progress import make_eval_set

    grid_points(args.labels)
    if args.epsilon_rows < 1:
        raise UserError(f"--epsilon-rows must be >= 1, got {args.epsilon_rows}")
    if args.physics_per_temperature < 2 or args.physics_bootstrap < 2:
        raise UserError(f"--physics-per-temperature and --physics-bootstrap must be >= 2, got "
                        f"{args.physics_per_temperature} and {args.physics_bootstrap}")
    set_cpu_threads(args.threads)
    G, payload = load_generator(args.generator)
    if G.spec.name != args.arm:
        raise UserError(f"{args.generator}: a {G.spec.name} generator, not arm {args.arm}")
    images, temps = read_images(args.shards)
    eval_set = make_eval_set(images, temps, load_response(args.response), n_temperatures=args.eval_temperatures,
                             per_temperature=args.eval_per_temperature, seed=args.eval_seed)
    data = read_shard(args.shards[0])["attrs"]  # the Monte Carlo reference follows the data's recipe
    reference = physics_reference(eval_set.grid, size=int(data["L"]), steps=int(data["steps"]),
                                  per_temperature=args.physics_per_temperature, bootstrap=args.physics_bootstrap,
                                  seed=args.eval_seed, near_frac=eval_set.near_frac, threads=args.threads)
    metadata = payload["metadata"]
    result = evaluate_cell(G, eval_set, epsilons=args.epsilons, epsilon_rows=args.epsilon_rows,
                           epsilon_seed=args.eval_seed, physics_reference=reference,
                           precision=metadata.get("precision", "fp32"))
    write_cell(args.out, arm=args.arm, label_set=args.labels, seed=args.seed, iterations=metadata["iterations"],
               precision=metadata.get("precision", "fp32"), device=metadata.get("device", "cpu"), result=result)
    print(f"arm={args.arm} labels={args.labels} seed={args.seed} mae_all={result['mae_all']:.3f} "
          f"spearman_all={result['spearman_all']:.3f} diversity_flip={result['diversity_flip']:.3f}")
    return 0


def run_ceiling(args) -> int:
    import json

    from bcgan.data.shards import read_images
    from bcgan.io import atomic_path
    from bcgan.psd.response import load_response
    from bcgan.study.cells import real_ceiling
    from bcgan.training.progress import make_eval_set

    response = load_response(args.response)
    real, real_t = read_images(args.heldout)
    images, temps = read_images(args.shards)
    eval_set = make_eval_set(images, temps, response, n_temperatures=args.eval_temperatures,
                             per_temperature=args.eval_per_temperature, seed=args.eval_seed)
    doc = real_ceiling(real, real_t, eval_set)
    with atomic_path(args.out) as tmp:
        Path(tmp).write_text(json.dumps(doc, indent=1, allow_nan=True) + "\n")
    print(" ".join(f"{k}={v:.3f}" for k, v in doc.items() if k != "format"))
    return 0


def run_target(args) -> int:
    from bcgan.errors import UserError
    from bcgan.study.cells import read_ceiling, read_cells
    from bcgan.study.target import NOTES, judge, markdown_frame, seed_frame
    from bcgan.tables import write_table

    cells = read_cells(args.cells)
    sets = {c["label_set"] for c in cells}
    labels = args.labels
    if labels is None:
        if len(sets) != 1:
            raise UserError(f"study target: the cells hold label sets {sorted(sets)}; name one with --labels")
        labels = sets.pop()
    judged = [c for c in cells if c["label_set"] == labels]
    if not judged:
        raise UserError(f"study target: no cell of label set {labels!r} among {sorted(sets)}")
    borrowed = []
    for arm in (args.reference, args.baseline):
        if not any(c["arm"] == arm for c in judged):
            borrowed += [c for c in cells if c["arm"] == arm and c["label_set"] == "uniform"]
    ceiling = read_ceiling(args.ceiling)
    shown = markdown_frame(judge(judged + borrowed, ceiling, reference=args.reference, baseline=args.baseline))
    notes = NOTES + ([f"Label set {labels}: the reference and baseline arms' cells come from uniform labels "
                      "(the same evaluation grid and noise)."] if borrowed else [])
    write_table(shown, args.out_csv, shown, args.out_md, title=f"The embedding target, labels {labels}", notes=notes,
                sections=[("The width criteria seed by seed (× Monte Carlo, below / near / above Tc; "
                           "✗ out of bounds)",
                           seed_frame(judged))])
    print(shown.to_string(index=False))
    return 0


def run_summary(args) -> int:
    import pandas as pd

    from bcgan.figures import study_response
    from bcgan.figures.style import save_figure
    from bcgan.study.cells import (
        ceiling_row,
        epsilon_frame,
        markdown_frame,
        notes,
        physics_frame,
        read_ceiling,
        read_cells,
        region_frame,
        summarise,
        width_frame,
    )
    from bcgan.tables import write_table

    cells = read_cells(args.cells)
    summary = summarise(cells)
    table = summary  # the metrics table opens with the held-out real images' row, where given
    if args.ceiling is not None:
        ceiling = ceiling_row(read_ceiling(args.ceiling))
        table = pd.concat([pd.DataFrame([ceiling]), summary], ignore_index=True)
    write_table(table, args.out_csv, markdown_frame(table), args.out_md,
                title="Study: every arm and label set over its seeds", notes=notes(summary),
                sections=[("ε at Tc: changed pixels [%]", epsilon_frame(summary)),
                          ("Flip diversity by region, and seeds collapsed there", region_frame(summary)),
                          ("Physics: distance to Monte Carlo [reference sd], and peak temperatures",
                           physics_frame(summary, cells[0]["physics_floor"], cells[0]["physics_real_peaks"])),
                          ("Width of a label's images against Monte Carlo's (sd of T_e, χ, C; 1 = as wide; target "
                           "[0.5, 1.5] and [0.5, 2.25])", width_frame(summary))])
    save_figure(study_response.draw(cells), args.pdf, args.png)
    if args.widths_pdf is not None:
        from bcgan.figures import study_widths
        from bcgan.study.target import WIDTH_BOUNDS

        save_figure(study_widths.draw(cells, WIDTH_BOUNDS), args.widths_pdf, args.widths_png)
    print(markdown_frame(table).to_string(index=False))
    return 0


def run_scale(args) -> int:
    import pandas as pd

    from bcgan.errors import UserError
    from bcgan.study.scale import NOTES, collapse_rows, compare, read_summary
    from bcgan.tables import write_table

    if args.names[0] == args.names[1]:
        raise UserError(f"study scale: --names must differ, got {args.names[0]!r} twice")
    small, large = (read_summary(p, args.labels) for p in (args.small, args.large))
    rows = pd.DataFrame(compare(small, large, args.names))
    if rows.empty:
        raise UserError(f"study scale: {args.small} and {args.large} share no arm that a row of the table compares")
    collapse = pd.DataFrame(collapse_rows(small, large, args.names))
    write_table(rows, args.out_csv, rows, args.out_md, title=f"Scale: {args.names[0]} against {args.names[1]}",
                notes=NOTES, sections=[("Seeds collapsed below / near / above Tc", collapse)])
    print(rows.to_string(index=False))
    return 0
