"""Start-up checks: the database must offer pgvector 0.8 or newer.

Registered with the `database` tag, so `migrate` (and the run command's pre-flight) stops
with one readable message instead of a traceback deep inside the first migration.
"""

from django.core.checks import Error, Tags, register
from django.db import DatabaseError, connections

MIN_PGVECTOR = (0, 8)
INSTALL_HINT = (
    "Install pgvector {need} or newer on that server (Debian/Ubuntu: "
    "apt install postgresql-<major>-pgvector; or use the pgvector/pgvector image), "
    "or unset DATABASE_URL to use DefPub's embedded PostgreSQL, which ships it."
)


def _version_tuple(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def pgvector_versions(alias: str = "default") -> dict[str, str | None]:
    """Available and installed pgvector versions on the server, None where absent."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT default_version, installed_version FROM pg_available_extensions "
            "WHERE name = 'vector'"
        )
        row = cursor.fetchone()
    return {"available": row[0] if row else None, "installed": row[1] if row else None}


def pgvector_problem(alias: str = "default", versions: dict | None = None) -> str | None:
    """None when the server offers a recent enough pgvector, else what is wrong."""
    versions = versions or pgvector_versions(alias)
    available = _version_tuple(versions["available"])
    need = ".".join(map(str, MIN_PGVECTOR))
    settings_dict = connections[alias].settings_dict
    where = f"{settings_dict.get('HOST') or 'localhost'}/{settings_dict.get('NAME')}"
    if available is None:
        return f"The PostgreSQL server at {where} does not have the pgvector extension."
    if available < MIN_PGVECTOR:
        return (
            f"The PostgreSQL server at {where} has pgvector {versions['available']}; "
            f"DefPub needs {need} or newer."
        )
    return None


@register(Tags.database)
def check_pgvector(app_configs=None, databases=None, **kwargs):
    if not databases or "default" not in databases:
        return []
    try:
        problem = pgvector_problem("default")
    except DatabaseError as exc:
        return [Error(f"Cannot reach PostgreSQL: {exc}".strip(), id="defpub.E002")]
    if problem is None:
        return []
    need = ".".join(map(str, MIN_PGVECTOR))
    return [Error(problem, hint=INSTALL_HINT.format(need=need), id="defpub.E001")]
