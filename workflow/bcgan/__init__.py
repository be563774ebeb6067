"""bcgan: reproduction workflow for the binary-embedding conditioning GAN paper (Bompas & Sandfeld)."""

__version__ = "0.1.0"
