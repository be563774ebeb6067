"""``bcgan resources``: per-rule mem_mb and runtime for a preset, measured from benchmark files."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("resources", help="rule resources (mem_mb, runtime) from benchmark files")
    parser.add_argument("benchmarks", nargs="+", help="benchmark TSVs of a finished run, e.g. results/mini/benchmarks/*")
    parser.add_argument("--rules-dir", default="workflow/rules", help="where the rules are declared")
    parser.add_argument("--out", required=True, help="YAML table, e.g. workflow/resources/mini.yaml")
    parser.set_defaults(func=run)


def run(args) -> int:
    from bcgan.resources import measured_resources, rule_names, write_resources

    table = measured_resources(args.benchmarks, rule_names(args.rules_dir))
    source = f"{len(args.benchmarks)} benchmark files ({args.benchmarks[0]} ...)"
    write_resources(table, args.out, source)
    for rule, res in table.items():
        print(f"{rule:<22} mem_mb={res['mem_mb']:<6} runtime={res['runtime']}")
    return 0
