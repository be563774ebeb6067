# Paths and parameters shared by every stage: the resolved config, result paths, input functions and
# the list of final targets. Rules stay thin; all logic that picks files or options lives here.
import math
import os
import sys
from pathlib import Path

import yaml

# The Snakefile reads the package of its own checkout, as its jobs do (PYTHONPATH below), whatever
# bcgan is installed: a checkout of other code never plans with one version and runs another.
sys.path.insert(0, f"{workflow.basedir}/workflow")

from bcgan.config import presets, resolve
from bcgan.errors import UserError
from bcgan.figures import PANELS
from bcgan.nets.names import base_arm, uses_y2h, vicinal_loss
from bcgan.plan import (
    damaged_hdf5,
    device_problem,
    slurm_cores_problem,
    slurm_node_cpus,
)
from bcgan.study.cells import label_set_dir, study_cell_tag
from bcgan.study.target import BASELINE, REFERENCE

try:
    CFG = resolve(config)
except UserError as error:
    sys.exit(f"error: {error}")

# Rules call `python -m bcgan`; putting the package on PYTHONPATH lets jobs run in the per-family
# conda environments of envs/ (--software-deployment-method conda), which hold third-party packages only.
# A prefix replaces Snakemake's own `set -euo pipefail; `, so it starts with it: a failing step fails its job.
shell.prefix(
    f"set -euo pipefail; export PYTHONPATH='{workflow.basedir}/workflow'${{{{PYTHONPATH:+:$PYTHONPATH}}}}; "
)

PRESET = CFG["preset"]
RESULTS = f"results/{PRESET}"
LOGS = f"{RESULTS}/logs"
BENCHMARKS = f"{RESULTS}/benchmarks"
DATA = CFG["data"]
ANALYSIS = CFG["analysis"]
PHYSICS = CFG["physics"]
# seeds of the two Monte Carlo reference sets (the dataset's own is CFG["seed"]): distinct streams
PHYSICS_SEEDS = {"a": CFG["seed"] + 1, "b": CFG["seed"] + 2}
N_SHARDS = math.ceil(DATA["n_images"] / DATA["shard_size"])
VARIANTS = CFG["models"]["variants"]
# Figures that compare particular variants exist only when the preset trains all of them.
FIG3_VARIANTS = list(PANELS["fig3_ccgan_bcgan"])
FIG4_VARIANTS = list(PANELS["fig4_cgan"])
FIG10_VARIANTS = list(PANELS["fig10_activity_full"])
FIG11_VARIANTS = list(PANELS["fig11_cgan_lookup"])


# Memory (MB) and runtime (minutes) per rule, measured from the benchmark files of a run of this preset
# (`bcgan resources`, see README); rules not measured yet get the defaults.
RESOURCES_FILE = Path(workflow.basedir) / "workflow" / "resources" / f"{PRESET}.yaml"
RESOURCES = (
    yaml.safe_load(RESOURCES_FILE.read_text()) if RESOURCES_FILE.exists() else {}
)
DEFAULT_RESOURCES = {"mem_mb": 2000, "runtime": 60}


def mem_mb(rule):
    """A rule's memory, times the attempt: a job retried (SLURM profile: retries) after a limit asks for more."""
    base = RESOURCES.get(rule, {}).get("mem_mb", DEFAULT_RESOURCES["mem_mb"])
    return lambda wildcards, attempt: base * attempt


def runtime(rule):
    """A rule's runtime, times the attempt (as mem_mb)."""
    base = RESOURCES.get(rule, {}).get("runtime", DEFAULT_RESOURCES["runtime"])
    return lambda wildcards, attempt: base * attempt


wildcard_constraints:
    variant="|".join(VARIANTS),
    i=r"\d+",


# --- data ------------------------------------------------------------------------------------------
def shard_paths():
    return [f"{RESULTS}/data/shard_{i}.h5" for i in range(N_SHARDS)]


def shard_count(wildcards):
    """Images in shard i: shard_size, except a shorter last shard."""
    i = int(wildcards.i)
    return min(DATA["shard_size"], DATA["n_images"] - i * DATA["shard_size"])


def steps_option():
    return "" if DATA["steps"] is None else f"--steps {DATA['steps']}"


def t_range():
    """The dataset's temperature range: CGAN bins and CcGAN normalisation are defined over it."""
    return f"{DATA['t_min']} {DATA['t_max']}"


# --- PSD -------------------------------------------------------------------------------------------
def psd_options():
    """The PSD convention options shared by every rule that fits spectra (absent = the default)."""
    psd = CFG["psd"]
    names = {"k_min": "--k-min", "k_max": "--k-max", "power_floor": "--power-floor"}
    return " ".join(
        f"{flag} {psd[key]}" for key, flag in names.items() if psd[key] is not None
    )


# --- models and training ---------------------------------------------------------------------------
def g_channels(variant):
    widths = CFG["models"][
        "g_channels"
    ]  # a loss arm (ccgan-hinge, X-vicinal) has its base arm's widths
    return widths.get(variant, widths.get(base_arm(variant), widths["default"]))


def d_channels(variant):
    widths = CFG["models"]["d_channels"]
    return widths.get(variant, widths.get(base_arm(variant), widths["default"]))


def generator_path(variant):
    return f"{RESULTS}/models/{variant}/generator.pt"


def train_inputs(wildcards):
    """Training shards and the response model (progress evaluation), plus the pretrained y2h for ccgan."""
    inputs = {"shards": shard_paths(), "response": f"{RESULTS}/psd/response.json"}
    if uses_y2h(wildcards.variant):
        inputs["y2h"] = f"{RESULTS}/models/ccgan/y2h.pt"
    return inputs


def y2h_option(wildcards, input):
    return f"--y2h {input.y2h}" if uses_y2h(wildcards.variant) else ""


def progress_options(every=True):
    """The progress evaluation's settings (bcgan.training.progress): the sampling grid, images per T, interval."""
    train = CFG["train"]
    options = (
        f"--eval-temperatures {CFG['sample']['n_temperatures']}"
        f" --eval-per-temperature {train['eval_per_temperature']}"
    )
    return (
        f"{options} --eval-every {train['eval_every']} --ema-decay {train['ema_decay']}"
        if every
        else options
    )


def ccgan_settings(variant):
    """CcGAN's vicinal-loss settings, for a vicinal-loss job only (changing them reruns nothing else)."""
    if not vicinal_loss(variant):
        return ""
    return f"--vicinity {CFG['ccgan']['vicinity']} --kappa-multiplier {CFG['ccgan']['kappa_multiplier']}"


def ccgan_options(wildcards):
    return ccgan_settings(wildcards.variant)


def params_options():
    """`bcgan params` sizes from the config: L, z and each variant's G/D widths."""
    models = CFG["models"]
    widths = " ".join(f"{v}={g_channels(v)}:{d_channels(v)}" for v in VARIANTS)
    return (
        f"--variants {' '.join(VARIANTS)} --image-size {DATA['size']} --z-dim {models['z_dim']} --widths {widths}"
        f" --regressor-width {CFG['ccgan']['regressor_width']} --embed-dim {CFG['ccgan']['embed_dim']}"
    )


def train_benchmarks():
    """Benchmark TSVs of every training job (CcGAN: plus its regressor and y2h pretraining)."""
    files = [f"{BENCHMARKS}/train_{v}.tsv" for v in VARIANTS]
    if any(uses_y2h(v) for v in VARIANTS):
        files += [f"{BENCHMARKS}/ccgan_regressor.tsv", f"{BENCHMARKS}/ccgan_y2h.tsv"]
    return files


# The commands of the training rules, shared by the workflow's trainings and the study's cells
# (workflow/rules/study.smk): one code path, whatever the outputs are called.
REGRESSOR_COMMAND = (
    "python -m bcgan train regressor {input} --t-range {params.t_range} --embed-dim {params.embed_dim}"
    " --width {params.width} --epochs {params.epochs} --seed {params.seed} --device {params.device}"
    " --threads {threads} --no-progress --out {output} > {log} 2>&1"
)
Y2H_COMMAND = (
    "python -m bcgan train y2h {input.shards} --regressor {input.regressor} --epochs {params.epochs}"
    " --seed {params.seed} --device {params.device} --threads {threads} --no-progress"
    " --out {output} > {log} 2>&1"
)
TRAIN_COMMAND = (
    "python -m bcgan train gan {input.shards} --variant {params.variant} {params.y2h} --t-range {params.t_range}"
    " --g-channels {params.g_channels} --d-channels {params.d_channels} --z-dim {params.z_dim}"
    " --epochs {params.epochs} --batch-size {params.batch_size} --lr {params.lr} --betas {params.betas}"
    " --seed {params.seed} --device {params.device} --precision {params.precision}"
    " {params.ccgan} --threads {threads} --no-progress --response {input.response} {params.evaluation}"
    " --checkpoint {params.checkpoint} --generator {output.generator}"
    " --generator-ema {output.generator_ema} --losses {output.losses}"
    " --progress {output.progress} --progress-ema {output.progress_ema} --loss-curve {output.curve} > {log} 2>&1"
)


# --- study (bcgan.study.cells) ---------------------------------------------------------------------------
STUDY = CFG["study"]
STUDY_DIR = f"{RESULTS}/study"  # the study's data, CcGAN pretraining and real-image ceiling, shared
# The cells at another training length than the preset's own live in a folder of their own (issue 41),
# so that a 30-epoch cell never resumes from, or overwrites, a 6-epoch one; data and pretraining are shared.
CELL_TAG = study_cell_tag(STUDY["epochs"], presets()[PRESET]["study"]["epochs"])
CELL_DIR = f"{STUDY_DIR}/{CELL_TAG}" if CELL_TAG else STUDY_DIR
CELL_LOGS = f"{LOGS}/study/{CELL_TAG}" if CELL_TAG else f"{LOGS}/study"
CELL_TAG = f"_{CELL_TAG}" if CELL_TAG else ""


LABEL_SETS = {
    label_set_dir(entry["labels"]): entry["labels"] for entry in STUDY["label_sets"]
}


def study_shard_paths(labels_dir):
    """Training shards of a label set: the workflow's own for uniform, the study's grid shards else."""
    if labels_dir == "uniform":
        return shard_paths()
    return [f"{STUDY_DIR}/data/{labels_dir}/shard_{i}.h5" for i in range(N_SHARDS)]


def study_cells():
    """Every cell.json of the study: arm x label set x seed."""
    return [
        f"{CELL_DIR}/{label_set_dir(entry['labels'])}/{arm}/seed{seed}/cell.json"
        for entry in STUDY["label_sets"]
        for arm in entry["arms"]
        for seed in STUDY["seeds"]
    ]


def study_targets():
    """The embedding target of each label set (bcgan.study.target): where the study has the reference and
    baseline arms (ccgan, bcgan-proj) in that label set or in uniform, whose cells it then reads.
    """
    arms = {label_set_dir(e["labels"]): set(e["arms"]) for e in STUDY["label_sets"]}
    return [
        f"{CELL_DIR}/target_{labels}.md"
        for labels, have in arms.items()
        if all(a in have or a in arms.get("uniform", ()) for a in (REFERENCE, BASELINE))
    ]


def study_y2h(labels_dir):
    """CcGAN's pretrained y2h for a label set: the workflow's own on uniform labels, else its own."""
    if labels_dir == "uniform":
        return f"{RESULTS}/models/ccgan/y2h.pt"
    return f"{STUDY_DIR}/{labels_dir}/ccgan/y2h.pt"


def study_train_inputs(wildcards):
    inputs = {
        "shards": study_shard_paths(wildcards.labels),
        "response": f"{RESULTS}/psd/response.json",
    }
    if uses_y2h(wildcards.arm):
        inputs["y2h"] = study_y2h(wildcards.labels)
    return inputs


def study_y2h_option(wildcards, input):
    return f"--y2h {input.y2h}" if uses_y2h(wildcards.arm) else ""


def study_ccgan_options(wildcards):
    return ccgan_settings(wildcards.arm)


# --- checks before anything runs (bcgan.plan) -------------------------------------------------------
# A damaged data file (a truncated copy, a full disk) would pass Snakemake's checks, which look at
# times only: the first job reading it would fail after deleting its own outputs. Found here, when the
# workflow is planned (dry runs too), it stops everything with one line; deleting the file makes
# Snakemake simulate it again and rerun what depends on it.
if workflow.is_main_process:
    _damaged = damaged_hdf5(
        [
            *shard_paths(),
            f"{RESULTS}/data/heldout.h5",
            *(p for labels in LABEL_SETS for p in study_shard_paths(labels)),
        ]
    )
    if _damaged:
        sys.exit(
            f"error: damaged data file {_damaged[0]}: delete it and run again (Snakemake remakes it"
            f" and what depends on it){f'; {len(_damaged) - 1} more' if len(_damaged) > 1 else ''}"
        )


onstart:
    # After planning, before the first job: only now does Snakemake know whether the jobs run here or
    # on a cluster. A job that cannot work must not start, since Snakemake deletes its outputs first.
    # The device matters to the jobs whose rule has a `device` param (config train.device).
    _jobs = list(workflow.dag.needrun_jobs())
    _problem = None
    if any("device" in job.rule.params.keys() for job in _jobs):
        _problem = device_problem(
            CFG["train"]["device"], CFG["train"]["gpus"], local=workflow.local_exec
        )
    if (
        _problem is None
        and not workflow.local_exec
        and workflow.executor_plugin.name == "slurm"
    ):
        _partition = os.environ.get("BCGAN_SLURM_PARTITION", "")
        _problem = slurm_cores_problem(
            workflow.resource_settings.cores,
            slurm_node_cpus(_partition),
            _partition,
        )
    if _problem:
        sys.exit(f"error: {_problem}")


# --- samples and analysis --------------------------------------------------------------------------
def samples(variants):
    return [f"{RESULTS}/samples/{v}.h5" for v in variants]


def sample_psd(variants):
    return [f"{RESULTS}/psd/samples_{v}.csv" for v in variants]


def activity_files(variants):
    return [f"{RESULTS}/analysis/activity_{v}.h5" for v in variants]


def perturbation_files(variants):
    return [f"{RESULTS}/analysis/perturbation_{v}.h5" for v in variants]


def example_temperatures():
    return " ".join(map(str, CFG["figures"]["example_temperatures"]))


# --- targets ---------------------------------------------------------------------------------------
def figure(name):
    return [f"{RESULTS}/figures/{name}.pdf", f"{RESULTS}/figures/{name}.png"]


def trains(variants):
    return all(v in VARIANTS for v in variants)


def final_outputs():
    """Every target of the chosen preset: what `rule all` builds."""
    targets = [
        f"{RESULTS}/data/manifest.json",
        f"{RESULTS}/data/magnetization.csv",
        *figure("fig7_magnetization"),
        f"{RESULTS}/psd/accuracy.csv",
        *figure("fig2_response"),
        *[f"{RESULTS}/models/{v}/loss_curve.png" for v in VARIANTS],
        *figure("training_progress"),
        f"{RESULTS}/tables/convergence.csv",
        f"{RESULTS}/tables/convergence.md",
        f"{RESULTS}/tables/table1.csv",
        f"{RESULTS}/tables/table1.md",
        f"{RESULTS}/tables/metrics.csv",
        f"{RESULTS}/tables/metrics.md",
        f"{RESULTS}/tables/physics.csv",
        f"{RESULTS}/tables/physics.md",
        *figure("physics"),
        *figure("fig5_activity"),
        *figure("epsilon_sensitivity"),
        f"{RESULTS}/explorer.html",
    ]
    optional = {
        "fig3_ccgan_bcgan": FIG3_VARIANTS,
        "fig4_cgan": FIG4_VARIANTS,
        "fig6_epsilon": PANELS["fig6_epsilon"],
        "fig9_epsilon_noise": PANELS["fig9_epsilon_noise"],
        "fig10_activity_full": FIG10_VARIANTS,
        "fig11_cgan_lookup": FIG11_VARIANTS,
    }
    for name, variants in optional.items():
        if trains(variants):
            targets += figure(name)
    return targets
