# Paths and parameters shared by every stage: the resolved config, result paths, rule resources.
import math
import sys

from bcgan.config import resolve
from bcgan.errors import UserError

try:
    CFG = resolve(config)
except UserError as error:
    sys.exit(f"error: {error}")

# Rules call `python -m bcgan`; putting the package on PYTHONPATH lets jobs run in the per-family
# conda environments of envs/ (--software-deployment-method conda), which hold third-party packages only.
shell.prefix(f"export PYTHONPATH='{workflow.basedir}/workflow'${{{{PYTHONPATH:+:$PYTHONPATH}}}}; ")

PRESET = CFG["preset"]
RESULTS = f"results/{PRESET}"
LOGS = f"{RESULTS}/logs"
BENCHMARKS = f"{RESULTS}/benchmarks"
DATA = CFG["data"]
N_SHARDS = math.ceil(DATA["n_images"] / DATA["shard_size"])


def shard_paths():
    return [f"{RESULTS}/data/shard_{i}.h5" for i in range(N_SHARDS)]


def shard_count(wildcards):
    """Images in shard i: shard_size, except a shorter last shard."""
    i = int(wildcards.i)
    return min(DATA["shard_size"], DATA["n_images"] - i * DATA["shard_size"])


def steps_option():
    return "" if DATA["steps"] is None else f"--steps {DATA['steps']}"


def figure(name):
    return [f"{RESULTS}/figures/{name}.pdf", f"{RESULTS}/figures/{name}.png"]


def final_outputs():
    """Every target of the chosen preset: what `rule all` builds."""
    return [
        f"{RESULTS}/data/manifest.json",
        f"{RESULTS}/data/magnetization.csv",
        *figure("fig7_magnetization"),
        f"{RESULTS}/psd/accuracy.csv",
        *figure("fig2_response"),
    ]


def psd_options():
    """The PSD convention options shared by every rule that fits spectra (absent = the default)."""
    psd = CFG["psd"]
    names = {"k_min": "--k-min", "k_max": "--k-max", "power_floor": "--power-floor"}
    return " ".join(f"{flag} {psd[key]}" for key, flag in names.items() if psd[key] is not None)


VARIANTS = CFG["models"]["variants"]


def g_channels(variant):
    widths = CFG["models"]["g_channels"]
    return widths.get(variant, widths["default"])


def d_channels(variant):
    widths = CFG["models"]["d_channels"]
    return widths.get(variant, widths["default"])


def t_range():
    """The dataset's temperature range: CGAN bins and CcGAN normalisation are defined over it."""
    return f"{DATA['t_min']} {DATA['t_max']}"
