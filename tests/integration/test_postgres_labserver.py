"""``make pg``: the lab's own cluster, started, reused, reached only on loopback with a private password, stopped."""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

from labproject.errors import ConfigError
from labproject.servers.postgres import HOST, find_binaries
from tests.conftest import ROOT
from tests.pg_fixtures import pg_query

pytestmark = pytest.mark.postgres


def test_missing_binaries_are_one_line_saying_how_to_install(tmp_path):
    with pytest.raises(ConfigError) as caught:
        find_binaries(str(tmp_path / "*" / "bin"))
    assert "apt-get install postgresql" in str(caught.value) and "\n" not in str(caught.value)


def test_the_newest_server_version_is_chosen(tmp_path):
    for version in ("9.6", "13", "15"):
        for program in ("initdb", "pg_ctl"):
            path = tmp_path / version / "bin" / program
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    assert find_binaries(str(tmp_path / "*" / "bin")) == tmp_path / "15" / "bin"


def test_the_cluster_listens_on_loopback_only_and_keeps_its_password_private(pg_server):
    assert stat.S_IMODE(pg_server.password_file.stat().st_mode) == 0o600
    assert pg_server.password_file.stat().st_uid == os.geteuid()
    postmaster = psutil.Process(int((pg_server.data / "postmaster.pid").read_text().split()[0]))
    listening = {c.laddr for c in postmaster.net_connections(kind="all") if c.status == psutil.CONN_LISTEN}
    assert listening == {(HOST, pg_server.port())}  # no other address, no Unix socket
    methods = pg_query(pg_server.url("postgres"), "SELECT DISTINCT auth_method FROM pg_hba_file_rules")
    assert methods == [("scram-sha-256",)]


def labserver(root: Path, action: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labproject.servers", "pg", action, "--root", str(root)],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)


def test_make_pg_starts_reuses_and_stops_the_cluster():
    root = Path(tempfile.mkdtemp(prefix="lab-pg-cli-"))
    try:
        first = labserver(root, "start")
        assert first.returncode == 0, first.stderr
        assert "started" in first.stderr and "created database 'lab'" in first.stderr
        assert "was not migrated; migrating it now" in first.stderr
        (url_line,) = first.stdout.splitlines()
        assert url_line.startswith("DATABASE_URL=postgres://lab:") and f"@{HOST}:" in url_line
        url = url_line.split("=", 1)[1]
        assert pg_query(url, "SELECT COUNT(*) FROM iteration_somemodel") == [(0,)]

        again = labserver(root, "start")
        assert again.returncode == 0 and "already running" in again.stderr and "reusing it" in again.stderr
        assert again.stdout == first.stdout and "migrating" not in again.stderr

        assert "stopped" in labserver(root, "stop").stderr
        assert "was not running" in labserver(root, "stop").stderr
        gone = labserver(root, "url")
        assert gone.returncode != 0 and gone.stderr.strip().endswith("start it with `make pg`")
    finally:
        labserver(root, "stop")
        shutil.rmtree(root, ignore_errors=True)
