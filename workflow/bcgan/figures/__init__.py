"""Paper figures: one module per figure (``figN_<what>``), each with add_arguments(parser) and run(args)."""
