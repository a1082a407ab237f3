"""The experiments the study notebooks run: which databases, which sizes, which command, measured how.

Each module plans runs and hands them to the engine (``labproject.engine.measure``); what the runs
mean is ``labproject.analysis``'s job.
"""
