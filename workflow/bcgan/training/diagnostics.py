"""Why a generator collapses: how its conditioning gates the noise, and whether its output follows T.

Three forward-only measurements on a trained G (README, "Why BcGAN collapsed"):

* first conditional-BN layer (block 0, before the first up-sampling): per channel the gain 1 + γ and
  bias β over a grid of temperatures. A gain near 0 with |β| / gain large makes the channel the same
  constant after ReLU whatever the noise z: the label has switched the noise off.
* z share: the fraction of the variance of block 0's output that is due to z, i.e. the mean within-T
  variance (over z) divided by the total variance (over T and z), summed over units. 1 = the label
  does nothing there, 0 = the noise does nothing.
* T response: the mean estimated temperature (PSD response model) at each conditioning T, and its
  Spearman rank correlation with T over the whole grid and inside [1, 2) and [2, 4), the two
  binades where a float32 label shares its exponent: a positive correlation inside a binade means G
  reads the mantissa, not only the exponent.
"""

from __future__ import annotations

import numpy as np
import torch


def cbn_gain_stats(generator, temperatures) -> dict:
    """Gain / bias statistics of G's first conditional BN over ``temperatures`` (module doc)."""
    t = torch.as_tensor(np.asarray(temperatures, np.float32))
    with torch.no_grad():
        cond = generator.conditioning(generator.labels(t)).float()
    c = generator.cond_sizes[0]
    gain, beta = 1.0 + cond[:, :c], cond[:, c:2 * c]
    ratio = beta.abs() / gain.abs().clamp_min(1e-6)
    return {"gain_mean": float(gain.mean()), "gain_below_0.1": float((gain.abs() < 0.1).float().mean()),
            "bias_over_gain_above_2.5": float((ratio > 2.5).float().mean())}


def z_share(generator, temperatures, n_noise: int = 64, seed: int = 0) -> float:
    """Fraction of block 0's output variance explained by the noise (module doc), G in eval mode."""
    from bcgan.nets.sampling import noise_seeds, noise_vectors

    temps = np.asarray(temperatures, np.float32)
    z = torch.from_numpy(noise_vectors(noise_seeds(seed, n_noise), generator.z_dim))
    captured = {}
    hook = generator.blocks[0].register_forward_hook(lambda m, i, o: captured.__setitem__("h", o.detach()))
    was_training = generator.training
    generator.eval()
    try:
        outs = []
        with torch.no_grad():
            for tv in temps:
                labels = generator.labels(torch.full((n_noise,), float(tv)))
                generator(z, labels)
                outs.append(captured["h"].float().reshape(n_noise, -1).numpy())
    finally:
        hook.remove()
        generator.train(was_training)
    h = np.stack(outs)  # (T, z, units)
    within = h.var(axis=1).mean(axis=0).sum()
    total = h.reshape(-1, h.shape[-1]).var(axis=0).sum()
    return float(within / total) if total > 0 else float("nan")


