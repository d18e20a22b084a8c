"""`manage.py run`: migrate, then run web (gunicorn), a Celery worker and Celery beat."""

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from defpub.runtime.supervisor import Child, Supervisor

# Warm-up hooks (each worker loads the models after the fork; /healthz says "warming" till
# then) and no request-line limit (the application answers long URLs itself): see there.
GUNICORN_CONFIG = "python:defpub.runtime.gunicorn_conf"


def embedding_env(env: dict[str, str], *, processes: int) -> dict[str, str]:
    """`env` for one of `processes` processes that embed: a share of the cores each (unless
    the operator set SEARCH_EMBED_THREADS)."""
    return {"SEARCH_EMBED_THREADS": str(max(1, (os.cpu_count() or 1) // processes)), **env}


class Command(BaseCommand):
    help = "Run the whole system: web, Celery worker and beat (and the embedded servers)."
    requires_system_checks = []  # migrate below runs every check, database ones included

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("DEFPUB_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2"))
        )
        parser.add_argument(
            "--worker-concurrency", type=int, default=int(os.environ.get("WORKER_CONCURRENCY", "2"))
        )

    def handle(self, *args, host, port, web_workers, worker_concurrency, **options):
        call_command("migrate", interactive=False, verbosity=0)  # as the owner; then grants
        call_command("collectstatic", interactive=False, verbosity=0)

        run_dir = settings.DEFPUB_HOME / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        python = sys.executable
        env = self._child_env()
        # Each process would embed with all cores; share them out instead (web processes
        # embed queries, worker processes passages). bench/api_load.py: 5-10x the search
        # throughput under load (docs/benchmarks.md, "Examiner API under load").
        web_env = embedding_env(env, processes=web_workers)
        worker_env = embedding_env(env, processes=worker_concurrency)
        children = [
            Child("web", [python, "-m", "gunicorn", "-c", GUNICORN_CONFIG, "defpub.wsgi",
                          "--bind", f"{host}:{port}",
                          "--workers", str(web_workers), "--access-logfile", "-",
                          "--graceful-timeout", "10",
                          "--config", GUNICORN_CONFIG], env=web_env),
            Child("worker", [python, "-m", "celery", "-A", "defpub.celery", "worker",
                             "--loglevel", "INFO", "--concurrency", str(worker_concurrency),
                             "--hostname", "worker@%h", "-Q", settings.WORKER_QUEUES],
                  env=worker_env),
            Child("beat", [python, "-m", "celery", "-A", "defpub.celery", "beat", "--loglevel",
                           "INFO", "--schedule", str(run_dir / "celerybeat-schedule")]),
        ]
        supervisor = Supervisor(children, env=env)
        supervisor.start()
        if not supervisor.wait_for_port(host, port):
            supervisor.stop()
            raise CommandError("The web server did not come up; see the log above.")
        shown_host = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host  # noqa: S104
        self.stdout.write(
            self.style.SUCCESS(
                f"DefPub is running at http://{shown_host}:{port}/  (health: /healthz, "
                "\"warming\" until the search models are loaded; Ctrl-C stops everything)"
            )
        )
        code = supervisor.wait()
        self.stdout.write("DefPub stopped.")
        if code:
            raise CommandError("A process exited unexpectedly; everything was stopped.")

    @staticmethod
    def _child_env() -> dict[str, str]:
        env = dict(os.environ)
        # Children connect to the servers this process attached to; they never start their own.
        env["DATABASE_URL"] = settings.DATABASE_URL
        # Web, worker and beat connect as the application's role; only migrate (above, in
        # this process) needed the owner's.
        env.pop("DATABASE_OWNER_URL", None)
        env["REDIS_URL"] = settings.REDIS_URL
        env["DEFPUB_HOME"] = str(settings.DEFPUB_HOME)
        env.setdefault("DJANGO_SETTINGS_MODULE", os.environ["DJANGO_SETTINGS_MODULE"])
        # Served over plain HTTP on this machine unless the operator says there is TLS in front.
        env.setdefault("DEFPUB_TLS", "0")
        env.setdefault("PYTHONUNBUFFERED", "1")
        # OpenMP threads that spin while they wait burn the cores other processes need.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        return env
