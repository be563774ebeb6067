"""The sample and analysis stages (sample.smk, analysis.smk): user images, activity, perturbation, explorer."""
