"""G+D training-step throughput (images/s) per variant: one hinge D step plus one hinge G step.

Prints ONE line of key=value pairs: for each variant and width, ``<variant>_L<L>_c<ch>=<img/s>``
(images of the batch per full D+G step), plus ``peak_mem_mb_...`` on CUDA. Defaults: the image size,
widths and z of the smoke and mini presets on CPU; ``--presets paper --device cuda --bf16
--channels-last`` for GPU.
"""

from __future__ import annotations

import time

import torch

from bcgan.ccgan import build_y2h
from bcgan.config import resolve
from bcgan.errors import UserError
from bcgan.losses import hinge_d_loss, hinge_g_loss
from bcgan.models import VARIANTS, build_discriminator, build_generator

T_RANGE = (0.05, 4.54)


def add_arguments(parser) -> None:
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated variant names")
    parser.add_argument("--presets", default="smoke,mini", help="presets whose L, widths and z to use")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3, help="timed steps after one warm-up step")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = leave as is)")
    parser.add_argument("--seed", type=int, default=0)


def _step(G, D, optG, optD, real, labels, z_dim, device, autocast):
    b = real.shape[0]
    with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=autocast):
        z = torch.randn(b, z_dim, device=device)
        fake = G(z, labels)
        d_loss = hinge_d_loss(D(real, labels), D(fake.detach(), labels))
    optD.zero_grad(set_to_none=True)
    d_loss.backward()
    optD.step()
    with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=autocast):
        g_loss = hinge_g_loss(D(G(torch.randn(b, z_dim, device=device), labels), labels))
    optG.zero_grad(set_to_none=True)
    g_loss.backward()
    optG.step()


def measure(variant: str, image_size: int, g_channels: int, d_channels: int, z_dim: int, batch: int, steps: int,
            device: torch.device, bf16: bool, channels_last: bool, seed: int) -> tuple[float, float]:
    """(images per second, peak CUDA memory in MB or nan) for one variant and width."""
    torch.manual_seed(seed)
    y2h = build_y2h() if variant == "ccgan" else None
    G = build_generator(variant, image_size, g_channels, z_dim, T_RANGE, y2h=y2h).to(device)
    D = build_discriminator(variant, image_size, d_channels, T_RANGE, y2h=y2h).to(device)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    G, D = G.to(memory_format=fmt), D.to(memory_format=fmt)
    optG = torch.optim.Adam([p for p in G.parameters() if p.requires_grad], lr=1e-4, betas=(0.0, 0.99))
    optD = torch.optim.Adam([p for p in D.parameters() if p.requires_grad], lr=1e-4, betas=(0.0, 0.99))
    real = (torch.rand(batch, 1, image_size, image_size, device=device) > 0.5).float() * 2 - 1
    real = real.contiguous(memory_format=fmt)
    temps = torch.rand(batch) * (T_RANGE[1] - T_RANGE[0]) + T_RANGE[0]
    labels = G.labels(temps).to(device)
    _step(G, D, optG, optD, real, labels, z_dim, device, bf16)  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(steps):
        _step(G, D, optG, optD, real, labels, z_dim, device, bf16)
    if device.type == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else float("nan")
    return batch * steps / dt, peak


def run(args) -> int:
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda requested but CUDA is not available")
    if args.threads:
        torch.set_num_threads(args.threads)
    parts = [f"bench=models device={device.type} bf16={int(args.bf16)} channels_last={int(args.channels_last)} "
             f"batch={args.batch} steps={args.steps} threads={torch.get_num_threads()}"]
    for preset in (p for p in args.presets.split(",") if p):
        cfg = resolve({"preset": preset})
        L, z_dim, widths = cfg["data"]["size"], cfg["models"]["z_dim"], cfg["models"]
        for v in (x for x in args.variants.split(",") if x):
            g_ch = widths["g_channels"].get(v, widths["g_channels"]["default"])
            d_ch = widths["d_channels"].get(v, widths["d_channels"]["default"])
            ips, peak = measure(v, L, g_ch, d_ch, z_dim, args.batch, args.steps, device, args.bf16,
                                args.channels_last, args.seed)
            key = f"{preset}_{v}_L{L}"
            parts.append(f"{key}={ips:.1f}")
            if device.type == "cuda":
                parts.append(f"peak_mem_mb_{key}={peak:.0f}")
    print(" ".join(parts), flush=True)
    return 0
