"""The data stage (workflow/rules/data.smk): Ising microstructures, their shards and the dataset manifest."""
