"""The control catalog: one control per checklist line of the deployment procedure.

IDs never change meaning once released; a retired control keeps its ID reserved.
"""

from __future__ import annotations

from dataclasses import dataclass

GATES: dict[str, str] = {
    "security": "Security Validation (CRITICAL)",
    "build": "Build System Validation (CRITICAL)",
    "performance": "Performance Validation (HIGH PRIORITY)",
    "infra": "Infrastructure Validation (HIGH PRIORITY)",
}

# A control's checks split into what the compose file says and what the running stack does.
SIDES: dict[str, str] = {
    "declared": "reads only the compose file and source tree; runs before anything is deployed",
    "runtime": "reads the running stack; fails when no stack is up",
}


@dataclass(frozen=True)
class Control:
    id: str
    gate: str
    checklist_line: str
    passes_when: str
    sides: tuple[str, ...]  # the sides its tests cover; a GO of the gate needs every one of them

    @property
    def drill(self) -> bool:
        """Its evidence comes from a drill that writes to the target (nestgate/drills/)."""
        return self.id in DRILLS


# Controls whose evidence needs a write: an image build, a secret rotation, a restore into a scratch
# database. Only their control files may import nestgate.drills.
DRILLS = frozenset({"BLD-01", "SEC-06", "INF-05"})


_ROWS: list[tuple[str, str, str, str]] = [
    ("SEC-01", "security", "Security scan confirms 0 P0/P1 vulnerabilities",
     "every configured report parses, is fresh by its own time, scanned something, covers every compose image, "
     "and lists no unwaived P0/P1 finding"),
    ("SEC-02", "security", "Docker Swarm external secrets properly deployed",
     "every declared external secret exists; prefixed secret count equals the expected count; no credential "
     "in the clear (environment, command, entrypoint), declared or running; config secrets long and no public name"),
    ("SEC-03", "security", "Authentication system functional (login/logout tested)",
     "auth health 2xx; login, protected access, wrong password refused, token rejected after logout"),
    ("SEC-04", "security", "Container security hardening verified (non-root, capabilities)",
     "non-root process, not privileged, caps dropped, no-new-privileges, read-only rootfs, no host mounts"),
    ("SEC-05", "security", "Network isolation confirmed (internal/external segregation)",
     "internal networks internal; data services internal-only, unpublished and unreachable from the host"),
    ("SEC-06", "security", "Secret rotation procedures tested and functional",
     "prefixed secrets younger than max age and versioned _vN; rotation drill when allowed"),
    ("SEC-07", "security", "Security monitoring systems active and alerting",
     "monitor healthy, heartbeat fresh, a test alert is raised within the deadline"),
    ("BLD-01", "build", "Docker build completes successfully (all services)",
     "every service with a build section builds; time and image size recorded"),
    ("BLD-02", "build", "Shared library package resolution functional",
     "the shared package resolves from each consumer to its built output"),
    ("BLD-03", "build", "TypeScript compilation passes without blocking errors",
     "type-check commands exit 0; compiler error count recorded"),
    ("BLD-04", "build", "All critical authentication tests passing",
     "the critical-path test command exits 0; a missing npm script fails naming it"),
    ("BLD-05", "build", "Container health checks respond within 30 seconds",
     "every service declares a healthcheck and each container is healthy within 30 s of start"),
    ("BLD-06", "build", "docker compose ... config --quiet passes",
     "the real Compose CLI accepts the compose files; options stack deploy ignores are reported"),
    ("PRF-01", "performance", "Bundle size reduced to <10MB (interim target)",
     "frontend build output (cache excluded) under the limit; ten largest files recorded"),
    ("PRF-02", "performance", "Container resource limits properly configured",
     "every service declares memory and CPU limits and every container has them in force"),
    ("PRF-03", "performance", "Database connection pooling operational",
     "a pool limit is set and a burst keeps connections within pool limit x replicas"),
    ("PRF-04", "performance", "Memory usage within acceptable ranges (<2GB total)",
     "sum of container memory use under the limit; per-container figures recorded"),
    ("PRF-05", "performance", "Target: <2s response time",
     "p95 and max of N requests per endpoint under the limit"),
    ("PRF-06", "performance", "Resource utilization: <80% memory, <70% CPU",
     "each container under 80% of its memory limit and 70% CPU over a window"),
    ("INF-01", "infra", "Docker Swarm initialized and operational",
     "node in an active swarm, a manager with control available, every node Ready"),
    ("INF-02", "infra", "All required environment variables configured",
     "required variables set, non-empty and free of placeholders where services get them"),
    ("INF-03", "infra", "Database connectivity confirmed across all services",
     "PostgreSQL SELECT 1, Redis PING with password, each app reports its database reachable"),
    ("INF-04", "infra", "Health monitoring endpoints responsive",
     "every health endpoint answers 2xx in time and a JSON status says healthy"),
    ("INF-05", "infra", "Backup and recovery procedures tested",
     "pg_dump restores into a scratch database with matching row counts and checksums"),
    ("INF-06", "infra", "All services running and healthy (5/5)",
     "desired replicas running and healthy for every expected service, no recent restarts"),
    ("INF-07", "infra", "Error rate: <10 errors/minute",
     "errors per minute in the services' logs over the window under the limit"),
    ("INF-08", "infra", "Rollback procedures tested and ready",
     "each built service has a previous image to roll back to; rollback drill under 5 minutes"),
    ("INF-09", "infra", "Data Integrity: 100% data consistency (measurement: database integrity checks)",
     "amcheck passes on every btree index, no foreign key has orphan rows, no table lost rows across a deploy"),
]

# The sides each control's tests cover (pinned against the collected suite by a self-test): a gate is
# complete only when every control ran on each of its sides.
_D, _R, _BOTH = ("declared",), ("runtime",), ("declared", "runtime")
_SIDES_OF: dict[str, tuple[str, ...]] = {
    "SEC-01": _D, "SEC-02": _BOTH, "SEC-03": _R, "SEC-04": _BOTH, "SEC-05": _BOTH, "SEC-06": _R, "SEC-07": _R,
    "BLD-01": _D, "BLD-02": _D, "BLD-03": _D, "BLD-04": _D, "BLD-05": _BOTH, "BLD-06": _D, "PRF-01": _D,
    "PRF-02": _BOTH, "PRF-03": _BOTH, "PRF-04": _R, "PRF-05": _R, "PRF-06": _R, "INF-01": _R, "INF-02": _BOTH,
    "INF-03": _R, "INF-04": _R, "INF-05": _R, "INF-06": _BOTH, "INF-07": _R, "INF-08": _R,
    "INF-09": _R,
}

CONTROLS: dict[str, Control] = {row[0]: Control(*row, sides=_SIDES_OF[row[0]]) for row in _ROWS}


def controls_of(gate: str) -> list[Control]:
    return [c for c in CONTROLS.values() if c.gate == gate]
