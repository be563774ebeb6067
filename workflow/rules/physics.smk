# Physics stage (bcgan.evaluation.physics, docs/methods.md): the second yardstick. Every model's lattices and
# fresh Monte Carlo lattices at exactly the sampling grid's temperatures, the same number per temperature,
# measured by magnetisation, energy, susceptibility, heat capacity, Binder cumulant, correlation length and
# domain sizes; the second Monte Carlo set (b) is the floor of the table.


wildcard_constraints:
    set="a|b",
    source="real_a|real_b|samples_(" + "|".join(VARIANTS) + ")",


rule physics_reference:
    """Fresh Metropolis lattices at the sampling grid's temperatures, PHYSICS['per_temperature'] each."""
    output:
        f"{RESULTS}/physics/real_{{set}}.h5",
    log:
        f"{LOGS}/physics/reference_{{set}}.log",
    benchmark:
        f"{BENCHMARKS}/physics_reference_{{set}}.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 2
    resources:
        mem_mb=mem_mb("physics_reference"),
        runtime=runtime("physics_reference"),
    params:
        size=DATA["size"],
        steps=steps_option(),
        t_min=DATA["t_min"],
        t_max=DATA["t_max"],
        grid=CFG["sample"]["n_temperatures"],
        n_images=CFG["sample"]["n_temperatures"] * PHYSICS["per_temperature"],
        seed=lambda w: PHYSICS_SEEDS[w.set],
    shell:
        "python -m bcgan ising --size {params.size} {params.steps} --t-range {params.t_min} {params.t_max}"
        " --t-grid {params.grid} --count {params.n_images} --seed {params.seed} --threads {threads}"
        " --out {output} > {log} 2>&1"


rule physics_samples:
    """Each model's lattices at the same grid and count as the reference (more than samples/<variant>.h5)."""
    input:
        f"{RESULTS}/models/{{variant}}/generator.pt",
    output:
        f"{RESULTS}/physics/samples_{{variant}}.h5",
    log:
        f"{LOGS}/physics/samples_{{variant}}.log",
    benchmark:
        f"{BENCHMARKS}/physics_samples_{{variant}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 2
    resources:
        mem_mb=mem_mb("physics_samples"),
        runtime=runtime("physics_samples"),
        gpu=CFG["train"]["gpus"],
    params:
        t_range=t_range(),
        n_temperatures=CFG["sample"]["n_temperatures"],
        per_temperature=PHYSICS["per_temperature"],
        seed=CFG["seed"],
        device=CFG["train"]["device"],
    shell:
        "python -m bcgan sample --generator {input} --variant {wildcards.variant} --t-range {params.t_range} --n-temperatures {params.n_temperatures}"
        " --per-temperature {params.per_temperature} --seed {params.seed} --device {params.device}"
        " --threads {threads} --out {output} > {log} 2>&1"


rule physics_observables:
    input:
        f"{RESULTS}/physics/{{source}}.h5",
    output:
        f"{RESULTS}/physics/{{source}}.csv",
    log:
        f"{LOGS}/physics/observables_{{source}}.log",
    benchmark:
        f"{BENCHMARKS}/physics_observables_{{source}}.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("physics_observables"),
        runtime=runtime("physics_observables"),
    params:
        bootstrap=PHYSICS["bootstrap"],
        seed=CFG["seed"],
    shell:
        "python -m bcgan physics --images {input} --bootstrap {params.bootstrap} --seed {params.seed}"
        " --out {output} > {log} 2>&1"


rule physics_table:
    input:
        real=f"{RESULTS}/physics/real_a.csv",
        floor=f"{RESULTS}/physics/real_b.csv",
        models=[f"{RESULTS}/physics/samples_{v}.csv" for v in VARIANTS],
    output:
        csv=f"{RESULTS}/tables/physics.csv",
        md=report(
            f"{RESULTS}/tables/physics.md",
            caption="../report/physics_table.rst",
            category="Physics",
        ),
    log:
        f"{LOGS}/physics/table.log",
    benchmark:
        f"{BENCHMARKS}/physics_table.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("physics_table"),
        runtime=runtime("physics_table"),
    shell:
        "python -m bcgan table physics --real {input.real} --floor {input.floor} --models {input.models}"
        " --out-csv {output.csv} --out-md {output.md} > {log} 2>&1"


rule physics_figure:
    input:
        real=f"{RESULTS}/physics/real_a.csv",
        models=[f"{RESULTS}/physics/samples_{v}.csv" for v in VARIANTS],
    output:
        pdf=f"{RESULTS}/figures/physics.pdf",
        png=report(
            f"{RESULTS}/figures/physics.png",
            caption="../report/physics_figure.rst",
            category="Physics",
        ),
    log:
        f"{LOGS}/physics/figure.log",
    benchmark:
        f"{BENCHMARKS}/physics_figure.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("physics_figure"),
        runtime=runtime("physics_figure"),
    shell:
        "python -m bcgan figure physics --real {input.real} --models {input.models} --pdf {output.pdf}"
        " --png {output.png} > {log} 2>&1"
