"""The lab's own servers: PostgreSQL, MariaDB, PgBouncer and Redis, each under ``var/`` on loopback.

The lowest layer of the lab: it imports nothing of the app but ``labproject.errors`` and
``labproject.database``, and migrates a new database by running ``manage.py migrate``.
"""
