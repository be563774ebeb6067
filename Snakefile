# BcGAN reproduction workflow: every table and figure of Bompas & Sandfeld as a file target.
# This file is a table of contents; each stage lives in workflow/rules/<stage>.smk and all
# computation in the `bcgan` package (workflow/bcgan), called through its CLI.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/psd.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/sample.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/physics.smk"
include: "workflow/rules/study.smk"


rule all:
    default_target: True
    input:
        final_outputs(),


rule study:
    """`snakemake study`: the study stage of the chosen preset (workflow/rules/study.smk); not in `all`."""
    input:
        rules.study_summary.output,
        study_targets(),
