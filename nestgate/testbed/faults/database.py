"""INF-03 faults on the database's two witnesses: PostgreSQL itself refusing new connections on
nestgate's path while the app keeps working, and the app's own report saying the database is down
while it is fine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nestgate.testbed import stack
from nestgate.testbed.faults.app import env
from nestgate.testbed.faults.base import Fault

if TYPE_CHECKING:
    from nestgate.testbed.testbed import Testbed

HBA = "$PGDATA/pg_hba.conf"  # in the data volume: the change survives a restart of postgres
MARK = "# nestgate fault postgres-refuses-connections"
# pg_hba.conf is matched top down: a first line rejecting TCP logins from the server's own
# addresses. The app connects from its own container's address (the next lines admit it); the
# superuser's socket (`local`) and the healthcheck's pg_isready are untouched.
REJECT = "host all all samehost reject"
# Through the postgres user's own shell in the container; the reload is the superuser's, on the socket.
_ADD = (f"grep -qxF '{MARK}' {HBA} || "
        f"{{ printf '%s\\n' '{MARK}' '{REJECT}' | cat - {HBA} > {HBA}.new && mv {HBA}.new {HBA}; }}")
_DROP = f"grep -vxF -e '{MARK}' -e '{REJECT}' {HBA} > {HBA}.new; mv {HBA}.new {HBA}"
RELOAD = "SELECT pg_reload_conf()"


def _edit_hba(script: str):
    def hook(tb: Testbed) -> None:
        stack.exec_in(tb.instance, "postgres", ["sh", "-c", script])
        tb.psql_superuser(RELOAD)
    return hook


SAME_PATH = ("nestgate's psql runs inside the postgres container against the server's own overlay "
             "address as infra.database.user, the one path and role INF-03, INF-05 and PRF-03 share")

FAULTS = [
    Fault("postgres-refuses-connections", "INF-03", "PostgreSQL refuses new connections from nestgate's path",
          f"database: `{REJECT}` at the top of pg_hba.conf (in the data volume), then pg_reload_conf(). "
          "New TCP logins from the server's own addresses (where nestgate's psql connects from) get "
          "`pg_hba.conf rejects connection`; the app's connections come from its own address and go on, "
          "so the app answers and reports its database up. Removal deletes the line and reloads.",
          post_apply=_edit_hba(_ADD), pre_remove=_edit_hba(_DROP),
          also={"PRF-03": f"its burst check counts connections in pg_stat_activity through psql ({SAME_PATH}): "
                          "refused, so it fails closed (evidence unavailable); its declared check passes",
                "INF-05": f"the backup drill's psql and pg_dump connect the same way ({SAME_PATH}): refused",
                "INF-09": f"its amcheck and foreign-key queries run through psql the same way ({SAME_PATH}): "
                          "refused, so both fail closed (evidence unavailable)"}),
    Fault("app-db-report-down", "INF-03", "the app's /health/ready reports the database down; it is fine",
          "compose: app READY_DB_CLIENT_REGISTERED=false: like MediaNest's ready handler, which reports "
          "app.get('prisma'), it finds no registered client and answers 503 not_ready with checks.database "
          "down. Every query of the app works; psql and the backup drill do too.",
          compose=env("app", "READY_DB_CLIENT_REGISTERED", "false"),
          also={"PRF-03": "its burst goes to performance.pool_burst_path = /health/ready, the endpoint whose "
                          "report says down: MediaNest answers it 503 not_ready, and every burst request must "
                          "be answered 2xx"}),
]
