#!/bin/sh
# Creates the role DefPub's web, worker and beat connect as: no superuser, owns nothing.
# The image runs this once, when it initialises an empty data volume, as POSTGRES_USER (the
# owner, which runs migrate and then grants this role its privileges). On a volume made
# before this script existed, run it by hand (docs/operations.md, "Database roles"):
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/10-defpub-app-role.sh
# Running it again only resets the role's attributes and password.
set -eu
: "${DEFPUB_APP_PASSWORD:?set DEFPUB_APP_PASSWORD for the postgres service}"
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
     -v app_password="${DEFPUB_APP_PASSWORD}" <<'SQL'
SELECT 'CREATE ROLE defpub_app LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'defpub_app') \gexec
ALTER ROLE defpub_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'app_password';
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
