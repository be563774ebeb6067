# Study stage (bcgan.study.cells, docs/results/mini-study.md): the comparison with its seed spread. Every cell (arm x
# label set x training seed) trains with the train rule's own command (TRAIN_COMMAND) at the study's
# budget, is evaluated on one fixed grid and noise, and the summary gives mean ± sd over seeds.
# Target: `snakemake study --config preset=<p>` (rule `study` in the Snakefile; not part of `all`: it
# trains many models).


wildcard_constraints:
    labels="uniform|grid[0-9]+",
    arm="[a-z0-9-]+",
    seed=r"\d+",


rule study_shard:
    """A grid:K label set: K temperatures evenly spaced over the dataset's range, each repeated."""
    output:
        f"{STUDY_DIR}/data/{{labels}}/shard_{{i}}.h5",
    log:
        f"{LOGS}/study/shard_{{labels}}_{{i}}.log",
    benchmark:
        f"{BENCHMARKS}/study_shard_{{labels}}_{{i}}.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 4
    resources:
        mem_mb=mem_mb("study_shard"),
        runtime=runtime("study_shard"),
    params:
        size=DATA["size"],
        steps=steps_option(),
        seed=CFG["seed"],
        t_min=DATA["t_min"],
        t_max=DATA["t_max"],
        grid=lambda w: int(w.labels.removeprefix("grid")),
        first=lambda w: int(w.i) * DATA["shard_size"],
        n_images=shard_count,
    shell:
        "python -m bcgan ising --size {params.size} {params.steps} --t-range {params.t_min} {params.t_max}"
        " --t-grid {params.grid} --count {params.n_images} --first-index {params.first} --seed {params.seed}"
        " --threads {threads} --out {output} > {log} 2>&1"


rule study_ccgan_regressor:
    input:
        lambda w: study_shard_paths(w.labels),
    output:
        f"{STUDY_DIR}/{{labels}}/ccgan/regressor.pt",
    log:
        f"{LOGS}/study/ccgan_regressor_{{labels}}.log",
    benchmark:
        f"{BENCHMARKS}/study_ccgan_regressor_{{labels}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 2
    resources:
        mem_mb=mem_mb("study_ccgan_regressor"),
        runtime=runtime("study_ccgan_regressor"),
        gpu=CFG["train"]["gpus"],
    params:
        t_range=t_range(),
        embed_dim=CFG["ccgan"]["embed_dim"],
        width=CFG["ccgan"]["regressor_width"],
        epochs=CFG["ccgan"]["regressor_epochs"],
        seed=CFG["seed"],
        device=CFG["train"]["device"],
    shell:
        REGRESSOR_COMMAND


rule study_ccgan_y2h:
    input:
        regressor=f"{STUDY_DIR}/{{labels}}/ccgan/regressor.pt",
        shards=lambda w: study_shard_paths(w.labels),
    output:
        f"{STUDY_DIR}/{{labels}}/ccgan/y2h.pt",
    log:
        f"{LOGS}/study/ccgan_y2h_{{labels}}.log",
    benchmark:
        f"{BENCHMARKS}/study_ccgan_y2h_{{labels}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("study_ccgan_y2h"),
        runtime=runtime("study_ccgan_y2h"),
        gpu=CFG["train"]["gpus"],
    params:
        epochs=CFG["ccgan"]["y2h_epochs"],
        seed=CFG["seed"],
        device=CFG["train"]["device"],
    shell:
        Y2H_COMMAND


rule study_train:
    input:
        unpack(study_train_inputs),
    output:
        generator=f"{CELL_DIR}/{{labels}}/{{arm}}/seed{{seed}}/generator.pt",
        generator_ema=f"{CELL_DIR}/{{labels}}/{{arm}}/seed{{seed}}/generator_ema.pt",
        losses=f"{CELL_DIR}/{{labels}}/{{arm}}/seed{{seed}}/losses.csv",
        progress=f"{CELL_DIR}/{{labels}}/{{arm}}/seed{{seed}}/progress.csv",
        progress_ema=f"{CELL_DIR}/{{labels}}/{{arm}}/seed{{seed}}/progress_ema.csv",
        curve=f"{CELL_DIR}/{{labels}}/{{arm}}/seed{{seed}}/loss_curve.png",
    log:
        f"{CELL_LOGS}/train_{{labels}}_{{arm}}_seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/study_train{CELL_TAG}_{{labels}}_{{arm}}_seed{{seed}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: CFG["train"]["threads"]
    resources:
        mem_mb=mem_mb("study_train"),
        runtime=runtime("study_train"),
        gpu=CFG["train"]["gpus"],
    params:
        variant=lambda w: w.arm,
        checkpoint=f"{CELL_DIR}/{{labels}}/{{arm}}/seed{{seed}}/checkpoint.pt",
        y2h=study_y2h_option,
        t_range=t_range(),
        g_channels=lambda w: g_channels(w.arm),
        d_channels=lambda w: d_channels(w.arm),
        z_dim=CFG["models"]["z_dim"],
        epochs=STUDY["epochs"],
        batch_size=CFG["train"]["batch_size"],
        lr=CFG["train"]["lr"],
        betas=" ".join(map(str, CFG["train"]["betas"])),
        seed=lambda w: int(w.seed),
        device=CFG["train"]["device"],
        precision=CFG["train"]["precision"],
        evaluation=progress_options(),
        ccgan=study_ccgan_options,
    shell:
        TRAIN_COMMAND


rule study_cell:
    input:
        generator=f"{CELL_DIR}/{{labels}}/{{arm}}/seed{{seed}}/generator.pt",
        shards=shard_paths(),
        response=f"{RESULTS}/psd/response.json",
    output:
        f"{CELL_DIR}/{{labels}}/{{arm}}/seed{{seed}}/cell.json",
    log:
        f"{CELL_LOGS}/cell_{{labels}}_{{arm}}_seed{{seed}}.log",
    benchmark:
        f"{BENCHMARKS}/study_cell{CELL_TAG}_{{labels}}_{{arm}}_seed{{seed}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("study_cell"),
        runtime=runtime("study_cell"),
    params:
        labels=lambda w: LABEL_SETS[w.labels],
        eval_temperatures=STUDY["eval_temperatures"],
        eval_per_temperature=STUDY["eval_per_temperature"],
        eval_seed=CFG["seed"],
        epsilons=" ".join(map(str, ANALYSIS["epsilons"])),  # the ε of Fig 6, over as many noise rows
        epsilon_rows=STUDY["eval_per_temperature"],  # as the evaluation has images per temperature
        physics=f"--physics-per-temperature {PHYSICS['per_temperature']} --physics-bootstrap {PHYSICS['bootstrap']}",
    shell:
        "python -m bcgan study cell --generator {input.generator} --arm {wildcards.arm} --labels {params.labels}"
        " --seed {wildcards.seed} --shards {input.shards} --response {input.response}"
        " --eval-temperatures {params.eval_temperatures} --eval-per-temperature {params.eval_per_temperature}"
        " --eval-seed {params.eval_seed} --epsilons {params.epsilons} --epsilon-rows {params.epsilon_rows}"
        " {params.physics} --threads {threads} --out {output} > {log} 2>&1"


rule study_ceiling:
    """The held-out real images through the cells' evaluation: the T-MAE and Spearman the response
    model allows, first row of the summary."""
    input:
        heldout=f"{RESULTS}/data/heldout.h5",
        shards=shard_paths(),
        response=f"{RESULTS}/psd/response.json",
    output:
        f"{STUDY_DIR}/real_ceiling.json",
    log:
        f"{LOGS}/study/ceiling.log",
    benchmark:
        f"{BENCHMARKS}/study_ceiling.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("study_ceiling"),
        runtime=runtime("study_ceiling"),
    params:
        eval_temperatures=STUDY["eval_temperatures"],
        eval_per_temperature=STUDY["eval_per_temperature"],
        eval_seed=CFG["seed"],
    shell:
        "python -m bcgan study ceiling --heldout {input.heldout} --shards {input.shards} --response {input.response}"
        " --eval-temperatures {params.eval_temperatures} --eval-per-temperature {params.eval_per_temperature}"
        " --eval-seed {params.eval_seed} --out {output} > {log} 2>&1"


rule study_summary:
    input:
        cells=study_cells(),
        ceiling=f"{STUDY_DIR}/real_ceiling.json",
    output:
        csv=f"{CELL_DIR}/summary.csv",
        md=report(
            f"{CELL_DIR}/summary.md",
            caption="../report/study_summary.rst",
            category="Study",
        ),
        pdf=f"{CELL_DIR}/t_response.pdf",
        png=report(
            f"{CELL_DIR}/t_response.png",
            caption="../report/study_response.rst",
            category="Study",
        ),
        widths_pdf=f"{CELL_DIR}/widths.pdf",
        widths_png=report(
            f"{CELL_DIR}/widths.png",
            caption="../report/study_widths.rst",
            category="Study",
        ),
    log:
        f"{CELL_LOGS}/summary.log",
    benchmark:
        f"{BENCHMARKS}/study_summary{CELL_TAG}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("study_summary"),
        runtime=runtime("study_summary"),
    shell:
        "python -m bcgan study summary {input.cells} --ceiling {input.ceiling} --out-csv {output.csv} --out-md {output.md}"
        " --pdf {output.pdf} --png {output.png} --widths-pdf {output.widths_pdf} --widths-png {output.widths_png}"
        " > {log} 2>&1"


rule study_target:
    """The two-sided embedding target (bcgan.study.target, docs/methods.md) of one label set, seed by seed."""
    input:
        cells=study_cells(),
        ceiling=f"{STUDY_DIR}/real_ceiling.json",
    output:
        csv=f"{CELL_DIR}/target_{{labels}}.csv",
        md=report(
            f"{CELL_DIR}/target_{{labels}}.md",
            caption="../report/study_target.rst",
            category="Study",
        ),
    log:
        f"{CELL_LOGS}/target_{{labels}}.log",
    benchmark:
        f"{BENCHMARKS}/study_target{CELL_TAG}_{{labels}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("study_target"),
        runtime=runtime("study_target"),
    params:
        labels=lambda w: LABEL_SETS[w.labels],
    shell:
        "python -m bcgan study target {input.cells} --labels {params.labels} --ceiling {input.ceiling}"
        " --out-csv {output.csv} --out-md {output.md} > {log} 2>&1"
