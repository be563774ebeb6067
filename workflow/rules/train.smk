# Training stage (paper Appendix B): CcGAN's label-embedding pretraining (ResNet34 regressor, then
# the y2h MLP) and one SAGAN training job per variant. The resume checkpoint is a param, not an
# output: Snakemake deletes the outputs of a failed job, and the checkpoint must survive a kill.


rule ccgan_regressor:
    input:
        shard_paths(),
    output:
        f"{RESULTS}/models/ccgan/regressor.pt",
    log:
        f"{LOGS}/ccgan_regressor.log",
    benchmark:
        f"{BENCHMARKS}/ccgan_regressor.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 2
    resources:
        mem_mb=mem_mb("ccgan_regressor"),
        runtime=runtime("ccgan_regressor"),
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


rule ccgan_y2h:
    input:
        regressor=f"{RESULTS}/models/ccgan/regressor.pt",
        shards=shard_paths(),
    output:
        f"{RESULTS}/models/ccgan/y2h.pt",
    log:
        f"{LOGS}/ccgan_y2h.log",
    benchmark:
        f"{BENCHMARKS}/ccgan_y2h.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("ccgan_y2h"),
        runtime=runtime("ccgan_y2h"),
        gpu=CFG["train"]["gpus"],
    params:
        epochs=CFG["ccgan"]["y2h_epochs"],
        seed=CFG["seed"],
        device=CFG["train"]["device"],
    shell:
        Y2H_COMMAND


rule train:
    input:
        unpack(train_inputs),
    output:
        generator=f"{RESULTS}/models/{{variant}}/generator.pt",
        generator_ema=f"{RESULTS}/models/{{variant}}/generator_ema.pt",
        losses=f"{RESULTS}/models/{{variant}}/losses.csv",
        progress=f"{RESULTS}/models/{{variant}}/progress.csv",
        progress_ema=f"{RESULTS}/models/{{variant}}/progress_ema.csv",
        curve=report(
            f"{RESULTS}/models/{{variant}}/loss_curve.png",
            caption="../report/loss_curve.rst",
            category="Training",
            subcategory="{variant}",
        ),
    log:
        f"{LOGS}/train_{{variant}}.log",
    benchmark:
        f"{BENCHMARKS}/train_{{variant}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: CFG["train"]["threads"]
    resources:
        mem_mb=mem_mb("train"),
        runtime=runtime("train"),
        gpu=CFG["train"]["gpus"],
    params:
        variant=lambda w: w.variant,
        checkpoint=f"{RESULTS}/models/{{variant}}/checkpoint.pt",
        y2h=y2h_option,
        t_range=t_range(),
        g_channels=lambda w: g_channels(w.variant),
        d_channels=lambda w: d_channels(w.variant),
        z_dim=CFG["models"]["z_dim"],
        epochs=CFG["train"]["epochs"],
        batch_size=CFG["train"]["batch_size"],
        lr=CFG["train"]["lr"],
        betas=" ".join(map(str, CFG["train"]["betas"])),
        seed=CFG["seed"],
        device=CFG["train"]["device"],
        precision=CFG["train"]["precision"],
        evaluation=progress_options(),
        ccgan=ccgan_options,
    shell:
        TRAIN_COMMAND


rule training_progress:
    input:
        progress=[f"{RESULTS}/models/{v}/progress.csv" for v in VARIANTS],
        ema=[f"{RESULTS}/models/{v}/progress_ema.csv" for v in VARIANTS],
        shards=shard_paths(),
        heldout=f"{RESULTS}/data/heldout.h5",
        response=f"{RESULTS}/psd/response.json",
    output:
        pdf=f"{RESULTS}/figures/training_progress.pdf",
        png=report(
            f"{RESULTS}/figures/training_progress.png",
            caption="../report/training_progress.rst",
            category="Training",
        ),
    log:
        f"{LOGS}/training_progress.log",
    benchmark:
        f"{BENCHMARKS}/training_progress.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("training_progress"),
        runtime=runtime("training_progress"),
    params:
        evaluation=progress_options(every=False),
        seed=CFG["seed"],
    shell:
        "python -m bcgan train progress-figure {input.progress} --ema {input.ema} --shards {input.shards} --heldout {input.heldout}"
        " --response {input.response} {params.evaluation} --seed {params.seed}"
        " --pdf {output.pdf} --png {output.png} > {log} 2>&1"


rule convergence:
    input:
        progress=[f"{RESULTS}/models/{v}/progress.csv" for v in VARIANTS],
        ema=[f"{RESULTS}/models/{v}/progress_ema.csv" for v in VARIANTS],
    output:
        csv=f"{RESULTS}/tables/convergence.csv",
        md=report(
            f"{RESULTS}/tables/convergence.md",
            caption="../report/convergence.rst",
            category="Training",
        ),
    log:
        f"{LOGS}/convergence.log",
    benchmark:
        f"{BENCHMARKS}/convergence.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("convergence"),
        runtime=runtime("convergence"),
    params:
        fraction=0.2,  # judge the last fifth of training
        tolerance=2.0,  # flat: |change over it| <= tolerance x evaluation scatter
    shell:
        "python -m bcgan train convergence {input.progress} --ema {input.ema} --fraction {params.fraction} --tolerance {params.tolerance}"
        " --out-csv {output.csv} --out-md {output.md} > {log} 2>&1"
