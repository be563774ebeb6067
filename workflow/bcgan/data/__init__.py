"""The data stage (workflow/rules/data.smk): Ising microstructures, their shards and the dataset manifest."""

import math

TC = 2.0 / math.log(1.0 + math.sqrt(2.0))
"""Critical (Curie) temperature of the infinite 2D Ising model with J = kB = 1 (paper Eq. 3).
Here, not in bcgan.data.ising, so that reading the config (every Snakemake parse) needs no numba."""
