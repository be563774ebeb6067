"""The PSD stage (workflow/rules/psd.smk): spectra, the response model T <-> PSD, and metrics of image sets."""
