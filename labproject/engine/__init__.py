"""The measuring engine: spec -> runner (parent) -> worker (fresh process) -> result file -> tidy tables."""
