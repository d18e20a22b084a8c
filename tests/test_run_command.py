"""The run command: one process brings the whole system up and takes all of it down."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psutil
import pytest

from tests.conftest import REPO, free_port

pytestmark = pytest.mark.slow


def get_health(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def embedded_servers(home) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
            if f"-D {home}" in cmdline or ("valkey" in proc.name() and str(home) in proc.cwd()):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def test_run_serves_a_healthy_system_and_sigterm_leaves_no_process(tmp_path):
    port = free_port()
    home = tmp_path / "home"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEFPUB_HOME"}
    }
    env |= {"DEFPUB_HOME": str(home), "WEB_CONCURRENCY": "1", "WORKER_CONCURRENCY": "1"}
    run = subprocess.Popen(
        [sys.executable, "manage.py", "run", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 600  # the web and worker processes load the models first
        status, report = 0, {}
        while time.monotonic() < deadline and run.poll() is None:
            try:
                status, report = get_health(port)
            except OSError:
                status = 0
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200, (report, run.poll())
        assert all(
            report["checks"][part]["ok"] for part in ("database", "pgvector", "broker", "worker")
        )

        processes = tree(run.pid) + embedded_servers(home)
        names = " ".join(" ".join(p.cmdline()) for p in processes)
        assert "gunicorn" in names and "worker" in names and "beat" in names
        # Web and worker processes share the cores for embedding, and do not spin.
        cores = str(os.cpu_count() or 1)
        for process in processes:
            command = " ".join(process.cmdline())
            if "gunicorn" in command or " worker " in command:
                environ = process.environ()
                assert environ["SEARCH_EMBED_THREADS"] == cores, command
                assert environ["OMP_WAIT_POLICY"] == "PASSIVE", command
        assert len(embedded_servers(home)) >= 2  # postgres and valkey

        run.send_signal(signal.SIGTERM)
        output, _ = run.communicate(timeout=90)
    finally:
        if run.poll() is None:
            run.kill()

    assert run.returncode == 0, output
    assert f"running at http://localhost:{port}/" in output
    _, alive = psutil.wait_procs(processes, timeout=15)
    assert alive == [], [p.cmdline() for p in alive]
