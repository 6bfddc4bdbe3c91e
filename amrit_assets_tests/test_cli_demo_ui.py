"""`amrit-anon demo --ui` from a plain shell: no venv on PATH, the asked-for port, a webserver that answers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

AMRIT_ANON = Path(sys.executable).parent / "amrit-anon"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def test_demo_ui_starts_without_the_venv_on_path(tmp_path):
    port = _free_port()
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(AMRIT_ANON), "demo", "--ui", "--beneficiaries", "3", "--port", str(port), "--data-dir", str(tmp_path / "data")],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 420
        while time.monotonic() < deadline and proc.poll() is None and not _answers(port):
            time.sleep(2)
        text = log.read_text()
        assert proc.poll() is None, f"the demo ended (exit {proc.returncode}):\n{text[-3000:]}"
        assert _answers(port), f"no webserver on {port}:\n{text[-3000:]}"
        assert f"http://127.0.0.1:{port}" in text
        assert "FileNotFoundError" not in text
    finally:
        # Ctrl-C first, so the demo stops and removes its servers; then whatever dagster dev left.
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
