"""The iteration-memory workbench: a Django project, its measuring engine, charts and notebooks."""
