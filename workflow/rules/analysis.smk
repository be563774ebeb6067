# Embedding analysis stage (paper §4 "Embedding Space Statistics", Figs 5, 6; App. C Figs 10, 11;
# App. D Fig 9), the ε-sensitivity of every embedding (beyond the paper) and the explorer page that shows
# every model beside real images at any grid temperature.


rule activity:
    """Probe G.embed over its working range; per-neuron outputs and the dead-neuron summary."""
    input:
        generator_path("{variant}"),
    output:
        h5=f"{RESULTS}/analysis/activity_{{variant}}.h5",
        json=f"{RESULTS}/analysis/activity_{{variant}}.json",
    log:
        f"{LOGS}/activity_{{variant}}.log",
    benchmark:
        f"{BENCHMARKS}/activity_{{variant}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("activity"),
        runtime=runtime("activity"),
    params:
        points=ANALYSIS["probe_points"],
        dead_range=ANALYSIS["dead_range"],
    shell:
        "python -m bcgan analyse activity --generator {input} --variant {wildcards.variant} --points {params.points} --dead-range {params.dead_range}"
        " --threads {threads} --out {output.h5} --summary {output.json} > {log} 2>&1"


rule perturb:
    """Images at T = Tc + ε (ε = 0 and every configured ε) with fixed, recorded noise."""
    input:
        generator_path("{variant}"),
    output:
        f"{RESULTS}/analysis/perturbation_{{variant}}.h5",
    log:
        f"{LOGS}/perturb_{{variant}}.log",
    benchmark:
        f"{BENCHMARKS}/perturb_{{variant}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("perturb"),
        runtime=runtime("perturb"),
    params:
        epsilons=" ".join(map(str, [0.0, *ANALYSIS["epsilons"]])),
        rows=ANALYSIS["noise_rows"],
        seed=CFG["seed"],
    shell:
        "python -m bcgan analyse perturb --generator {input} --variant {wildcards.variant} --epsilons {params.epsilons} --rows {params.rows}"
        " --seed {params.seed} --threads {threads} --out {output} > {log} 2>&1"


rule fig5:
    input:
        activity_files(VARIANTS),
    output:
        pdf=f"{RESULTS}/figures/fig5_activity.pdf",
        png=report(
            f"{RESULTS}/figures/fig5_activity.png",
            caption="../report/fig5.rst",
            category="Embeddings",
        ),
    log:
        f"{LOGS}/fig5.log",
    benchmark:
        f"{BENCHMARKS}/fig5.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("fig5"),
        runtime=runtime("fig5"),
    params:
        dead_range=ANALYSIS["dead_range"],
    shell:
        "python -m bcgan figure fig5 --activity {input} --dead-range {params.dead_range}"
        " --pdf {output.pdf} --png {output.png} > {log} 2>&1"


rule fig10:
    input:
        activity_files(FIG10_VARIANTS),
    output:
        pdf=f"{RESULTS}/figures/fig10_activity_full.pdf",
        png=report(
            f"{RESULTS}/figures/fig10_activity_full.png",
            caption="../report/fig10.rst",
            category="Embeddings",
        ),
    log:
        f"{LOGS}/fig10.log",
    benchmark:
        f"{BENCHMARKS}/fig10.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("fig10"),
        runtime=runtime("fig10"),
    params:
        dead_range=ANALYSIS["dead_range"],
    shell:
        "python -m bcgan figure fig10 --activity {input} --dead-range {params.dead_range}"
        " --pdf {output.pdf} --png {output.png} > {log} 2>&1"


rule fig11:
    input:
        activity_files(FIG11_VARIANTS),
    output:
        pdf=f"{RESULTS}/figures/fig11_cgan_lookup.pdf",
        png=report(
            f"{RESULTS}/figures/fig11_cgan_lookup.png",
            caption="../report/fig11.rst",
            category="Embeddings",
        ),
    log:
        f"{LOGS}/fig11.log",
    benchmark:
        f"{BENCHMARKS}/fig11.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("fig11"),
        runtime=runtime("fig11"),
    params:
        dead_range=ANALYSIS["dead_range"],
    shell:
        "python -m bcgan figure fig11 --activity {input} --dead-range {params.dead_range}"
        " --pdf {output.pdf} --png {output.png} > {log} 2>&1"


rule fig6:
    input:
        perturbation_files(PANELS["fig6_epsilon"]),
    output:
        pdf=f"{RESULTS}/figures/fig6_epsilon.pdf",
        png=report(
            f"{RESULTS}/figures/fig6_epsilon.png",
            caption="../report/fig6.rst",
            category="Label sensitivity",
        ),
    log:
        f"{LOGS}/fig6.log",
    benchmark:
        f"{BENCHMARKS}/fig6.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("fig6"),
        runtime=runtime("fig6"),
    shell:
        "python -m bcgan figure fig6 --perturbation {input} --pdf {output.pdf} --png {output.png} > {log} 2>&1"


rule fig9:
    input:
        perturbation_files(PANELS["fig9_epsilon_noise"]),
    output:
        pdf=f"{RESULTS}/figures/fig9_epsilon_noise.pdf",
        png=report(
            f"{RESULTS}/figures/fig9_epsilon_noise.png",
            caption="../report/fig9.rst",
            category="Label sensitivity",
        ),
    log:
        f"{LOGS}/fig9.log",
    benchmark:
        f"{BENCHMARKS}/fig9.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("fig9"),
        runtime=runtime("fig9"),
    shell:
        "python -m bcgan figure fig9 --perturbation {input} --pdf {output.pdf} --png {output.png} > {log} 2>&1"


rule epsilon_sensitivity:
    input:
        perturbation_files(VARIANTS),
    output:
        pdf=f"{RESULTS}/figures/epsilon_sensitivity.pdf",
        png=report(
            f"{RESULTS}/figures/epsilon_sensitivity.png",
            caption="../report/epsilon_sensitivity.rst",
            category="Label sensitivity",
        ),
    log:
        f"{LOGS}/epsilon_sensitivity.log",
    benchmark:
        f"{BENCHMARKS}/epsilon_sensitivity.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("epsilon_sensitivity"),
        runtime=runtime("epsilon_sensitivity"),
    shell:
        "python -m bcgan analyse sensitivity-figure {input} --pdf {output.pdf} --png {output.png} > {log} 2>&1"


rule explorer:
    """One self-contained HTML page: real vs every variant's images at any grid temperature (a slider)."""
    input:
        samples=samples(VARIANTS),
        psd=sample_psd(VARIANTS),
        heldout=f"{RESULTS}/data/heldout.h5",
        response=f"{RESULTS}/psd/response.json",
    output:
        report(
            f"{RESULTS}/explorer.html",
            caption="../report/explorer.rst",
            category="Comparison",
        ),
    log:
        f"{LOGS}/explorer.log",
    benchmark:
        f"{BENCHMARKS}/explorer.tsv"
    conda:
        "../../envs/evaluation.yaml"
    threads: 1
    resources:
        mem_mb=mem_mb("explorer"),
        runtime=runtime("explorer"),
    params:
        shown=8,
        title=f"BcGAN explorer: preset {PRESET}",
    shell:
        "python -m bcgan explorer --samples {input.samples} --psd {input.psd} --heldout {input.heldout}"
        " --response {input.response} --shown {params.shown} --title {params.title:q} --threads {threads}"
        " --out {output} > {log} 2>&1"
