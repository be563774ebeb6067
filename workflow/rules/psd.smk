# PSD evaluation stage (paper §3, Fig 2): per-image spectra of the training set, the temperature
# response model, its own accuracy on held-out images (the floor for every GAN), Fig 2.


rule psd_train_table:
    input:
        shard_paths(),
    output:
        f"{RESULTS}/psd/train_psd.csv",
    log:
        f"{LOGS}/psd_train_table.log",
    benchmark:
        f"{BENCHMARKS}/psd_train_table.tsv"
    conda:
        "../../envs/evaluation.yaml"
    threads: 2
    resources:
        mem_mb=mem_mb("psd_train_table"),
        runtime=runtime("psd_train_table"),
    params:
        options=psd_options(),
    shell:
        "python -m bcgan psd table {input} {params.options} --threads {threads} --out {output} > {log} 2>&1"


rule psd_response:
    input:
        shard_paths(),
    output:
        f"{RESULTS}/psd/response.json",
    log:
        f"{LOGS}/psd_response.log",
    benchmark:
        f"{BENCHMARKS}/psd_response.tsv"
    conda:
        "../../envs/evaluation.yaml"
    threads: 2
    resources:
        mem_mb=mem_mb("psd_response"),
        runtime=runtime("psd_response"),
    params:
        options=psd_options(),
        n_bins=CFG["psd"]["n_bins"],
    shell:
        "python -m bcgan psd fit-response {input} {params.options} --n-bins {params.n_bins} --threads {threads}"
        " --out {output} > {log} 2>&1"


rule psd_accuracy:
    input:
        response=f"{RESULTS}/psd/response.json",
        heldout=f"{RESULTS}/data/heldout.h5",
    output:
        report(
            f"{RESULTS}/psd/accuracy.csv",
            caption="../report/psd_accuracy.rst",
            category="PSD",
        ),
    log:
        f"{LOGS}/psd_accuracy.log",
    benchmark:
        f"{BENCHMARKS}/psd_accuracy.tsv"
    conda:
        "../../envs/evaluation.yaml"
    threads: 2
    resources:
        mem_mb=mem_mb("psd_accuracy"),
        runtime=runtime("psd_accuracy"),
    params:
        near=CFG["psd"]["near_tc"],
    shell:
        "python -m bcgan psd accuracy --response {input.response} --heldout {input.heldout} --near-frac {params.near}"
        " --threads {threads} --out {output} > {log} 2>&1"


rule fig2:
    input:
        table=f"{RESULTS}/psd/train_psd.csv",
        response=f"{RESULTS}/psd/response.json",
    output:
        pdf=f"{RESULTS}/figures/fig2_response.pdf",
        png=report(
            f"{RESULTS}/figures/fig2_response.png",
            caption="../report/fig2.rst",
            category="PSD",
        ),
    log:
        f"{LOGS}/fig2.log",
    benchmark:
        f"{BENCHMARKS}/fig2.tsv"
    conda:
        "../../envs/evaluation.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("fig2"),
        runtime=runtime("fig2"),
    shell:
        "python -m bcgan figure fig2 --table {input.table} --response {input.response}"
        " --pdf {output.pdf} --png {output.png} > {log} 2>&1"
