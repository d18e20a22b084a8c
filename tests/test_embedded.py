"""Embedded servers: shared safely between processes, persistent, stopped by the last user."""

import subprocess
import sys
import textwrap

import psutil
import pytest

from tests.conftest import REPO

ATTACH = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from defpub.runtime.embedded import services
    s = services(Path(sys.argv[1]))
    s.attach()
    print("attached", flush=True)
    exec(sys.argv[2])
""")


def run_attached(home, code: str = "", *, wait: bool = True) -> subprocess.Popen | str:
    process = subprocess.Popen(
        [sys.executable, "-c", ATTACH, str(home), code],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if not wait:
        return process
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out


def server_pids(home) -> dict[str, list[int]]:
    found = {"postgres": [], "valkey": []}
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        try:
            if "postgres" in cmdline and f"-D {home}" in cmdline:
                found["postgres"].append(proc.pid)
            elif "valkey" in proc.name() and str(home) in proc.cwd():
                found["valkey"].append(proc.pid)
        except psutil.Error:
            continue
    return found


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    yield path
    for pid in sum(server_pids(path).values(), []):  # never leak servers from a failed test
        psutil.Process(pid).kill()


def test_data_survives_a_restart_without_a_second_initdb(home):
    run_attached(
        home,
        textwrap.dedent("""
        import psycopg, redis
        with psycopg.connect(host=str(s.pgdata), user="postgres", dbname="defpub") as conn:
            conn.execute("CREATE TABLE kept (v text)")
            conn.execute("INSERT INTO kept VALUES ('pg')")
        redis.Redis(unix_socket_path=str(s.valkey_socket)).set("kept", "valkey")
    """),
    )
    initialised = (home / "postgres" / "PG_VERSION").stat().st_mtime_ns
    assert server_pids(home) == {"postgres": [], "valkey": []}, "last user out stops the servers"

    out = run_attached(
        home,
        "import psycopg, redis\n"
        "conn = psycopg.connect(host=str(s.pgdata), user='postgres', dbname='defpub')\n"
        "print(conn.execute('SELECT v FROM kept').fetchone()[0])\n"
        "print(redis.Redis(unix_socket_path=str(s.valkey_socket)).get('kept').decode())\n",
    )

    assert out.split() == ["attached", "pg", "valkey"]
    assert (home / "postgres" / "PG_VERSION").stat().st_mtime_ns == initialised


def test_concurrent_processes_share_one_server_and_the_last_one_stops_it(home):
    holders = [run_attached(home, "time.sleep(600)", wait=False) for _ in range(3)]
    for holder in holders:
        assert holder.stdout.readline().strip() == "attached"
    running = server_pids(home)
    assert len(running["valkey"]) == 1
    assert len(running["postgres"]) == 1, running

    holders[0].terminate()  # dies without detaching: pruned later, servers stay for the others
    holders[0].wait()
    holders[1].terminate()
    holders[1].wait()
    assert server_pids(home)["valkey"] == running["valkey"]

    # A well-behaved last user detaches; the dead ones are pruned and everything stops.
    holders[2].kill()
    holders[2].wait()
    run_attached(home, "")
    assert server_pids(home) == {"postgres": [], "valkey": []}
