# Sampling and comparison stage (paper §4, Figs 3–4, Table 1): generated images on a temperature grid,
# their PSD evaluation, the comparison figures, the parameter/time table and the metrics table.


rule params_table:
    output:
        f"{RESULTS}/tables/params.csv",
    log:
        f"{LOGS}/params_table.log",
    benchmark:
        f"{BENCHMARKS}/params_table.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("params_table"),
        runtime=runtime("params_table"),
    params:
        options=params_options(),
    shell:
        "python -m bcgan params {params.options} --out {output} > {log} 2>&1"


rule sample:
    input:
        f"{RESULTS}/models/{{variant}}/generator.pt",
    output:
        f"{RESULTS}/samples/{{variant}}.h5",
    log:
        f"{LOGS}/sample_{{variant}}.log",
    benchmark:
        f"{BENCHMARKS}/sample_{{variant}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 2
    resources:
        mem_mb=mem_mb("sample"),
        runtime=runtime("sample"),
        gpu=CFG["train"]["gpus"],
    params:
        t_range=t_range(),
        n_temperatures=CFG["sample"]["n_temperatures"],
        per_temperature=CFG["sample"]["per_temperature"],
        seed=CFG["seed"],
        device=CFG["train"]["device"],
    shell:
        "python -m bcgan sample --generator {input} --variant {wildcards.variant} --t-range {params.t_range} --n-temperatures {params.n_temperatures}"
        " --per-temperature {params.per_temperature} --seed {params.seed} --device {params.device}"
        " --threads {threads} --out {output} > {log} 2>&1"


rule psd_samples:
    input:
        samples=f"{RESULTS}/samples/{{variant}}.h5",
        response=f"{RESULTS}/psd/response.json",
        heldout=f"{RESULTS}/data/heldout.h5",
    output:
        f"{RESULTS}/psd/samples_{{variant}}.csv",
    log:
        f"{LOGS}/psd_samples_{{variant}}.log",
    benchmark:
        f"{BENCHMARKS}/psd_samples_{{variant}}.tsv"
    conda:
        "../../envs/evaluation.yaml"
    threads: 2
    resources:
        mem_mb=mem_mb("psd_samples"),
        runtime=runtime("psd_samples"),
    shell:
        "python -m bcgan psd table {input.samples} --response {input.response} --heldout {input.heldout}"
        " --threads {threads} --out {output} > {log} 2>&1"


rule fig3:
    input:
        samples=samples(FIG3_VARIANTS),
        psd=sample_psd(FIG3_VARIANTS),
        response=f"{RESULTS}/psd/response.json",
    output:
        pdf=f"{RESULTS}/figures/fig3_ccgan_bcgan.pdf",
        png=report(
            f"{RESULTS}/figures/fig3_ccgan_bcgan.png",
            caption="../report/fig3.rst",
            category="Comparison",
        ),
    log:
        f"{LOGS}/fig3.log",
    benchmark:
        f"{BENCHMARKS}/fig3.tsv"
    conda:
        "../../envs/evaluation.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("fig3"),
        runtime=runtime("fig3"),
    params:
        temperatures=example_temperatures(),
    shell:
        "python -m bcgan figure fig3 --samples {input.samples} --psd {input.psd} --response {input.response}"
        " --temperatures {params.temperatures} --pdf {output.pdf} --png {output.png} > {log} 2>&1"


rule fig4:
    input:
        samples=samples(FIG4_VARIANTS),
        psd=sample_psd(FIG4_VARIANTS),
        response=f"{RESULTS}/psd/response.json",
    output:
        pdf=f"{RESULTS}/figures/fig4_cgan.pdf",
        png=report(
            f"{RESULTS}/figures/fig4_cgan.png",
            caption="../report/fig4.rst",
            category="Comparison",
        ),
    log:
        f"{LOGS}/fig4.log",
    benchmark:
        f"{BENCHMARKS}/fig4.tsv"
    conda:
        "../../envs/evaluation.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("fig4"),
        runtime=runtime("fig4"),
    params:
        temperatures=example_temperatures(),
    shell:
        "python -m bcgan figure fig4 --samples {input.samples} --psd {input.psd} --response {input.response}"
        " --temperatures {params.temperatures} --pdf {output.pdf} --png {output.png} > {log} 2>&1"


rule table1:
    input:
        params=f"{RESULTS}/tables/params.csv",
        benchmarks=train_benchmarks(),
        # each training's time summed over its runs (a benchmark times only the last job)
        logs=[f"{LOGS}/train_{v}.log" for v in VARIANTS],
    output:
        csv=f"{RESULTS}/tables/table1.csv",
        md=report(
            f"{RESULTS}/tables/table1.md",
            caption="../report/table1.rst",
            category="Comparison",
        ),
    log:
        f"{LOGS}/table1.log",
    benchmark:
        f"{BENCHMARKS}/table1.tsv"
    conda:
        "../../envs/evaluation.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("table1"),
        runtime=runtime("table1"),
    shell:
        "python -m bcgan table table1 --params {input.params} --benchmarks {input.benchmarks}"
        " --train-logs {input.logs} --out-csv {output.csv} --out-md {output.md} > {log} 2>&1"


rule metrics:
    input:
        samples=samples(VARIANTS),
        psd=sample_psd(VARIANTS),
        response=f"{RESULTS}/psd/response.json",
        accuracy=f"{RESULTS}/psd/accuracy.csv",
        heldout=f"{RESULTS}/data/heldout.h5",
        activity=[f"{RESULTS}/analysis/activity_{v}.json" for v in VARIANTS],
    output:
        csv=f"{RESULTS}/tables/metrics.csv",
        md=report(
            f"{RESULTS}/tables/metrics.md",
            caption="../report/metrics.rst",
            category="Comparison",
        ),
    log:
        f"{LOGS}/metrics.log",
    benchmark:
        f"{BENCHMARKS}/metrics.tsv"
    conda:
        "../../envs/evaluation.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("metrics"),
        runtime=runtime("metrics"),
    params:
        near=CFG["psd"]["near_tc"],
    shell:
        "python -m bcgan table metrics --samples {input.samples} --psd {input.psd} --response {input.response}"
        " --accuracy {input.accuracy} --heldout {input.heldout} --activity {input.activity}"
        " --near-frac {params.near} --out-csv {output.csv} --out-md {output.md} > {log} 2>&1"
