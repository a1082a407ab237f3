"""Settings for the lab: an SQLite file under ``var/`` unless ``DATABASE_URL`` names another database."""

import os
from pathlib import Path

from labproject.database import database_config
from labproject.lab import root_arguments

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LAB_VAR_DIR", BASE_DIR / "var"))

# A local lab that serves no web pages: a fixed key is safe here, and the environment can override it.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "lab-only-not-a-secret-this-project-serves-no-requests")
# DEBUG changes memory (every query's SQL is kept), so it is off unless asked for.
DEBUG = os.environ.get("DJANGO_DEBUG", "0").lower() in {"1", "true", "yes", "on"}
ALLOWED_HOSTS: list[str] = []

# The lab's app first: its shell_plus (which says when it lets JupyterLab run as root) wins over django-extensions'.
INSTALLED_APPS = [
    "labproject.iteration",
    "django_extensions",
]

DATABASES = {
    "default": database_config(os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'lab.sqlite3'}"),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"

# Where compare runs keep one JSON file per run.
RESULTS_DIR = Path(os.environ.get("LAB_RESULTS_DIR", VAR_DIR / "results"))

SHELL_PLUS_PRINT_SQL = False
# Informational lines (seeding done, a database migrated) are logged, not printed on stderr: a command
# shows them on stderr, and a notebook kernel moves them to stdout (labproject.notebook.start), where a
# report renders them as ordinary output; stderr stays for warnings and errors.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(message)s"}},
    "handlers": {"lab": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"labproject": {"handlers": ["lab"], "level": "INFO", "propagate": False}},
}
# shell_plus --lab: JupyterLab on the notebooks, allowed to run as root (it refuses otherwise).
NOTEBOOK_ARGUMENTS = ["--notebook-dir", str(BASE_DIR / "notebooks"), *root_arguments()]
ROOT_URLCONF = "labproject.urls"
