"""What each seeded fault must fail when it is alone on the stack and all four gates run: the exact
failing tests (control and subject) and fragments their messages must carry ({i} = the instance).
Every test not listed must pass. A fault's tests must belong to its declared controls
(`Fault.controls`: its control, plus any `also` with the reason)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Expect:
    tests: tuple[str, ...]
    fragments: tuple[str, ...]


def expect(tests: list[str], fragments: list[str]) -> Expect:
    return Expect(tuple(tests), tuple(fragments))


SCAN = ["test_scan_reports_show_no_unwaived_p0_p1[SEC-01]"]
CLEAR = ["test_declared_credentials_not_in_the_clear[SEC-02]", "test_running_credentials_not_in_the_clear[SEC-02]"]
APP_HARDENING = ["test_declared_hardening[SEC-04[app]]", "test_running_hardening[SEC-04[app]]"]
BOTH_SEGREGATION = ["test_declared_segregation[SEC-05]", "test_running_segregation[SEC-05]"]

FIVE = ("app", "postgres", "redis", "nginx", "monitor")


def per_service(test: str, control: str) -> list[str]:
    return [f"{test}[{control}[{service}]]" for service in FIVE]


DECLARED_MODEL_READERS = [
    *SCAN, *CLEAR[:1], "test_external_secrets_deployed[SEC-02]",
    *per_service("test_declared_hardening", "SEC-04"),
    *per_service("test_running_hardening", "SEC-04"), *BOTH_SEGREGATION,
    "test_every_service_with_a_build_section_builds[BLD-01]",
    *per_service("test_service_declares_a_healthcheck", "BLD-05"),
    *per_service("test_limits_declared", "PRF-02"), *per_service("test_limits_in_force", "PRF-02"),
    "test_pool_limit_declared[PRF-03]", "test_pool_holds_under_burst[PRF-03]",
    "test_required_variables_declared[INF-02[app]]", *per_service("test_service_declared_with_replicas", "INF-06"),
    "test_built_services_have_previous_image[INF-08]",
]

SECURITY = {
    "scan-critical": expect(SCAN, [
        "P0/P1 vulnerabilities (blocking: CRITICAL, HIGH)", "scan/trivy.json: 1 blocking finding(s) without waiver",
        "CVE-2024-45490 CRITICAL in libexpat1 2.5.0-1 (fixed in 2.5.0-1+deb12u1)"]),
    "scan-report-stale": expect(SCAN, [
        "no current scan evidence: grype report", "scan/grype.json is 72.0 h old", "max 24 h"]),
    "scan-empty": expect(SCAN, [
        "scanned nothing: trivy report ", "scan/trivy.json lists no scanned target (no Results[].Target)"]),
    "scan-unscanned-image": expect(SCAN, [
        "image not scanned: nestgate-testbed/nginx:", " (service nginx) is in no current scan report"]),
    "missing-secret": expect(["test_external_secrets_deployed[SEC-02]"], [
        "declared external secret(s) missing from the swarm: {i}_metrics_token_v2"]),
    # A service's findings share its subject: "service app (compose): <place>; <place>".
    "clear-env-secret": expect(CLEAR, [
        "service app (compose): ", "service app (running): ",
        "environment JWT_SECRET holds a literal credential (not a Docker secret)"]),
    "clear-db-url": expect(CLEAR, [
        "service app (compose): ", "service app (running): ",
        "environment DATABASE_URL holds a URL with a password (not a Docker secret)"]),
    "clear-cli-password": expect(CLEAR, [
        "service monitor (compose): command argument --password holds a literal credential (not a Docker secret)",
        "service monitor (running): command argument --password holds a literal credential (not a Docker secret)"]),
    "weak-secret-short": expect(["test_config_secrets_are_strong[SEC-02]"], [
        "the secret from {{file=secrets/weak_rotation_value}} (security.rotation.new_value): is 9 characters; "
        "minimum 12"]),
    "weak-secret-public": expect(["test_config_secrets_are_strong[SEC-02]"], [
        "the secret from {{file=secrets/weak_rotation_value}} (security.rotation.new_value): contains a public "
        "name in the config (target."]),
    "auth-logout-keeps-token": expect(["test_login_logout_flow[SEC-03]"], [
        "protected after logout: GET /api/v1/auth/session answered 200, expected 401/403"]),
    "auth-forged-token-accepted": expect(["test_login_logout_flow[SEC-03]"], [
        "protected with a forged token: GET /api/v1/auth/session answered 200, expected 401/403",
        "protected with an unsigned token: GET /api/v1/auth/session answered 200, expected 401/403"]),
    "auth-logout-skips-csrf": expect(["test_login_logout_flow[SEC-03]"], [
        "logout without the CSRF token: POST /api/v1/auth/logout answered 200, expected 401/403"]),
    "root-user": expect(APP_HARDENING, [
        "service app (compose): user is '0:0', expected a non-root user", "container {i}_app.1.",
        "(python3) runs as UID 0/0 (real/effective), expected non-root"]),
    "privileged": expect(["test_running_hardening_of_other_containers[SEC-04]"], [
        "container {i}_privileged-debug: privileged is true, expected false", "no compose service declares it"]),
    "cap-sys-admin": expect(APP_HARDENING, [
        "service app (compose): cap_add ['SYS_ADMIN'] not in the allow-list []",
        "container {i}_app.1."]),
    "writable-rootfs": expect(APP_HARDENING, [
        "service app (compose): root filesystem is writable (read_only false), expected read-only",
        "container {i}_app.1."]),
    "docker-socket": expect(APP_HARDENING, [
        "service app (compose): mounts host path /var/run/docker.sock (docker socket), expected no sensitive host "
        "mount", "container {i}_app.1."]),
    # node-agent is a service of the compose model, so a subject of every per-service control (only SEC-04's
    # fail: it is otherwise hardened, limited and healthy); it is no "other" container, being declared.
    "host-network": expect(["test_declared_hardening[SEC-04[node-agent]]",
                            "test_running_hardening[SEC-04[node-agent]]"], [
        "service node-agent (compose): shares the host network namespace", "container {i}_node-agent.1."]),
    "hardening-drift": expect(["test_running_hardening[SEC-04[redis]]"], [
        "container {i}_redis.1.", "declared and running disagree on read_only: declared True, running False"]),
    "db-port-published": expect(BOTH_SEGREGATION, [
        "data service postgres: publishes", ":5432/tcp", "only edge services ['nginx'] may publish"]),
    "network-not-internal": expect(BOTH_SEGREGATION, [
        "data service postgres: attaches to non-internal network(s) ['data-open']",
        "attached to non-internal network(s) ['{i}_data-open']",
        "a TCP connect from the host reached it at", ":5432 connected (expected refused)"]),
    "unversioned-secret": expect(["test_secret_ages_and_versioned_names[SEC-06]"], [
        "secret {i}_nextauth_secret: does not follow the versioned naming {i}_<name>_vN"]),
    "old-secret": expect(["test_secret_ages_and_versioned_names[SEC-06]"], [
        # every secret is old; the message names the first (the others: "and 8 more", in the evidence)
        "secret {i}_encryption_key_v2: is ", " days old as of ", " (end of day, UTC) (created ", ", max 90.0 days",
        "and 8 more findings"]),
    "runtime-cap-added": expect(["test_running_hardening[SEC-04[app]]"], [
        "container {i}_app.1.", "cap_add ['SYS_ADMIN'] not in the allow-list []",
        "declared and running disagree on cap_add: declared [], running ['SYS_ADMIN']"]),
    "runtime-socket-mount": expect(["test_running_hardening[SEC-04[app]]"], [
        "container {i}_app.1.",
        "mounts host path /var/run/docker.sock (docker socket), expected no sensitive host mount",
        "declared and running disagree on binds: declared [], running ['/var/run/docker.sock']"]),
    "monitor-down": expect(["test_monitor_active_and_alerting[SEC-07]"], [
        # the second finding (the test alert not raised) is in the evidence; the capped message counts it
        "heartbeat: GET /monitor/heartbeat answered 200 with no usable heartbeat", "and 1 more findings"]),
}

BUILD = {
    "broken-dockerfile": expect(["test_every_service_with_a_build_section_builds[BLD-01]"], [
        "service app: docker build failed at [", "COPY app/requirements.lock",
        '"/app/requirements.lock" not found']),
    "buildkit-broken": expect(["test_every_service_with_a_build_section_builds[BLD-01]"], [
        "service app: docker build failed at [", "RUN --mount=type=secret,id=npmrc,required=true",
        "secret npmrc not found"]),
    "shared-stale-copy": expect(["test_shared_package_resolves_to_its_built_output[BLD-02[backend]]"], [
        "@medianest/shared from consumer backend: require and import: resolved to "
        "backend/node_modules/@medianest/shared/dist/index.js, outside the built output shared/dist"]),
    "type-error": expect(["test_typecheck_commands_pass_with_no_errors[BLD-03]"], [
        "`npm run typecheck` reports 1 TypeScript error(s) (exit status 2)",
        "@medianest/backend: src/release-notes.ts(2,14): error TS2322"]),
    "missing-npm-script": expect(["test_critical_path_tests_pass[BLD-04]"], [
        "npm script 'test:critical-path' is not defined in", "package.json", "(defined: build, typecheck)"]),
    "no-healthcheck": expect(["test_service_declares_a_healthcheck[BLD-05[nginx]]",
                              "test_containers_become_healthy_within_the_limit[BLD-05[nginx]]"], [
        "service nginx: has its healthcheck disabled (compose file)", "has no healthcheck (State.Health absent)"]),
    "late-healthy": expect(["test_containers_become_healthy_within_the_limit[BLD-05[monitor]]"], [
        "service monitor: container", "s after its start (limit 30 s; from "]),
    "critical-test-fails": expect(["test_critical_path_tests_pass[BLD-04]"], [
        "`npm run test:critical-path`: exited 1, 1 of 8 test(s) failed: the password policy accepts a long "
        "passphrase"]),
    "stack-rejected": expect(["test_compose_accepts_the_compose_files[BLD-06]"], [
        "docker stack deploy would reject", "services.app.depends_on must be a list"]),
    # Every control that needs the declared model fails closed on the same message (Fault.also says why).
    "compose-rejected": expect(["test_compose_accepts_the_compose_files[BLD-06]", *DECLARED_MODEL_READERS], [
        "BLD-06: Compose rejects ", 'service "app" depends on undefined service "database"',
        "evidence unavailable: compose model unavailable: see BLD-06 (docker compose config exited "]),
}

PERFORMANCE = {
    "bundle-too-big": expect(["test_frontend_bundle_under_limit[PRF-01]"], [
        "PRF-01: frontend build output frontend/.next: 11.", "limit 10 MiB",
        "vendor-media-player-3f9c2a7e41d0b865.js (9.00 MiB)"]),
    "no-memory-limit": expect(["test_limits_declared[PRF-02[monitor]]", "test_limits_in_force[PRF-02[monitor]]"], [
        "PRF-02: service monitor: declares no memory limit (memory none, cpus 0.25) in deploy.resources.limits",
        "runs with no memory limit (in force: memory none, cpus 0.25; declared: memory none"]),
    "pool-unbounded": expect(["test_pool_limit_declared[PRF-03]", "test_pool_holds_under_burst[PRF-03]"], [
        "PRF-03: service app: DB_POOL_MAX=0 sets no limit (must be 1 or more)",
        "a burst of 40 requests (20 at once) to /health/ready held up to"]),
    "pool-leaks-connections": expect(["test_pool_holds_under_burst[PRF-03]"], [
        "PRF-03: service app: a burst of 40 requests (20 at once) to /health/ready held up to",
        "over the pool limit 10 x 1 replica(s) = 10 (DB_POOL_MAX=10)"]),
    "memory-over-total": expect(["test_stack_memory_total_under_limit[PRF-04]"], [
        "PRF-04: stack {i}: uses ", " MiB of memory in total (peak of ", "limit 2048 MiB; largest: {i}_monitor.1."]),
    "slow-api": expect(["test_response_time_under_limit[PRF-05[/api/health]]"], [
        "PRF-05: GET ", "/api/health: p95 ", "limit 2 s"]),
    "memory-hog": expect(["test_utilization_under_limits[PRF-06[monitor]]"], [
        "PRF-06: service monitor: container {i}_monitor.1.", "MiB of its 128 MiB memory limit (8", "limit 80 %"]),
}

INFRA = {
    "placeholder-env": expect(["test_required_variables_declared[INF-02[app]]",
                               "test_required_variables_running[INF-02[app]]"], [
        "PLEX_SERVER_URL is a placeholder (changeme)", "service app"]),
    "redis-password-stale": expect(["test_redis_answers_ping_with_password[INF-03]"], [
        "Redis service redis at 10.", "did not answer PING", "secrets/redis_password_stale", "answered 'NOAUTH"]),
    "slow-health": expect(["test_health_endpoint_answers_healthy[INF-04[/health]]"], [
        "health endpoint /health: not responsive after", "(timeout 10 s)"]),
    "unhealthy-health-body": expect(["test_health_endpoint_answers_healthy[INF-04[/health]]"], [
        "health endpoint /health: answered HTTP 200", "status='degraded'"]),
    # Nestgate's one path into PostgreSQL (INF-03, PRF-03's connection count, INF-05's drill) is refused.
    "postgres-refuses-connections": expect(["test_postgres_answers_select_1[INF-03]",
                                            "test_pool_holds_under_burst[PRF-03]",
                                            "test_backup_restores_to_identical_copy[INF-05]",
                                            "test_btree_indexes_pass_amcheck[INF-09]",
                                            "test_foreign_keys_have_no_orphan_rows[INF-09]"], [
        # the capped lines keep the start of psql's reason (the whole of it is in the evidence)
        "did not answer SELECT 1 (exit 2, answer '')", "FATAL: pg_hba.conf",
        "PRF-03: evidence unavailable: pg_stat_activity via postgresql://medianest@",
        "INF-05: evidence unavailable: listing the tables of medianest on postgresql://medianest@",
        "INF-09: evidence unavailable: reading the amcheck extension on postgresql://medianest@",
        "INF-09: evidence unavailable: counting foreign-key orphans on postgresql://medianest@"]),
    # The burst of PRF-03 goes to the endpoint whose report says down (503 not_ready).
    "app-db-report-down": expect(["test_app_reports_database_reachable[INF-03[app]]",
                                  "test_pool_holds_under_burst[PRF-03]"], [
        "INF-03: app service app: reports its database 'down' at checks.database of GET http://127.0.0.1:",
        "/health/ready (HTTP 503); expected one of healthy, ok, up, pass, ready, alive",
        "40 of 40 burst requests to /health/ready failed", "client not registered"]),
    "backup-unreadable-table": expect(["test_backup_restores_to_identical_copy[INF-05]"], [
        "pg_dump failed (exit 1)", "table audit_log_archive cannot be read by role medianest"]),
    "replica-unschedulable": expect(["test_service_replicas_running_and_healthy[INF-06[nginx]]"], [
        "service nginx: 1/2 replicas running (replicated)", "pending"]),
    "error-burst": expect(["test_error_rate_under_limit[INF-07]"], [
        "errors within one minute", "limit: under 10/minute", "_app.1.", "ERROR plex-sync"]),
    "no-rollback-image": expect(["test_built_services_have_previous_image[INF-08]"], [
        "monitor: no previous image recorded to roll back to (no PreviousSpec)"]),
    "index-disagrees-with-table": expect(["test_btree_indexes_pass_amcheck[INF-09]"], [
        "index public.media_requests_title_sort_idx on table public.media_requests", "bt_index_check failed",
        "lacks matching index tuple"]),
    "orphan-row": expect(["test_foreign_keys_have_no_orphan_rows[INF-09]"], [
        "foreign key media_requests_user_id_fkey of table public.media_requests", "1 orphan row(s)",
        "references no row of public.users (NOT VALID"]),
}

EXPECTED: dict[str, Expect] = {**SECURITY, **BUILD, **PERFORMANCE, **INFRA}
