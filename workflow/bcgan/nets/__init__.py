"""The networks: generator and discriminator of every variant, label embeddings, losses, numeric precision and sampling."""
