"""INF-05 fault: a table in the live database that the backup role cannot read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nestgate.testbed.faults.base import Fault

if TYPE_CHECKING:
    pass

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

FAULTS = [
    Fault("backup-unreadable-table", "INF-05", "a table the backup role cannot read",
          f"database: table {TABLE} owned by the NOLOGIN role {OWNER}, all privileges revoked from "
          "PUBLIC; pg_dump as the application role (the postgres_user secret, which owns "
          "everything else) fails with `permission denied`. The app never touches the table.",
          post_apply=lambda tb: tb.psql_superuser(CREATE), pre_remove=lambda tb: tb.psql_superuser(DROP)),
]
