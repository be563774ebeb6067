"""Paper figures: one module per figure (``figN_<what>``), each with add_arguments(parser) and run(args).

PANELS: the variants a comparison figure shows, in its order, as the paper has them; read by the figure
modules and by the Snakefile, which plans a figure only where the preset trains all of its variants
(kept here, free of matplotlib, so that planning does not load it)."""

PANELS = {
    "fig3_ccgan_bcgan": ("ccgan", "bcgan"),
    "fig4_cgan": ("cgan64", "cgan256", "cgan1024"),
    "fig6_epsilon": ("bcgan",),
    "fig9_epsilon_noise": ("bcgan",),
    "fig10_activity_full": ("bcgan", "ccgan"),
    "fig11_cgan_lookup": ("cgan64", "cgan256"),
}
