# Sampling and comparison stage (paper §4, Figs 3–4, Table 1): generated images on a temperature grid,
# their PSD evaluation, the comparison figures, the parameter/time table and the metrics table.


def params_options():
    """`bcgan params` sizes from the config: L and z always; G/D widths when one width serves every variant
    (otherwise the preset's own per-variant widths in bcgan.cli.params.WIDTHS apply)."""
    models = CFG["models"]
    opts = [f"--preset {PRESET}", f"--image-size {DATA['size']}", f"--z-dim {models['z_dim']}"]
    for flag, widths in (("--g-channels", g_channels), ("--d-channels", d_channels)):
        values = {widths(v) for v in VARIANTS}
        if len(values) == 1:
            opts.append(f"{flag} {values.pop()}")
    return " ".join(opts)


def samples(variants):
    return [f"{RESULTS}/samples/{v}.h5" for v in variants]


def sample_psd(variants):
    return [f"{RESULTS}/psd/samples_{v}.csv" for v in variants]


def train_benchmarks():
    """Benchmark TSVs of every training job (CcGAN: plus its regressor and y2h pretraining)."""
    files = [f"{BENCHMARKS}/train_{v}.tsv" for v in VARIANTS]
    if "ccgan" in VARIANTS:
        files += [f"{BENCHMARKS}/ccgan_regressor.tsv", f"{BENCHMARKS}/ccgan_y2h.tsv"]
    return files


FIG3_VARIANTS = ["ccgan", "bcgan"]
FIG4_VARIANTS = ["cgan64", "cgan256", "cgan1024"]


def sample_targets():
    """What this stage adds to `rule all` (figures only for the variants the preset trains)."""
    targets = [f"{RESULTS}/tables/table1.csv", f"{RESULTS}/tables/table1.md",
               f"{RESULTS}/tables/metrics.csv", f"{RESULTS}/tables/metrics.md"]
    if all(v in VARIANTS for v in FIG3_VARIANTS):
        targets += figure("fig3_ccgan_bcgan")
    if all(v in VARIANTS for v in FIG4_VARIANTS):
        targets += figure("fig4_cgan")
    return targets


rule params_table:
    output:
        f"{RESULTS}/tables/params.csv",
    log:
        f"{LOGS}/params_table.log",
    benchmark:
        f"{BENCHMARKS}/params_table.tsv"
    params:
        options=params_options(),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "bcgan params {params.options} --out {output} > {log} 2>&1"


rule sample:
    input:
        f"{RESULTS}/models/{{variant}}/generator.pt",
    output:
        f"{RESULTS}/samples/{{variant}}.h5",
    log:
        f"{LOGS}/sample_{{variant}}.log",
    benchmark:
        f"{BENCHMARKS}/sample_{{variant}}.tsv"
    params:
        t_range=t_range(),
        n_temperatures=CFG["sample"]["n_temperatures"],
        per_temperature=CFG["sample"]["per_temperature"],
        seed=CFG["seed"],
        device=CFG["train"]["device"],
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=CFG["train"]["gpus"],
    shell:
        "bcgan sample --generator {input} --t-range {params.t_range} --n-temperatures {params.n_temperatures}"
        " --per-temperature {params.per_temperature} --seed {params.seed} --device {params.device}"
        " --threads {threads} --out {output} > {log} 2>&1"


rule psd_samples:
    input:
        samples=f"{RESULTS}/samples/{{variant}}.h5",
        response=f"{RESULTS}/psd/response.json",
    output:
        f"{RESULTS}/psd/samples_{{variant}}.csv",
    log:
        f"{LOGS}/psd_samples_{{variant}}.log",
    benchmark:
        f"{BENCHMARKS}/psd_samples_{{variant}}.tsv"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "bcgan psd table {input.samples} --response {input.response} --threads {threads}"
        " --out {output} > {log} 2>&1"


rule fig3:
    input:
        samples=samples(FIG3_VARIANTS),
        psd=sample_psd(FIG3_VARIANTS),
        response=f"{RESULTS}/psd/response.json",
    output:
        pdf=f"{RESULTS}/figures/fig3_ccgan_bcgan.pdf",
        png=report(f"{RESULTS}/figures/fig3_ccgan_bcgan.png", caption="../report/fig3.rst", category="Comparison"),
    log:
        f"{LOGS}/fig3.log",
    benchmark:
        f"{BENCHMARKS}/fig3.tsv"
    params:
        temperatures=" ".join(map(str, CFG["figures"]["example_temperatures"])),
    threads: 1
    resources:
        mem_mb=3000,
        runtime=10,
    shell:
        "bcgan figure fig3 --samples {input.samples} --psd {input.psd} --response {input.response}"
        " --temperatures {params.temperatures} --pdf {output.pdf} --png {output.png} > {log} 2>&1"


rule fig4:
    input:
        samples=samples(FIG4_VARIANTS),
        psd=sample_psd(FIG4_VARIANTS),
        response=f"{RESULTS}/psd/response.json",
    output:
        pdf=f"{RESULTS}/figures/fig4_cgan.pdf",
        png=report(f"{RESULTS}/figures/fig4_cgan.png", caption="../report/fig4.rst", category="Comparison"),
    log:
        f"{LOGS}/fig4.log",
    benchmark:
        f"{BENCHMARKS}/fig4.tsv"
    params:
        temperatures=" ".join(map(str, CFG["figures"]["example_temperatures"])),
    threads: 1
    resources:
        mem_mb=3000,
        runtime=10,
    shell:
        "bcgan figure fig4 --samples {input.samples} --psd {input.psd} --response {input.response}"
        " --temperatures {params.temperatures} --pdf {output.pdf} --png {output.png} > {log} 2>&1"


rule table1:
    input:
        params=f"{RESULTS}/tables/params.csv",
        benchmarks=train_benchmarks(),
    output:
        csv=f"{RESULTS}/tables/table1.csv",
        md=report(f"{RESULTS}/tables/table1.md", caption="../report/table1.rst", category="Comparison"),
    log:
        f"{LOGS}/table1.log",
    benchmark:
        f"{BENCHMARKS}/table1.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "bcgan table table1 --params {input.params} --benchmarks {input.benchmarks}"
        " --out-csv {output.csv} --out-md {output.md} > {log} 2>&1"


rule metrics:
    input:
        samples=samples(VARIANTS),
        psd=sample_psd(VARIANTS),
        response=f"{RESULTS}/psd/response.json",
        accuracy=f"{RESULTS}/psd/accuracy.csv",
        heldout=f"{RESULTS}/data/heldout.h5",
        activity=expand(f"{RESULTS}/analysis/activity_{{variant}}.json", variant=VARIANTS),
    output:
        csv=f"{RESULTS}/tables/metrics.csv",
        md=report(f"{RESULTS}/tables/metrics.md", caption="../report/metrics.rst", category="Comparison"),
    log:
        f"{LOGS}/metrics.log",
    benchmark:
        f"{BENCHMARKS}/metrics.tsv"
    params:
        near=CFG["psd"]["near_tc"],
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    shell:
        "bcgan table metrics --samples {input.samples} --psd {input.psd} --response {input.response}"
        " --accuracy {input.accuracy} --heldout {input.heldout} --activity {input.activity}"
        " --near-frac {params.near} --out-csv {output.csv} --out-md {output.md} > {log} 2>&1"
