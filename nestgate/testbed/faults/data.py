"""Data-service faults: INF-05, a table in the live database the backup role cannot read;
INF-03, a Redis password the operator holds that the server no longer accepts."""

from __future__ import annotations

import secrets as pysecrets
from typing import TYPE_CHECKING, Any

from nestgate.testbed import secrets, toml_out
from nestgate.testbed.faults.base import Fault

if TYPE_CHECKING:
    from nestgate.testbed.testbed import Testbed

STALE_REDIS = "redis_password_stale"

TABLE = "audit_log_archive"
OWNER = "audit_archiver"

CREATE = f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER}') THEN CREATE ROLE {OWNER} NOLOGIN; END IF;
END $$;
GRANT CREATE, USAGE ON SCHEMA public TO {OWNER};
CREATE TABLE IF NOT EXISTS {TABLE} (id serial PRIMARY KEY, event text NOT NULL,
                                    at timestamptz NOT NULL DEFAULT now());
ALTER TABLE {TABLE} OWNER TO {OWNER};
INSERT INTO {TABLE} (event) VALUES ('login'), ('logout'), ('password-change');
REVOKE ALL ON {TABLE} FROM PUBLIC;
"""

DROP = f"""
DROP TABLE IF EXISTS {TABLE};
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER}') THEN
    REVOKE CREATE, USAGE ON SCHEMA public FROM {OWNER};
    DROP ROLE {OWNER};
  END IF;
END $$;
"""



def _stale_redis_password(config: dict[str, Any], tb: Testbed) -> None:
    # Rotation done on the stack but not on the operator's side: the config names a file whose
    # value Redis does not accept (the stack itself keeps working: app and healthcheck use the
    # swarm secret).
    if not (secrets.secrets_dir(tb.state_dir) / STALE_REDIS).exists():
        secrets.write_value(tb.state_dir, STALE_REDIS, pysecrets.token_hex(32))
    config.setdefault("infra", {}).setdefault("redis", {})["password"] = toml_out.Inline(
        file=f"secrets/{STALE_REDIS}")


FAULTS = [
    Fault("redis-password-stale", "INF-03", "the operator's Redis password is not the server's",
          f"target config: infra.redis.password names secrets/{STALE_REDIS}, a fresh random value "
          "(a rotation that never reached the operator's copy). Redis answers WRONGPASS to it; the "
          "stack is untouched (app and healthcheck read the swarm secret), so only INF-03 sees it.",
          config=_stale_redis_password,
          post_remove=lambda tb: (secrets.secrets_dir(tb.state_dir) / STALE_REDIS).unlink(missing_ok=True)),
    Fault("backup-unreadable-table", "INF-05", "a table the backup role cannot read",
          f"database: table {TABLE} owned by the NOLOGIN role {OWNER}, all privileges revoked from "
          "PUBLIC; pg_dump as the application role (the postgres_user secret, which owns "
          "everything else) fails with `permission denied`. The app never touches the table.",
          post_apply=lambda tb: tb.psql_superuser(CREATE), pre_remove=lambda tb: tb.psql_superuser(DROP)),
]
