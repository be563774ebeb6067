"""The training stage (workflow/rules/train.smk): the GAN loop, CcGAN pretraining, progress, EMA, checkpoints, diagnostics."""
