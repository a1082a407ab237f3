"""``make lab`` and ``manage.py shell_plus --lab`` serve the notebooks, as root too, with Django ready in a kernel.

Each test starts the real server on a free loopback port with a token, asks its REST API for the
notebooks, starts a kernel through the API, runs the notebooks' bootstrap in it over the kernel's
websocket, then shuts the server down through the API and checks that no process is left.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
import urllib.request
import uuid

import psutil
import pytest

from labproject.lab import ROOT_NOTE
from labproject.servers.common import HOST, free_port
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
DEADLINE = 120
BOOTSTRAP = ("from labproject.notebook import start\nlab = start()\n"
             "print('ready', lab['database'], SomeModel.objects.count())")


def _api(port: int, token: str, path: str, method: str = "GET") -> dict | list:
    data = b"" if method == "POST" else None
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", method=method, data=data,
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        body = answer.read()
    return json.loads(body) if body else {}


def _wait_for_api(port: int, token: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the server exited: {server.stderr.read()}"
        try:
            _api(port, token, "/api/status")
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("JupyterLab's API did not answer in time")


def _execute(port: int, token: str, kernel: str, code: str) -> str:
    """Run ``code`` in ``kernel`` over its websocket and return what it printed (stdout)."""
    import websocket

    channel = websocket.create_connection(f"ws://{HOST}:{port}/api/kernels/{kernel}/channels",
                                          header=[f"Authorization: token {token}"], timeout=DEADLINE)
    msg_id = uuid.uuid4().hex
    channel.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex,
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }))
    printed, status, idle = [], None, False
    deadline = time.monotonic() + DEADLINE
    while (status is None or not idle) and time.monotonic() < deadline:  # outputs may follow the reply
        message = json.loads(channel.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = message["msg_type"]
        if kind == "stream" and message["content"]["name"] == "stdout":
            printed.append(message["content"]["text"])
        elif kind == "error":
            printed.append("\n".join(message["content"]["traceback"]))
        elif kind == "execute_reply":
            status = message["content"]["status"]
        elif kind == "status" and message["content"]["execution_state"] == "idle":
            idle = True
    channel.close()
    assert status == "ok", "".join(printed)
    return "".join(printed)


def _command(how: str, port: int, token: str) -> tuple[list[str], dict[str, str]]:
    """Return the command line and extra environment that start ``how`` on ``port`` with ``token``."""
    if how == "make lab":
        options = [f"--ServerApp.port={port}", f"--ServerApp.ip={HOST}", f"--IdentityProvider.token={token}",
                   "--no-browser", "--ServerApp.port_retries=0"]
        return ["make", "-s", "-C", str(ROOT), "lab", f"LAB_ARGS={' '.join(options)}"], {}
    # shell_plus takes JupyterLab's options from the settings' NOTEBOOK_ARGUMENTS; port and token from Jupyter's
    # own environment variables, so that the settings are what is tested.
    return ([str(ROOT / ".venv/bin/python"), str(ROOT / "manage.py"), "shell_plus", "--lab", "--no-browser"],
            {"JUPYTER_PORT": str(port), "JUPYTER_TOKEN": token})


@pytest.mark.parametrize("how", ["make lab", "shell_plus --lab"])
def test_lab_serves_the_notebooks_with_django_ready(how, lab):
    lab.manage("seed_rows", "--rows", "10", "--no-progress", check=True)
    port, token = free_port(), secrets.token_hex(16)
    command, extra = _command(how, port, token)
    server = subprocess.Popen(command, env={**lab.env, "JUPYTER_RUNTIME_DIR": str(lab.root), **extra},
                              cwd=lab.root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, start_new_session=True)
    seen: set[psutil.Process] = set()
    try:
        _wait_for_api(port, token, server)
        names = {item["name"] for item in _api(port, token, "/api/contents")["content"]}
        assert "01_the_five_methods.ipynb" in names
        notebook = _api(port, token, "/api/contents/00_start_here.ipynb")
        assert notebook["type"] == "notebook" and notebook["content"]["cells"]
        kernel = _api(port, token, "/api/kernels", method="POST")["id"]
        seen |= set(psutil.Process(server.pid).children(recursive=True))
        printed = _execute(port, token, kernel, BOOTSTRAP)
        assert printed.startswith("ready sqlite file") and printed.split()[-1] == "10", printed
        _api(port, token, f"/api/kernels/{kernel}", method="DELETE")
        _api(port, token, "/api/shutdown", method="POST")
        server.wait(timeout=DEADLINE)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    said = server.stderr.read()
    if os.geteuid() == 0:
        assert ROOT_NOTE in said
    left = [p for p in seen if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert left == [], f"left running: {left}"
