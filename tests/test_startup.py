"""Start-up: a clear error for a PostgreSQL without pgvector, and a clean deploy check."""

import socket

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.conftest import manage


def local_postgres_without_pgvector() -> str | None:
    """The machine's own PostgreSQL on 5432, when there is one, as a server lacking pgvector."""
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            pass
    except OSError:
        return None
    import psycopg

    url = "postgres://postgres@127.0.0.1:5432/postgres"
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            row = conn.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
            ).fetchone()
    except psycopg.Error:
        return None
    return None if row else url


@pytest.mark.django_db
def test_the_embedded_database_passes_the_pgvector_check():
    call_command("check", databases=["default"])  # raises SystemCheckError on failure


def test_a_postgres_without_pgvector_fails_migrate_with_one_clear_message(tmp_path):
    url = local_postgres_without_pgvector()
    if url is None:
        pytest.skip("no local PostgreSQL without pgvector on 127.0.0.1:5432")

    result = manage(
        "migrate",
        env={"DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL, "DEFPUB_HOME": str(tmp_path)},
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert (
        "(defpub.E001) The PostgreSQL server at 127.0.0.1/postgres does not have the "
        "pgvector extension." in result.stderr
    )
    assert "Install pgvector 0.8 or newer" in result.stderr


def test_check_deploy_is_clean_with_the_documented_variables():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DEBUG": "0",
            "SECRET_KEY": "x7!" * 20 + "a-long-random-production-key",
            "ALLOWED_HOSTS": "defpub.example.org",
            "DATABASE_URL": settings.DATABASE_URL,
            "DATABASE_OWNER_URL": settings.DATABASE_OWNER_URL,
            "REDIS_URL": settings.REDIS_URL,
        },
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
