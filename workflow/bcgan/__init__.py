"""bcgan: reproduction workflow for the binary-embedding conditioning GAN paper (Bompas & Sandfeld)."""

import os

# One OpenBLAS thread (set before numpy loads it): its idle threads spin and starve torch's OpenMP
# threads, so training ran 7x slower after the progress evaluation's first numpy matmul (measured
# on 2 cores). Our numpy work is small; the parallelism is torch's, numba's and Snakemake's.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
