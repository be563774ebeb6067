"""2D Ising model data generator: Metropolis Monte Carlo exactly as the paper's Appendix A, at C speed.

Model: periodic L x L lattice, H = -sum_<ij> s_i s_j (J = 1, h = 0, kB = 1). Each image is one independent
simulation from random initial spins; each step picks a random site, proposes flipping it, and accepts
with probability min(1, exp(-dE/T)) where dE = H_new - H_old (the usual Metropolis rule; the
paper's "dE = H_p - H_n" is a sign typo, its own text says a lower energy is always kept). The default
stopping criterion is L**3 attempted flips (every site visited ~L times), as in the paper.

Why it is built this way:
- The inner loop follows ``../shared/bench/metropolis_ref.c`` draw for draw (xoshiro256** seeded by
  splitmix64, site = high 32 bits of (low 32 bits of r) * L^2, 53-bit integer acceptance thresholds),
  so the same stream seed gives the same lattice as the C code and the bench checks it; periodic
  neighbours come from a precomputed table instead of the C code's division and wrap branches.
- Every image's random stream depends only on (global seed, global image index), never on the thread
  count or on how images are cut into shards, so any shard is bit-identical however it is produced.
- Images are independent, so they are spread over threads with ``numba.prange``.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange

from bcgan.data import TC  # re-exported: the critical temperature, paper Eq. 3
from bcgan.errors import UserError

ALGORITHM = "metropolis-random-site/xoshiro256**-splitmix64/int53-threshold"
"""Stored in shard attrs so a reader knows which generator (and RNG convention) made the images."""

# --- 64-bit constants (typed as uint64 so Numba never promotes the RNG arithmetic to float) -------------
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_MASK32 = np.uint64(0xFFFFFFFF)
_TWO53 = 9007199254740992.0
_U5 = np.uint64(5)
_U9 = np.uint64(9)
_U7 = np.uint64(7)
_U57 = np.uint64(57)
_U11 = np.uint64(11)
_U17 = np.uint64(17)
_U19 = np.uint64(19)
_U27 = np.uint64(27)
_U30 = np.uint64(30)
_U31 = np.uint64(31)
_U32 = np.uint64(32)
_U45 = np.uint64(45)
_U63 = np.uint64(63)

# Salts separate the per-image spin stream from the per-image temperature draw of the same (seed, index).
_SALT_SPINS = 0x5EED5EED00000001
_SALT_TEMPERATURE = 0x7E3B7E3B00000002
_U64_MAX = (1 << 64) - 1


# --- exact reference curves (numpy, vectorised) ---------------------------------------------------------
def onsager_magnetization(T):
    """Spontaneous magnetization per spin of the infinite lattice: (1 - sinh(2/T)^-4)^(1/8) below Tc, else 0.

    Used as the exact curve on the magnetization-vs-temperature figure (the paper does not draw it).
    """
    T = np.asarray(T, dtype=np.float64)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        inner = 1.0 - np.sinh(2.0 / T) ** -4.0
        m = np.where((T > 0) & (T < TC), np.clip(inner, 0.0, None) ** 0.125, 0.0)
    m = np.where(T <= 0, 1.0, m)
    return m if m.ndim else float(m)


def onsager_energy(T):
    """Exact internal energy per spin of the infinite lattice (Onsager), for checks of the sampler.

    u = -coth(2b) [1 + (2/pi) (2 tanh^2(2b) - 1) K(m)], b = 1/T, m = (2 sinh(2b) / cosh^2(2b))^2,
    K the complete elliptic integral of the first kind (scipy's parameter convention).
    """
    from scipy.special import ellipk

    T = np.asarray(T, dtype=np.float64)
    b = 1.0 / T
    k2 = (2.0 * np.sinh(2 * b) / np.cosh(2 * b) ** 2) ** 2
    with np.errstate(invalid="ignore"):
        # at Tc, K diverges (logarithmically) while its prefactor vanishes: the product is 0 there
        term = np.where(k2 < 1.0, (2.0 * np.tanh(2 * b) ** 2 - 1.0) * ellipk(np.minimum(k2, 1.0)), 0.0)
    u = -1.0 / np.tanh(2 * b) * (1.0 + (2.0 / np.pi) * term)
    return u if u.ndim else float(u)


# --- observables in pure numpy (independent of the Numba kernel; used by tests and checks) --------------
def to_spins(images) -> np.ndarray:
    """uint8 0/255 images (or +-1 spins) -> int8 +-1 spins; pixel > 127 is spin up (shared convention)."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return np.where(images > 127, 1, -1).astype(np.int8)
    return np.where(images > 0, 1, -1).astype(np.int8)


def energy_per_spin(spins) -> np.ndarray:
    """H / L^2 with H = -sum over nearest-neighbour bonds of s_i s_j, periodic; spins (..., L, L)."""
    s = to_spins(spins).astype(np.int64)
    bonds = s * np.roll(s, -1, axis=-1) + s * np.roll(s, -1, axis=-2)
    L2 = s.shape[-1] * s.shape[-2]
    return -bonds.sum(axis=(-1, -2)) / L2


def magnetization_per_spin(spins) -> np.ndarray:
    """Signed magnetization per spin, sum(s) / L^2, for spins or 0/255 images of shape (..., L, L)."""
    s = to_spins(spins).astype(np.int64)
    return s.sum(axis=(-1, -2)) / (s.shape[-1] * s.shape[-2])


# --- counter-based hashing of (seed, global index) ------------------------------------------------------
def _mix64(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (a bijection of uint64): turns counters into well-spread 64-bit values."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _check_seed_index(seed: int, first_index: int, count: int) -> None:
    if not 0 <= int(seed) <= _U64_MAX:
        raise UserError(f"seed must be an integer in [0, 2^64), got {seed}")
    if int(first_index) < 0:
        raise UserError(f"first_index must be >= 0, got {first_index}")
    if int(count) < 0:
        raise UserError(f"count must be >= 0, got {count}")


def _hash_counter(seed: int, salt: int, first_index: int, count: int) -> np.ndarray:
    """uint64 hash of (seed, salt, global index) for indices first_index .. first_index+count-1."""
    with np.errstate(over="ignore"):
        key = _mix64(np.array([(int(seed) + salt) & _U64_MAX], dtype=np.uint64))[0]
        idx = np.arange(int(first_index), int(first_index) + int(count), dtype=np.uint64)
        return _mix64(_mix64(idx ^ key) + np.uint64(0x9E3779B97F4A7C15))


def stream_seeds(seed: int, first_index: int, count: int) -> np.ndarray:
    """Per-image RNG stream seeds (uint64) for global images first_index .. first_index+count-1.

    Depends only on (seed, global index): for a fixed seed distinct indices give distinct seeds
    (the map is a bijection), so shards cut anywhere reproduce the same images.
    """
    _check_seed_index(seed, first_index, count)
    return _hash_counter(seed, _SALT_SPINS, first_index, count)


def grid_temperatures(t_min: float, t_max: float, points: int, first_index: int, count: int) -> np.ndarray:
    """float32 temperatures of a ``grid:K`` label set: K evenly spaced over [t_min, t_max], image i at
    grid[i mod K], so every temperature is repeated and any shard split gives the same labels."""
    if points < 2:
        raise UserError(f"a temperature grid (--t-grid, study grid:K) needs >= 2 points, got {points}")
    _check_seed_index(0, first_index, count)
    grid = np.linspace(float(t_min), float(t_max), int(points)).astype(np.float32)
    if not (math.isfinite(float(t_min)) and float(t_min) > 0 and float(t_max) > float(t_min)):
        raise UserError(f"grid temperatures need 0 < t_min < t_max, got {t_min}, {t_max}")
    return grid[(first_index + np.arange(count, dtype=np.int64)) % int(points)]


def dataset_temperatures(t_min: float, t_max: float, seed: int, first_index: int, count: int) -> np.ndarray:
    """float32 temperatures drawn uniformly in [t_min, t_max], one per global image index.

    Counter-based (hash of seed and global index, separate salt from the spin stream), so an image's
    temperature does not depend on how the dataset is split into shards.
    """
    _check_seed_index(seed, first_index, count)
    t_min, t_max = float(t_min), float(t_max)
    if not (math.isfinite(t_min) and t_min > 0):
        raise UserError(f"t_min must be a finite temperature > 0, got {t_min}")
    if not (math.isfinite(t_max) and t_max >= t_min):
        raise UserError(f"t_max must be finite and >= t_min ({t_min}), got {t_max}")
    u = (_hash_counter(seed, _SALT_TEMPERATURE, first_index, count) >> np.uint64(11)).astype(np.float64) / _TWO53
    return (t_min + (t_max - t_min) * u).astype(np.float32)


# --- Numba kernel ---------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _splitmix(x):
    x = x + _GOLDEN
    z = x
    z = (z ^ (z >> _U30)) * _MIX1
    z = (z ^ (z >> _U27)) * _MIX2
    return x, z ^ (z >> _U31)


@njit(cache=True, inline="always")
def _seed_state(stream_seed):
    """xoshiro256** state from a stream seed, exactly as the C reference (four splitmix64 outputs)."""
    x = np.uint64(stream_seed)
    x, s0 = _splitmix(x)
    x, s1 = _splitmix(x)
    x, s2 = _splitmix(x)
    x, s3 = _splitmix(x)
    return s0, s1, s2, s3


@njit(cache=True, inline="always")
def _next(s0, s1, s2, s3):
    """One xoshiro256** output and the advanced state."""
    x = s1 * _U5
    r = ((x << _U7) | (x >> _U57)) * _U9
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << _U45) | (s3 >> _U19)
    return r, s0, s1, s2, s3


def acceptance_thresholds(temperatures) -> np.ndarray:
    """Per-image acceptance table (n, 2) uint64: floor(exp(-4/T) 2^53), floor(exp(-8/T) 2^53).

    A flip with dE = 4 or 8 is accepted when a 53-bit uniform integer is below the entry (dE <= 0 is
    always accepted), exactly as the C reference. Computed here with the platform libm ``exp`` (as C
    does) rather than inside the kernel, where LLVM was seen to sink the ``exp`` call into the hot loop.
    """
    temps = np.asarray(temperatures, dtype=np.float64).ravel()
    out = np.empty((temps.size, 2), dtype=np.uint64)
    for b, T in enumerate(temps.tolist()):
        out[b, 0] = int(math.exp(-4.0 / T) * _TWO53)
        out[b, 1] = int(math.exp(-8.0 / T) * _TWO53)
    return out


@njit(cache=True)
def _random_init(a, s0, s1, s2, s3):
    """Random initial spins from the top bit of successive outputs (as in the C reference)."""
    for i in range(a.shape[0]):
        r, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
        a[i] = 1 if (r >> _U63) != 0 else -1
    return s0, s1, s2, s3


def neighbour_table(L: int) -> np.ndarray:
    """Flat uint32 table: entries 4k..4k+3 are the up, down, left, right neighbours of site k (periodic).

    A lookup (256 KiB at L = 128, shared read-only by all threads, cache resident) replaces the
    division and wrap branches of the C reference in the hot loop and is ~1.3x faster than it.
    """
    idx = np.arange(L * L, dtype=np.int64)
    i, j = idx // L, idx % L
    table = np.stack([((i - 1) % L) * L + j, ((i + 1) % L) * L + j, i * L + (j - 1) % L, i * L + (j + 1) % L], axis=1)
    return np.ascontiguousarray(table.astype(np.uint32).ravel())


@njit(cache=True, error_model="numpy")
def _metropolis(a, nbr, steps, acc4, acc8, s0, s1, s2, s3):
    """``steps`` attempted single-spin flips on the flat periodic lattice ``a`` (int8 +-1), in place.

    Site choice is the C reference's (high 32 bits of (low 32 bits of r) * L^2); proposals with
    dE <= 0 are always accepted without drawing a uniform, others when the next 53-bit uniform is below
    the integer threshold. Returns the summed dE of all accepted flips (so callers can check the
    bookkeeping) and the advanced RNG state. Unsigned indices spare Numba's negative-index wraparound.
    """
    nu = np.uint64(a.shape[0])
    one = np.uint64(1)
    two = np.uint64(2)
    three = np.uint64(3)
    de_sum = 0
    for _ in range(steps):
        r, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
        site = ((r & _MASK32) * nu) >> _U32
        k = site * np.uint64(4)
        nb = (np.int64(a[nbr[k]]) + np.int64(a[nbr[k + one]])
              + np.int64(a[nbr[k + two]]) + np.int64(a[nbr[k + three]]))
        s = np.int64(a[site])
        de = 2 * s * nb
        if de <= 0:
            a[site] = -s
            de_sum += de
            continue
        r, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
        if (r >> _U11) < (acc4 if de == 4 else acc8):
            a[site] = -s
            de_sum += de
    return de_sum, s0, s1, s2, s3


@njit(cache=True)
def _energy_sum(a, L):
    """Total H of the flat periodic lattice (right and down bonds of every site)."""
    e = 0
    for i in range(L):
        row = i * L
        below = ((i + 1) % L) * L
        for j in range(L):
            s = np.int64(a[row + j])
            e -= s * (np.int64(a[row + (j + 1) % L]) + np.int64(a[below + j]))
    return e


@njit(parallel=True, cache=True)
def _simulate_kernel(seeds, acc, L, nbr, steps, images, energy, magnetization):
    """One independent chain per image, images spread over threads; outputs filled in place."""
    n = L * L
    for b in prange(seeds.shape[0]):
        a = np.empty(n, dtype=np.int8)
        s0, s1, s2, s3 = _seed_state(seeds[b])
        s0, s1, s2, s3 = _random_init(a, s0, s1, s2, s3)
        acc4 = acc[b, 0]
        acc8 = acc[b, 1]
        _metropolis(a, nbr, steps, acc4, acc8, s0, s1, s2, s3)
        m = 0
        for k in range(n):
            v = a[k]
            m += v
            images[b, k] = 255 if v > 0 else 0
        magnetization[b] = m / n
        energy[b] = _energy_sum(a, L) / n


@njit(cache=True)
def _chain_kernel(a, nbr, acc, steps, stream_seed):
    s0, s1, s2, s3 = _seed_state(stream_seed)
    acc4 = acc[0, 0]
    acc8 = acc[0, 1]
    de_sum, s0, s1, s2, s3 = _metropolis(a, nbr, steps, acc4, acc8, s0, s1, s2, s3)
    return de_sum


# --- public API -----------------------------------------------------------------------------------------
def _check_common(size: int, steps: int | None, temps: np.ndarray) -> int:
    if int(size) != size or size < 4:
        raise UserError(f"size (lattice edge L) must be an integer >= 4, got {size}")
    if steps is None:
        steps = int(size) ** 3
    if int(steps) != steps or steps < 0:
        raise UserError(f"steps must be an integer >= 0, got {steps}")
    if temps.size and not (np.all(np.isfinite(temps)) and np.all(temps > 0)):
        bad = temps[~(np.isfinite(temps) & (temps > 0))][0]
        raise UserError(f"temperatures must be finite and > 0, got {bad}")
    return int(steps)


def set_threads(threads: int | None) -> None:
    """Use ``threads`` Numba threads (None: all available); thread count never changes results."""
    if threads is None:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        return
    if not 1 <= int(threads) <= numba.config.NUMBA_NUM_THREADS:
        raise UserError(f"threads must be in 1..{numba.config.NUMBA_NUM_THREADS}, got {threads}")
    numba.set_num_threads(int(threads))


def simulate_streams(seeds, temperatures, size: int, steps: int | None = None, threads: int | None = None) -> dict:
    """Run one Metropolis chain per (stream seed, temperature); see :func:`simulate` for the outputs.

    Lower level than :func:`simulate`: the bench feeds it the C reference's stream seeds to check that
    both produce identical lattices.
    """
    seeds = np.ascontiguousarray(seeds, dtype=np.uint64).ravel()
    temps = np.ascontiguousarray(temperatures, dtype=np.float64).ravel()
    if seeds.shape != temps.shape:
        raise UserError(f"got {seeds.size} stream seeds but {temps.size} temperatures")
    steps = _check_common(size, steps, temps)
    L = int(size)
    n = seeds.size
    images = np.empty((n, L * L), dtype=np.uint8)
    energy = np.empty(n, dtype=np.float64)
    magnetization = np.empty(n, dtype=np.float64)
    if threads is not None:
        set_threads(threads)
    if n:
        _simulate_kernel(seeds, acceptance_thresholds(temps), L, neighbour_table(L), steps, images, energy, magnetization)
    return {
        "images": images.reshape(n, L, L),
        "seed": seeds.copy(),
        "energy": energy,
        "magnetization": magnetization,
    }


def simulate(temperatures, size: int, steps: int | None = None, seed: int = 0, first_index: int = 0,
             threads: int | None = None) -> dict:
    """Simulate global images first_index .. first_index+len(temperatures)-1 of the dataset ``seed``.

    temperatures: one T per image (float; stored as float32 by the shard writer, so pass float32 values
    for images reproducible from the stored T). steps: attempted flips per image, default L**3.
    Returns dict(images=uint8 0/255 (n, L, L), seed=uint64 per-image stream seed,
    energy=float64 H/L^2, magnetization=float64 signed sum(S)/L^2).
    """
    temps = np.asarray(temperatures, dtype=np.float64).ravel()
    seeds = stream_seeds(seed, first_index, temps.size)
    return simulate_streams(seeds, temps, size, steps=steps, threads=threads)


def run_chain(spins, temperature: float, steps: int, stream_seed: int):
    """Run ``steps`` Metropolis attempts from the given +-1 lattice; return (final spins, summed accepted dE).

    Exposes the kernel's incremental energy bookkeeping so tests can compare it with H recomputed from
    scratch: energy(final) - energy(initial) must equal the summed dE exactly.
    """
    s = to_spins(spins)
    if s.ndim != 2 or s.shape[0] != s.shape[1]:
        raise UserError(f"spins must be a square 2D lattice, got shape {s.shape}")
    L = s.shape[0]
    _check_common(L, steps, np.array([temperature], dtype=np.float64))
    a = np.ascontiguousarray(s).ravel().copy()
    de = _chain_kernel(a, neighbour_table(L), acceptance_thresholds([temperature]), int(steps), np.uint64(stream_seed))
    return a.reshape(L, L), int(de)
