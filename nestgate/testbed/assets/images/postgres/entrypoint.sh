#!/bin/sh
# First start: initdb, the application role and database from the swarm secrets, schema and seed
# rows. Credentials are read from /run/secrets by psql itself and never appear on a command line.
set -eu
S=/run/secrets
SOCK=/run/postgresql
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"
    chmod 0700 "$PGDATA"
    initdb -D "$PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cp /etc/nestgate-postgres/pg_hba.conf "$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=$SOCK" start >/dev/null
    psql -q -v ON_ERROR_STOP=1 -h "$SOCK" -U postgres -d postgres <<SQL
\set app_user \`cat $S/postgres_user\`
\set app_db \`cat $S/postgres_db\`
\set app_pw \`cat $S/postgres_password\`
CREATE ROLE :"app_user" LOGIN CREATEDB PASSWORD :'app_pw';
CREATE DATABASE :"app_db" OWNER :"app_user";
\connect :"app_db"
SET ROLE :"app_user";
\i /etc/nestgate-postgres/schema.sql
RESET ROLE;
-- INF-09: amcheck's functions belong to the superuser even when the application role created the
-- (trusted) extension; the role nestgate reads as may run only the read-only index check.
GRANT EXECUTE ON FUNCTION bt_index_check(regclass, boolean) TO :"app_user";
SQL
    pg_ctl -D "$PGDATA" -w -m fast stop >/dev/null
    echo "postgres: initialised database and seeded tables"
fi
exec postgres -D "$PGDATA" \
    -c listen_addresses='*' -c unix_socket_directories="$SOCK" \
    -c jit=off -c max_connections=100 -c shared_buffers=32MB \
    -c log_line_prefix='%m [%p] %q%u@%d ' -c log_connections=off
