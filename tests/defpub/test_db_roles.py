"""What the database refuses the application's role (issue 14, finding 9).

The suite connects as the application's role (tests/conftest.py); here it tries, as that
role, every write that could bend the evidence, and each one is refused by PostgreSQL with a
permission error, with `pgtrigger.ignore` too. Publishing, indexing and search still work.
"""

import pgtrigger
import psycopg
import pytest
import yaml
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from defpub.ledger.services import checkpoint_issue
from defpub.models import AuditEvent, Disclosure, LedgerCheckpoint, LedgerNode, Publication
from defpub.publications.services import publish_batch
from defpub.runtime import db_roles, embedded
from search.engine import search
from search.services import publication_index
from tests.conftest import REPO, manage
from tests.factories import DisclosureFactory

pytestmark = pytest.mark.django_db

EVIDENCE = {  # the tables issue 14 names; append_only_tables() may hold more
    "defpub_publication": Publication,  # the publication and its canonical record
    "defpub_ledgernode": LedgerNode,
    "defpub_ledgercheckpoint": LedgerCheckpoint,
    "defpub_auditevent": AuditEvent,
}
MODELS = {model._meta.db_table: model for model in db_roles.append_only_models()}


@pytest.fixture
def evidence():
    """A published, indexed disclosure and a checkpoint: a row in every evidence table."""
    disclosure = DisclosureFactory(status="approved", title_en="Ultrasonic filter membrane")
    publication = publish_batch(disclosures=[disclosure])[0]
    checkpoint_issue()
    for model in EVIDENCE.values():
        assert model.objects.exists(), model
    return publication


def refused(sql: str) -> psycopg.Error:
    """Run sql as the application's role and return PostgreSQL's refusal (42501)."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as c:
        c.execute(sql)
    cause = caught.value.__cause__
    assert isinstance(cause, psycopg.errors.InsufficientPrivilege), repr(caught.value)
    return cause


def a_column(model) -> str:
    return next(f.column for f in model._meta.concrete_fields if f.column and not f.primary_key)


def snapshot() -> dict:
    return {table: sorted(map(repr, model.objects.values_list())) for table, model in
            MODELS.items()}


def test_the_suite_runs_as_a_role_that_is_neither_superuser_nor_owner():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls "
                       "FROM pg_roles WHERE rolname = current_user")
        user, *powers = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
        owned = cursor.fetchone()[0]
    assert user == settings.DEFPUB_APP_ROLE == embedded.APP_ROLE
    assert user != settings.DEFPUB_DATABASE_OWNER["USER"]
    assert powers == [False, False, False, False]
    assert owned == 0


def test_the_evidence_tables_are_append_only():
    assert set(EVIDENCE) <= set(db_roles.append_only_tables())


@pytest.mark.parametrize("table", db_roles.append_only_tables())
def test_every_append_only_table_is_read_and_insert_only(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT p, has_table_privilege(%s, p) FROM unnest(ARRAY['SELECT', "
                       "'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER']) p", [table])
        privileges = dict(cursor.fetchall())
    assert privileges == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False,
                          "TRUNCATE": False, "TRIGGER": False}


@pytest.mark.parametrize("table", sorted(EVIDENCE))
@pytest.mark.parametrize("verb", ["UPDATE", "DELETE", "TRUNCATE"])
def test_the_application_cannot_change_or_remove_evidence(evidence, table, verb):
    before = snapshot()
    column = a_column(MODELS[table])
    sql = {"UPDATE": f"UPDATE {table} SET {column} = {column}",
           "DELETE": f"DELETE FROM {table}",
           "TRUNCATE": f"TRUNCATE {table} CASCADE"}[verb]

    error = refused(sql)

    assert f"permission denied for table {table}" in str(error)
    assert snapshot() == before


@pytest.mark.parametrize("table", sorted(EVIDENCE))
def test_pgtrigger_ignore_does_not_lift_the_protection(evidence, table):
    model = MODELS[table]
    triggers = [f"{model._meta.label}:{t.name}" for t in model._meta.triggers]
    column = a_column(model)
    before = snapshot()

    with pgtrigger.ignore(*triggers):
        refused(f"UPDATE {table} SET {column} = {column}")
        refused(f"DELETE FROM {table}")
    with pgtrigger.ignore(*triggers), pytest.raises(DatabaseError), transaction.atomic():
        model.objects.all().delete()  # through the ORM, as the probe did

    assert snapshot() == before


def test_pgtrigger_ignore_does_not_unfreeze_a_published_disclosure(evidence):
    # Drafts must stay editable, so UPDATE on disclosures stays granted: only the trigger
    # guards a published one, and the application's sessions cannot lift it.
    disclosure = evidence.disclosure
    with pgtrigger.ignore("defpub.Disclosure:published_disclosure_frozen"), \
            pytest.raises(DatabaseError, match="Cannot update"), transaction.atomic():
        Disclosure.objects.filter(pk=disclosure.pk).update(title_en="Rewritten")

    disclosure.refresh_from_db()
    assert disclosure.title_en == "Ultrasonic filter membrane"


@pytest.mark.parametrize("table", sorted(EVIDENCE))
def test_the_application_cannot_disable_triggers(evidence, table):
    assert "must be owner of table" in str(refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL"))
    refused(f"ALTER TABLE {table} DISABLE TRIGGER USER")


def test_the_application_cannot_turn_triggers_off_for_its_session(evidence):
    refused("SET session_replication_role = replica")
    refused("SET LOCAL session_replication_role = replica")
    refused(f"SET ROLE {settings.DEFPUB_DATABASE_OWNER['USER']}")


def test_the_application_cannot_rewrite_the_migration_history():
    refused("DELETE FROM django_migrations")
    refused("INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())")


def test_publishing_indexing_and_search_work_as_the_application(evidence):
    publication_index(publication_id=evidence.pk)
    checkpoint = LedgerCheckpoint.objects.get()

    results = search("ultrasonic filter membrane")

    assert results[0].number == evidence.number
    assert checkpoint.size == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == embedded.APP_ROLE


def test_the_publication_counter_stays_writable(evidence):
    second = publish_batch(disclosures=[DisclosureFactory(status="approved")])[0]

    assert second.leaf_index == evidence.leaf_index + 1
    assert int(second.number[-6:]) == int(evidence.number[-6:]) + 1


def test_a_table_created_later_is_granted_after_the_next_migrate(transactional_db):
    owner = {**connection.settings_dict, **settings.DEFPUB_DATABASE_OWNER}
    with psycopg.connect(host=owner["HOST"], port=owner["PORT"] or None, user=owner["USER"],
                         password=owner["PASSWORD"] or None, dbname=owner["NAME"],
                         autocommit=True) as conn:
        conn.execute("CREATE TABLE defpub_later_table (id bigserial PRIMARY KEY, note text)")
        try:
            with db_roles.owner_session():
                assert db_roles.grant_application_role()
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO defpub_later_table (note) VALUES ('a')")
                cursor.execute("UPDATE defpub_later_table SET note = 'b'")
                cursor.execute("DELETE FROM defpub_later_table")
        finally:
            conn.execute("DROP TABLE defpub_later_table")


def test_embedded_role_creation_is_idempotent_and_never_a_superuser():
    owner = settings.DEFPUB_DATABASE_OWNER
    with psycopg.connect(host=owner["HOST"], user=owner["USER"], dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f"ALTER ROLE {embedded.APP_ROLE} CREATEDB")  # as if an old var/ had it
        embedded.ensure_app_role(conn)
        embedded.ensure_app_role(conn)
        row = conn.execute("SELECT rolsuper, rolcreatedb, rolcanlogin FROM pg_roles "
                           "WHERE rolname = %s", [embedded.APP_ROLE]).fetchone()
    assert row == (False, False, True)


def test_one_url_for_both_roles_keeps_working_with_a_warning(tmp_path):
    env = {"DATABASE_URL": settings.DATABASE_URL, "REDIS_URL": settings.REDIS_URL,
           "DEFPUB_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "defpub.settings.base"}

    alone = manage("check", env=env)
    both = manage("check", env={**env, "DATABASE_OWNER_URL": settings.DATABASE_OWNER_URL})

    assert alone.returncode == 0, alone.stderr
    assert "(defpub.W010) The application and migrations use one database role." in alone.stderr
    assert both.returncode == 0 and "defpub.W010" not in both.stderr


def test_compose_gives_the_owner_password_to_migrate_alone():
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    init = (REPO / "deploy/postgres-init/10-defpub-app-role.sh").read_text()

    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://defpub_app:"), name
        assert "DATABASE_OWNER_URL" not in environment, name
    assert services["migrate"]["environment"]["DATABASE_OWNER_URL"].startswith(
        "postgres://defpub:")
    assert "./deploy/postgres-init:/docker-entrypoint-initdb.d:ro" in services["postgres"][
        "volumes"]
    assert "NOSUPERUSER" in init and "defpub_app" in init
