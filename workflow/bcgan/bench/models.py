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
from bcgan.nets.models import VARIANTS, build_discriminator, build_generator
from bcgan.nets.precision import PRECISIONS, check_precision, memory_format, resolve_precision, set_cpu_threads

T_RANGE = (0.05, 4.54)


def add_arguments(parser) -> None:
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated variant names")
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
    from bcgan.training.loop import d_step, g_step

    torch.manual_seed(seed)
    y2h = build_y2h() if variant == "ccgan" else None
    fmt = memory_format(precision, device)
    G = build_generator(variant, image_size, g_channels, z_dim, T_RANGE, y2h=y2h).to(device, memory_format=fmt)
    D = build_discriminator(variant, image_size, d_channels, T_RANGE, y2h=y2h).to(device, memory_format=fmt)
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


def measure(variant: str, image_size: int, g_channels: int, d_channels: int, z_dim: int, batch: int, steps: int,
            device: torch.device, precision: str, seed: int = 0, warmup: int = 1) -> tuple[float, float]:
    """(images per second, peak CUDA memory in MB or nan) of training steps for one variant and width."""
    step = build_step(variant, image_size, g_channels, d_channels, z_dim, batch, device, precision, seed)
    cuda = device.type == "cuda"
    for _ in range(max(warmup, 1)):
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
    return batch * steps / dt, peak


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

    parts = [f"bench=models device={device.type} {cpu_description()} batch={args.batch} "
             f"steps={args.steps} repeats={args.repeats} threads={torch.get_num_threads()} torch={torch.__version__}"]
    for preset in (p for p in args.presets.split(",") if p):
        cfg = resolve({"preset": preset})
        L, z_dim, widths = cfg["data"]["size"], cfg["models"]["z_dim"], cfg["models"]
        images_total = cfg["train"]["epochs"] * cfg["data"]["n_images"]
        path, why = resolve_precision(cfg["train"]["precision"], device)
        print(f"{preset}: {why}", file=sys.stderr)
        parts.append(f"{preset}_path={path}")
        hours_on_path = []
        for v in (x for x in args.variants.split(",") if x):
            if v not in VARIANTS:
                raise UserError(f"--variants: unknown variant {v!r} (known: {', '.join(VARIANTS)})")
            g_ch = widths["g_channels"].get(v, widths["g_channels"]["default"])
            d_ch = widths["d_channels"].get(v, widths["d_channels"]["default"])
            key = f"{preset}_{v}_L{L}"
            ips, peak = {p: 0.0 for p in precisions}, {p: float("nan") for p in precisions}
            for _ in range(args.repeats):  # alternate, keep the best: a shared machine disturbs both alike
                for prec in precisions:
                    rate, mb = measure(v, L, g_ch, d_ch, z_dim, args.batch, args.steps, device, prec,
                                       seed=args.seed, warmup=args.warmup)
                    ips[prec], peak[prec] = max(ips[prec], rate), mb
            for prec in precisions:
                parts.append(f"{key}_{prec}={ips[prec]:.1f}")
                parts.append(f"{key}_h_{prec}={images_total / ips[prec] / 3600:.3g}")
                if device.type == "cuda":
                    parts.append(f"{key}_mb_{prec}={peak[prec]:.0f}")
            if len(ips) == 2:
                parts.append(f"{key}_ratio={ips['bf16'] / ips['fp32']:.2f}")
            if path in ips:
                hours_on_path.append(images_total / ips[path] / 3600)
        if hours_on_path:
            side_by_side = 1 if device.type == "cuda" else max(1, args.cores // cfg["train"]["threads"])
            parts.append(f"{preset}_h_wall={sum(hours_on_path) / min(side_by_side, len(hours_on_path)):.3g}")
    print(" ".join(parts), flush=True)
    return 0
