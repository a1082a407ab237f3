"""The analysis behind the study notebooks (02 leak, 03 scaling, 04 faster): small modules, one job each.

They read the tidy tables of ``labproject.bench.tidy`` (through ``labproject.study.Measured``) and
return tables and sentences, so every number a notebook states is computed from its own runs.
"""
