"""A plain project: one app, a database from SHOP_DATABASE_URL, none of the lab's settings or apps."""

import os

import dj_database_url

SECRET_KEY = "not-a-secret-this-project-serves-no-requests"
INSTALLED_APPS = ["shop"]
DATABASES = {"default": dj_database_url.parse(os.environ["SHOP_DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
