# Ising dataset stage (paper Appendix A): Metropolis shards, manifest, magnetization table, Fig 7.


rule ising_shard:
    output:
        f"{RESULTS}/data/shard_{{i}}.h5",
    log:
        f"{LOGS}/ising_shard_{{i}}.log",
    benchmark:
        f"{BENCHMARKS}/ising_shard_{{i}}.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 4
    resources:
        mem_mb=mem_mb("ising_shard"),
        runtime=runtime("ising_shard"),
    params:
        size=DATA["size"],
        steps=steps_option(),
        seed=CFG["seed"],
        t_min=DATA["t_min"],
        t_max=DATA["t_max"],
        first=lambda w: int(w.i) * DATA["shard_size"],
        n_images=shard_count,
    shell:
        "python -m bcgan ising --size {params.size} {params.steps} --t-range {params.t_min} {params.t_max}"
        " --count {params.n_images} --first-index {params.first} --seed {params.seed}"
        " --threads {threads} --out {output} > {log} 2>&1"


rule ising_heldout:
    """Images never used for training (global indices after the training set), to measure the PSD response model."""
    output:
        f"{RESULTS}/data/heldout.h5",
    log:
        f"{LOGS}/ising_heldout.log",
    benchmark:
        f"{BENCHMARKS}/ising_heldout.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 4
    resources:
        mem_mb=mem_mb("ising_heldout"),
        runtime=runtime("ising_heldout"),
    params:
        size=DATA["size"],
        steps=steps_option(),
        seed=CFG["seed"],
        t_min=DATA["t_min"],
        t_max=DATA["t_max"],
        first=DATA["n_images"],
        n_images=DATA["heldout_images"],
    shell:
        "python -m bcgan ising --size {params.size} {params.steps} --t-range {params.t_min} {params.t_max}"
        " --count {params.n_images} --first-index {params.first} --seed {params.seed}"
        " --threads {threads} --out {output} > {log} 2>&1"


rule dataset_manifest:
    input:
        shard_paths(),
    output:
        f"{RESULTS}/data/manifest.json",
    log:
        f"{LOGS}/dataset_manifest.log",
    benchmark:
        f"{BENCHMARKS}/dataset_manifest.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("dataset_manifest"),
        runtime=runtime("dataset_manifest"),
    shell:
        "python -m bcgan dataset manifest {input} --out {output} > {log} 2>&1"


rule magnetization_table:
    input:
        shard_paths(),
    output:
        f"{RESULTS}/data/magnetization.csv",
    log:
        f"{LOGS}/magnetization_table.log",
    benchmark:
        f"{BENCHMARKS}/magnetization_table.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("magnetization_table"),
        runtime=runtime("magnetization_table"),
    params:
        bins=CFG["figures"]["magnetization_bins"],
    shell:
        "python -m bcgan dataset magnetization {input} --bins {params.bins} --out {output} > {log} 2>&1"


rule fig7:
    input:
        table=f"{RESULTS}/data/magnetization.csv",
        shards=shard_paths(),
    output:
        pdf=f"{RESULTS}/figures/fig7_magnetization.pdf",
        png=report(
            f"{RESULTS}/figures/fig7_magnetization.png",
            caption="../report/fig7.rst",
            category="Data",
        ),
    log:
        f"{LOGS}/fig7.log",
    benchmark:
        f"{BENCHMARKS}/fig7.tsv"
    conda:
        "../../envs/evaluation.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("fig7"),
        runtime=runtime("fig7"),
    params:
        temperatures=example_temperatures(),
    shell:
        "python -m bcgan figure fig7 --magnetization {input.table} --shards {input.shards}"
        " --temperatures {params.temperatures} --pdf {output.pdf} --png {output.png} > {log} 2>&1"
