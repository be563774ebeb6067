"""The study stage (workflow/rules/study.smk): the comparison over arms, label sets and seeds."""
