"""Pure functions over tidy tables: the verdicts, fits and sentences the notebooks state.

They read the tidy tables of ``labproject.engine.tidy`` (through ``labproject.engine.measured.Measured``),
run nothing, and return tables and sentences, so every number a notebook states is computed from its runs.
"""
