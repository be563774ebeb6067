"""G+D training-step throughput per variant: fp32 beside the fast path, measured side by side.

Why side by side: the fast path (bf16 autocast + channels-last, ``bcgan.nets.precision``) gives up
bit-reproducibility, so it must be seen to pay on the machine at hand; two numbers from one process
and their ratio mean something on a shared machine where a lone number does not. The step is the
training loop's own (``bcgan.training.loop.d_step`` / ``g_step``: one hinge D step on G's detached fakes,
one hinge G step), on random ±1 images and labels, so the data pipeline is not in the number.

Prints ONE line of key=value pairs. For each preset and variant, key ``<preset>_<variant>_L<L>``:
``<key>_fp32`` and ``<key>_bf16`` images/s, ``<key>_ratio`` (bf16 / fp32), ``<key>_h_fp32`` and
``<key>_h_bf16`` the projected hours of the preset's whole training (epochs x n_images at that
rate, G+D steps only), and on CUDA ``<key>_mb_fp32`` / ``<key>_mb_bf16``, the peak memory.
The precisions are measured in alternation ``--repeats`` times and the best rate of each is kept.

How close to the limit (docs/development.md, same title): ``<key>_mflop_<prec>`` is
the FLOPs of one training step per image in millions, counted with ``torch.utils.flop_counter``'s
``FlopCounterMode`` on a warm-up step (matmuls, batched matmuls and convolutions, forward and backward;
nothing else), ``<key>_gflops_<prec>`` the achieved GFLOP/s (FLOPs per image x images/s), and
``<key>_share_<prec>`` that rate over the same device's rate of an n x n matmul (``--matmul-size``) in
the same dtype and thread count, measured in the same run between the step measurements (the best of
the run: ``matmul_fp32_gflops``, ``matmul_bf16_gflops``; on CUDA fp32 is TF32, as the training allows).

For each preset, ``<preset>_path`` is the precision its training would run in here (its
``train.precision``, ``auto`` resolved by ``bcgan.nets.precision``; the reason goes to stderr), and
``<preset>_h_wall`` the projected wall time of all the measured variants' trainings on that path,
run ``--cores // train.threads`` at a time as ``snakemake -c CORES`` does (it assumes jobs side by
side keep the rate of one alone, so it is a lower bound on a machine whose cores share memory
bandwidth).
"""

from __future__ import annotations

import sys
import time

import torch

from bcgan.errors import UserError
from bcgan.nets.models import VARIANTS, build_discriminator, build_generator, variant_spec
from bcgan.nets.precision import PRECISIONS, check_precision, memory_format, resolve_precision, set_cpu_threads

T_RANGE = (0.05, 4.54)


def add_arguments(parser) -> None:
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help="comma-separated variant names (default the paper's five; any registered variant, "
                             "e.g. bcgan-proj)")
    parser.add_argument("--presets", default="smoke,mini", help="presets whose L, widths, z and epochs to use")
    parser.add_argument("--batch", type=int, default=64, help="images per step (paper: 200)")
    parser.add_argument("--steps", type=int, default=3, help="timed steps after the warm-up steps")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    parser.add_argument("--precisions", default=",".join(PRECISIONS),
                        help="fp32, bf16 (autocast + channels-last) or both (default both, with their ratio)")
    parser.add_argument("--repeats", type=int, default=2, help="alternating rounds; the best rate counts")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = leave as is)")
    parser.add_argument("--cores", type=int, default=2, help="cores of the projected preset run (snakemake -c)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--matmul-size", type=int, default=None,
                        help="n of the n x n matmul whose rate is the ceiling (default 1024 on CPU, 8192 on CUDA; "
                             "0 skips it and the shares)")


def cpu_description() -> str:
    """``cpu=<name> capability=<torch's> native_bf16=<flags or none>``: every timing names its CPU."""
    from bcgan.nets.precision import cpu_bf16_flags, cpu_capabilities

    name = str(cpu_capabilities().get("cpu_name", "unknown")).strip().replace(" ", "_") or "unknown"
    flags = ",".join(cpu_bf16_flags()) or "none"
    return f"cpu={name} capability={torch.backends.cpu.get_cpu_capability()} native_bf16={flags}"


def build_step(variant: str, image_size: int, g_channels: int, d_channels: int, z_dim: int, batch: int,
               device: torch.device, precision: str, seed: int = 0):
    """A function doing one training step (D then G) of a fresh model pair on fixed random data."""
    from bcgan.nets.ccgan import build_y2h

    torch.manual_seed(seed)
    y2h = build_y2h() if variant_spec(variant).kind == "ccgan" else None
    fmt = memory_format(precision, device)
    G = build_generator(variant, image_size, g_channels, z_dim, T_RANGE, y2h=y2h).to(device, memory_format=fmt)
    D = build_discriminator(variant, image_size, d_channels, T_RANGE, y2h=y2h).to(device, memory_format=fmt)
    return make_step(G, D, image_size, z_dim, batch, device, precision)


def make_step(G, D, image_size: int, z_dim: int, batch: int, device: torch.device, precision: str):
    """One training step (the loop's ``d_step`` then ``g_step``) of G and D on fixed random ±1 images and
    labels (``G.labels`` of uniform temperatures); fresh noise each call."""
    from bcgan.training.loop import d_step, g_step

    fmt = memory_format(precision, device)
    opt_g = torch.optim.Adam([p for p in G.parameters() if p.requires_grad], lr=1e-4, betas=(0.0, 0.99))
    opt_d = torch.optim.Adam([p for p in D.parameters() if p.requires_grad], lr=1e-4, betas=(0.0, 0.99))
    real = ((torch.rand(batch, 1, image_size, image_size, device=device) > 0.5).float() * 2 - 1).contiguous(
        memory_format=fmt)
    labels = G.labels(torch.rand(batch) * (T_RANGE[1] - T_RANGE[0]) + T_RANGE[0]).to(device)

    def step():
        z_d = torch.randn(batch, z_dim, device=device)
        z_g = torch.randn(batch, z_dim, device=device)
        d_step(G, D, opt_d, real, z_d, labels, labels, None, precision)
        g_step(G, D, opt_g, z_g, labels, precision)

    return step


def count_flops(fn) -> int:
    """FLOPs of one call of ``fn`` as ``torch.utils.flop_counter.FlopCounterMode`` counts them: matmuls
    (mm, addmm, bmm, baddbmm), convolutions and attention kernels, forward and backward, 2 per
    multiply-add; not matrix-vector products (spectral norm's power iteration), normalisation,
    element-wise work, reductions or the optimiser."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def achieved_share(flop_per_image: float, images_per_s: float, matmul_flop_per_s: float) -> tuple[float, float]:
    """(achieved FLOP/s, its share of the matmul rate): FLOPs per image x images/s, over the matmul's FLOP/s."""
    achieved = flop_per_image * images_per_s
    return achieved, (achieved / matmul_flop_per_s if matmul_flop_per_s > 0 else float("nan"))


MATMUL_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def matmul_rate(n: int, precision: str, device: torch.device, min_time: float = 0.05, blocks: int = 3) -> float:
    """FLOP/s (2 n³ per product) of ``torch.mm`` of two n x n matrices in the precision's dtype on
    ``device`` with torch's current thread count: the best of ``blocks`` timed blocks of at least
    ``min_time`` seconds each (a shared machine only ever slows a block down)."""
    dtype = MATMUL_DTYPES[check_precision(precision)]
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=gen).to(device=device, dtype=dtype)
    b = torch.randn(n, n, generator=gen).to(device=device, dtype=dtype)
    out = torch.empty(n, n, device=device, dtype=dtype)
    cuda = device.type == "cuda"

    def timed(reps: int) -> float:
        if cuda:
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b, out=out)
        if cuda:
            torch.cuda.synchronize(device)
        return time.perf_counter() - t0

    reps, dt = 1, timed(1)  # the first product also warms the kernel up
    while dt < min_time:  # calibrate: a block lasts at least min_time
        reps = max(reps * 2, int(reps * min_time / max(dt, 1e-9)) + 1)
        dt = timed(reps)
    best = dt
    for _ in range(blocks - 1):
        best = min(best, timed(reps))
    return 2.0 * n**3 * reps / best


def measure(variant: str, image_size: int, g_channels: int, d_channels: int, z_dim: int, batch: int, steps: int,
            device: torch.device, precision: str, seed: int = 0, warmup: int = 1) -> tuple[float, float, int]:
    """(images per second, peak CUDA memory in MB or nan, FLOPs of one step) of training steps for one
    variant and width; the FLOPs are counted on the first warm-up step (``count_flops``), which the
    timing never includes."""
    step = build_step(variant, image_size, g_channels, d_channels, z_dim, batch, device, precision, seed)
    cuda = device.type == "cuda"
    flops = count_flops(step)
    for _ in range(max(warmup, 1) - 1):
        step()
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if cuda:
        torch.cuda.synchronize(device)
    dt = time.perf_counter() - t0
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if cuda else float("nan")
    del step
    if cuda:
        torch.cuda.empty_cache()
    return batch * steps / dt, peak, flops


def run(args) -> int:
    try:
        device = torch.device(args.device)
    except RuntimeError:
        raise UserError(f"--device {args.device!r} is not a torch device") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda requested but CUDA is not available")
    if args.batch < 2 or args.steps < 1 or args.repeats < 1 or args.cores < 1:
        raise UserError(f"--batch must be >= 2, --steps, --repeats and --cores >= 1, got {args.batch}, {args.steps}, "
                        f"{args.repeats}, {args.cores}")
    precisions = [check_precision(p) for p in args.precisions.split(",") if p]
    if not precisions:
        raise UserError("--precisions names none of fp32, bf16")
    set_cpu_threads(args.threads or None)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    from bcgan.config import resolve

    n_mm = args.matmul_size if args.matmul_size is not None else (8192 if device.type == "cuda" else 1024)
    if n_mm < 0:
        raise UserError(f"--matmul-size must be >= 0, got {n_mm}")
    mm = {p: 0.0 for p in precisions}  # the device's best matmul FLOP/s of the run, per precision
    parts = [f"bench=models device={device.type} {cpu_description()} batch={args.batch} "
             f"steps={args.steps} repeats={args.repeats} threads={torch.get_num_threads()} torch={torch.__version__}"]
    flop_rows = []  # (key, precision, FLOPs per image, images/s): their shares need the run's best matmul rate
    for preset in (p for p in args.presets.split(",") if p):
        cfg = resolve({"preset": preset})
        L, z_dim, widths = cfg["data"]["size"], cfg["models"]["z_dim"], cfg["models"]
        images_total = cfg["train"]["epochs"] * cfg["data"]["n_images"]
        path, why = resolve_precision(cfg["train"]["precision"], device)
        print(f"{preset}: {why}", file=sys.stderr)
        parts.append(f"{preset}_path={path}")
        hours_on_path = []
        for v in (x for x in args.variants.split(",") if x):
            try:
                variant_spec(v)
            except UserError as exc:
                raise UserError(f"--variants: {exc}") from None
            g_ch = widths["g_channels"].get(v, widths["g_channels"]["default"])
            d_ch = widths["d_channels"].get(v, widths["d_channels"]["default"])
            key = f"{preset}_{v}_L{L}"
            ips, peak = {p: 0.0 for p in precisions}, {p: float("nan") for p in precisions}
            flops = {}
            for _ in range(args.repeats):  # alternate, keep the best: a shared machine disturbs both alike
                for prec in precisions:
                    rate, mb, flops[prec] = measure(v, L, g_ch, d_ch, z_dim, args.batch, args.steps, device, prec,
                                                    seed=args.seed, warmup=args.warmup)
                    ips[prec], peak[prec] = max(ips[prec], rate), mb
                    if n_mm:  # the ceiling, measured between the steps so that both see the same load
                        mm[prec] = max(mm[prec], matmul_rate(n_mm, prec, device))
            for prec in precisions:
                parts.append(f"{key}_{prec}={ips[prec]:.1f}")
                parts.append(f"{key}_h_{prec}={images_total / ips[prec] / 3600:.3g}")
                if device.type == "cuda":
                    parts.append(f"{key}_mb_{prec}={peak[prec]:.0f}")
                parts.append(f"{key}_mflop_{prec}={flops[prec] / args.batch / 1e6:.4g}")
                idx = len(parts)
                parts.append(None)  # filled in below, with the run's best matmul rate
                flop_rows.append((idx, key, prec, flops[prec] / args.batch, ips[prec]))
            if len(ips) == 2:
                parts.append(f"{key}_ratio={ips['bf16'] / ips['fp32']:.2f}")
            if path in ips:
                hours_on_path.append(images_total / ips[path] / 3600)
        if hours_on_path:
            side_by_side = 1 if device.type == "cuda" else max(1, args.cores // cfg["train"]["threads"])
            parts.append(f"{preset}_h_wall={sum(hours_on_path) / min(side_by_side, len(hours_on_path)):.3g}")
    for idx, key, prec, per_image, rate in flop_rows:
        achieved, share = achieved_share(per_image, rate, mm[prec])
        parts[idx] = f"{key}_gflops_{prec}={achieved / 1e9:.4g}" + (f" {key}_share_{prec}={share:.3g}" if n_mm else "")
    if n_mm:
        parts[0] += f" matmul_n={n_mm} " + " ".join(f"matmul_{p}_gflops={mm[p] / 1e9:.1f}" for p in precisions)
    print(" ".join(parts), flush=True)
    return 0
