"""Two database roles: the owner migrates, the application may only do what it needs.

The web and worker processes connect as the application's role (`DATABASE_URL`; embedded:
`defpub_app`). It is no superuser and owns no table, so it can neither `ALTER TABLE ...
DISABLE TRIGGER` nor `SET session_replication_role`. On the append-only tables it has SELECT
and INSERT only: PostgreSQL refuses its UPDATE, DELETE and TRUNCATE before any trigger runs,
so `pgtrigger.ignore` (a session setting the trigger functions read) gains it nothing there;
elsewhere the trigger functions do not honour that setting for it (SHOULD_IGNORE below).

`migrate` and `flush` run as the owner (`DATABASE_OWNER_URL`; embedded: `postgres`), and
after every migrate the grants are computed afresh from the tables that exist then.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pgtrigger
from django.apps import apps
from django.conf import settings
from django.core.checks import Warning, register
from django.db import connections, transaction
from pgtrigger import features as pgtrigger_features

log = logging.getLogger(__name__)

# Append-only tables beyond those found by their triggers (see append_only_models): one line
# each, as "app_label.Model".
APPEND_ONLY_MODELS: tuple[str, ...] = (
    "defpub.Publication",  # the publication and its canonical record
    "defpub.LedgerNode",
    "defpub.LedgerCheckpoint",
    "defpub.AuditEvent",
)
# Readable, never writable, by the application.
READ_ONLY_TABLES: tuple[str, ...] = ("django_migrations",)


def _protects_every_row(trigger) -> bool:
    operation = str(trigger.operation or "")
    return (
        isinstance(trigger, pgtrigger.Protect)
        and trigger.condition is None
        and "UPDATE" in operation
        and "DELETE" in operation
    )


def append_only_models() -> list:
    """Models listed above, and every model with an unconditional pgtrigger.Protect on
    UPDATE and DELETE: a table made append-only by its trigger is append-only here too."""
    found = {apps.get_model(label) for label in APPEND_ONLY_MODELS}
    for model in apps.get_models():
        if any(_protects_every_row(t) for t in getattr(model._meta, "triggers", [])):
            found.add(model)
    return sorted(found, key=lambda model: model._meta.db_table)


def append_only_tables() -> list[str]:
    return [model._meta.db_table for model in append_only_models()]


def app_role() -> str:
    return settings.DEFPUB_APP_ROLE


def roles_separated() -> bool:
    owner = settings.DEFPUB_DATABASE_OWNER
    return bool(owner and owner["USER"] and app_role() and owner["USER"] != app_role())


@contextmanager
def owner_session(using: str = "default") -> Iterator[None]:
    """Run the block on a connection that logs in as the owner (same database name), then
    go back to the application's role. Only this thread's connection changes."""
    connection = connections[using]
    owner = settings.DEFPUB_DATABASE_OWNER
    if not owner or owner["USER"] == connection.settings_dict["USER"]:
        yield
        return
    if connection.in_atomic_block:
        raise RuntimeError("cannot switch to the owner's role inside a transaction")
    app_settings = connection.settings_dict
    connection.close()
    connection.settings_dict = {**app_settings, **{k: v for k, v in owner.items() if v}}
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict = app_settings


def grant_statements(*, role: str, schema: str, append_only: list[str], quote) -> list[str]:
    """Everything the application's role may do, from nothing: the other tables in full,
    the append-only ones read and insert only."""
    role, schema = quote(role), quote(schema)
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA {schema} "
        f"TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
    ]
    if append_only:
        tables = ", ".join(quote(table) for table in append_only)
        statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE ON {tables} FROM {role}")
    tables = ", ".join(quote(table) for table in READ_ONLY_TABLES)
    statements.append(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {tables} FROM {role}")
    return statements


# pgtrigger's own function (compiler.UpsertTriggerSql, v1), with one line first: the
# application's sessions never lift a trigger. That matters where UPDATE must stay granted,
# e.g. a published disclosure, frozen by a trigger while drafts stay editable. pgtrigger
# rewrites the function when a migration installs a trigger; every migrate ends here again.
SHOULD_IGNORE = """
CREATE OR REPLACE FUNCTION {schema}._pgtrigger_should_ignore(trigger_name NAME)
RETURNS BOOLEAN AS $$
    DECLARE
        _pgtrigger_ignore TEXT[];
        _result BOOLEAN;
    BEGIN
        IF session_user = {role} OR current_user = {role} THEN
            RETURN FALSE;
        END IF;
        BEGIN
            SELECT INTO _pgtrigger_ignore CURRENT_SETTING('pgtrigger.ignore');
            EXCEPTION WHEN OTHERS THEN
        END;
        IF _pgtrigger_ignore IS NOT NULL THEN
            SELECT trigger_name = ANY(_pgtrigger_ignore) INTO _result;
            RETURN _result;
        ELSE
            RETURN FALSE;
        END IF;
    END;
$$ LANGUAGE plpgsql
"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"  # standard_conforming_strings is on


def grant_application_role(*, using: str = "default") -> bool:
    """(Re)grant the application's role its privileges; run as the owner. False when there
    is no separate role to grant to."""
    if not roles_separated():
        return False
    connection = connections[using]
    role = app_role()
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            log.warning("database role %s does not exist; nothing granted", role)
            return False
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tableowner = %s",
                       [schema, role])
        if owned := cursor.fetchone()[0]:  # left from a time with one role for everything
            log.warning("database role %s owns %d table(s), so it can still change them: "
                        "REASSIGN OWNED BY %s TO the owner (docs/operations.md)", role, owned,
                        role)
        existing = set(connection.introspection.table_names(cursor))  # e.g. migrate app 0001
        for statement in grant_statements(
            role=role, schema=schema,
            append_only=[table for table in append_only_tables() if table in existing],
            quote=connection.ops.quote_name,
        ):
            cursor.execute(statement)
        trigger_schema = pgtrigger_features.schema() or schema
        cursor.execute("SELECT to_regprocedure(%s)",
                       [f"{connection.ops.quote_name(trigger_schema)}._pgtrigger_should_ignore(name)"])
        if cursor.fetchone()[0] is not None:
            cursor.execute(SHOULD_IGNORE.format(
                schema=connection.ops.quote_name(trigger_schema), role=_literal(role)))
    return True


def grant_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate receiver (once per migrate: sent with the defpub app as sender)."""
    grant_application_role(using=using)


@register()
def check_roles_separated(app_configs=None, **kwargs):
    if roles_separated():
        return []
    return [
        Warning(
            "The application and migrations use one database role.",
            hint="Set DATABASE_OWNER_URL to the tables' owner and DATABASE_URL to a role "
            "that is neither a superuser nor the owner; migrate then grants it what it "
            "needs. Until then nothing stops the application's role from changing "
            "published evidence (docs/operations.md, 'Database roles').",
            id="defpub.W010",
        )
    ]
