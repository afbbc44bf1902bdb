"""SEC-02/SEC-06 logic over names and dates, their findings, and the compose-text scan for unused
declared secrets."""

import datetime as dt

import pytest

from nestgate.probes.engine_facts import ContainerFacts
from nestgate.probes.readers.compose_secrets import ComposeTextError, declared_secrets
from nestgate.probes.swarm_objects import SecretFacts
from nestgate.rules.findings import message
from nestgate.rules.sec02_secrets import (
    clear_findings,
    expected_external,
    no_services_findings,
    referenced,
    says_secret,
    secrets_findings,
    weak_secret_findings,
    with_prefix,
)
from nestgate.rules.sec06_rotation import (
    age_days,
    describe_age,
    destructive_allowed,
    drill_findings,
    dry_run_findings,
    no_secrets_findings,
    plan_findings,
    plan_rotation,
    secret_findings,
    users_findings,
    versioned,
)

DECLARED = {"jwt": {"name": "medianest_jwt_secret_v2", "external": True}, "medianest_redis_password_v2":
            {"external": True}, "local_cert": {"file": "./cert.pem"}}


def test_expected_names_honour_name_and_skip_file_secrets():
    assert expected_external(DECLARED) == {"jwt": "medianest_jwt_secret_v2",
                                           "medianest_redis_password_v2": "medianest_redis_password_v2"}


def test_references_resolve_through_the_declaration():
    services = {"app": {"secrets": [{"source": "jwt", "target": "jwt_secret"}, "medianest_redis_password_v2"]},
                "worker": {"secrets": [{"source": "jwt"}]}, "nginx": {}}
    assert referenced(services, DECLARED) == {"medianest_jwt_secret_v2": "app, worker",
                                              "medianest_redis_password_v2": "app"}


def test_a_stack_without_services_fails_before_the_secrets_are_judged():
    [f] = no_services_findings("ms", [])
    assert (f.subject, f.property, f.measured, f.expected) == ("stack ms", "services", 0, "at least 1")
    assert str(f) == "stack ms: has no services: deploy it before the runtime checks"
    assert no_services_findings("ms", ["app"]) == []


EXPECTED = {"jwt": "m_jwt_v2", "redis": "m_redis_v2", "metrics": "m_metrics_v2"}


def test_deployed_secrets_have_no_findings():
    found = ["m_jwt_v2", "m_redis_v2", "m_metrics_v2", "other"]
    assert secrets_findings("ms", EXPECTED, found, "m", 3, {"m_jwt_v2": "app"}, {"m_redis_v2": "app"}) == []


def test_missing_count_and_unresolved_secrets_are_named():
    found = ["m_jwt_v2", "m_redis_v2", "m_extra"]
    wanted_by = {"m_jwt_v2": "app", "m_metrics_v2": "app", "m_cert": "nginx, app"}
    in_use = {"m_gone_v1": "worker"}
    found_ = secrets_findings("ms", EXPECTED, found, "m", 3, wanted_by, in_use)
    assert [(f.subject, f.property, f.measured, f.expected) for f in found_] == [
        ("stack ms", "declared external secrets missing", ["m_metrics_v2"], []),
        ("stack ms", "referenced secrets absent", ["m_cert (used by nginx, app)", "m_gone_v1 (used by worker)"], [])]
    assert message(found_) == (
        "stack ms: declared external secret(s) missing from the swarm: m_metrics_v2; "
        "secret(s) referenced by services but absent: m_cert (used by nginx, app), m_gone_v1 (used by worker)")


def test_the_prefixed_count_is_exact():
    [f] = secrets_findings("ms", {}, ["m_a_v1", "m_b_v1", "x_c_v1"], "m", 9, {}, {})
    assert (f.property, f.measured, f.expected) == ("secrets named m_*", 2, 9)
    assert f.sentence == "2 secrets named m_*, expected 9 (found: m_a_v1, m_b_v1)"
    assert secrets_findings("ms", {}, [], "m", 1, {}, {})[0].sentence == "0 secrets named m_*, expected 1 (found: none)"


def test_prefix_is_a_name_prefix_not_a_substring():
    names = ["medianest_a_v2", "medianest2_b_v1", "old_medianest_c", "medianest_d"]
    assert with_prefix(names, "medianest") == ["medianest_a_v2", "medianest_d"]


@pytest.mark.parametrize("name,parsed", [("medianest_jwt_secret_v2", ("jwt_secret", 2)),
                                         ("medianest_x_v10", ("x", 10)), ("medianest_jwt_secret", None),
                                         ("medianest_jwt_secret_v", None), ("medianest_jwt_v2_old", None)])
def test_versioned_naming(name, parsed):
    v = versioned(name, "medianest")
    assert (v.base, v.version) == parsed if parsed else v is None


def test_rotation_plan_takes_the_newest_version():
    names = ["m_jwt_secret_v2", "m_jwt_secret_v3", "m_other_v9"]
    plan = plan_rotation(names, "m", "jwt_secret")
    assert (plan.current, plan.next) == ("m_jwt_secret_v3", "m_jwt_secret_v4")
    with pytest.raises(ValueError, match="no secret m_nope_vN exists to rotate"):
        plan_rotation(names, "m", "nope")


def test_ages():
    now = dt.datetime(2026, 1, 31, tzinfo=dt.UTC)
    assert age_days(dt.datetime(2025, 11, 2, tzinfo=dt.UTC), now) == 90
    assert describe_age(90) == "90.0 days" and describe_age(1.5) == "36.0 h" and describe_age(30 / 86400) == "30 s"


NOW = dt.datetime(2026, 1, 31, tzinfo=dt.UTC)


def _secret(name: str, days_old: float) -> SecretFacts:
    return SecretFacts(id=name, name=name, created=NOW - dt.timedelta(days=days_old))


def test_no_prefixed_secret_is_nothing_to_judge():
    [f] = no_secrets_findings("m", [])
    assert (f.subject, f.property, f.measured, f.expected) == ("secrets named m_*", "count", 0, "at least 1")
    assert str(f) == "secrets named m_*: none in the swarm: nothing to judge (is the stack deployed?)"
    assert no_secrets_findings("m", [_secret("m_a_v1", 1)]) == []


def test_versioned_young_secrets_have_no_findings():
    assert secret_findings([_secret("m_jwt_secret_v2", 89.9), _secret("m_x_v10", 0)], "m", 90, NOW) == []


def test_unversioned_and_old_secrets_are_named_with_their_age():
    found = secret_findings([_secret("m_nextauth_secret", 1), _secret("m_jwt_secret_v2", 120.5)], "m", 90, NOW)
    assert [(f.subject, f.property, f.measured, f.expected) for f in found] == [
        ("secret m_nextauth_secret", "naming", "m_nextauth_secret", "m_<name>_vN"),
        ("secret m_jwt_secret_v2", "age_days", 120.5, "<= 90")]
    assert [str(f) for f in found] == [
        "secret m_nextauth_secret: does not follow the versioned naming m_<name>_vN",
        "secret m_jwt_secret_v2: is 120.5 days old (created 2025-10-02 12:00:00 UTC), max 90.0 days"]
    [young] = secret_findings([_secret("m_a_v1", 2 / 24)], "m", 0.5 / 24, NOW)  # limits may be below a day
    assert (young.measured, young.sentence) == (0.0833, "is 2.0 h old (created 2026-01-30 22:00:00 UTC), max 1800 s")


def test_a_plan_needs_a_version_to_rotate():
    assert plan_findings(["m_jwt_secret_v2"], "m", "jwt_secret") == []
    [f] = plan_findings(["m_jwt_secret_v2"], "m", "nope")
    assert (f.subject, f.property, f.measured, f.expected) == ("rotation of m_nope", "versions", [],
                                                               "a secret m_nope_vN")
    assert str(f) == "rotation of m_nope: no secret m_nope_vN exists to rotate (security.rotation.secret)"


def test_a_secret_no_service_uses_would_prove_nothing():
    assert users_findings("ms", "m_jwt_secret_v2", ["app"]) == []
    [f] = users_findings("ms", "m_jwt_secret_v2", [])
    assert (f.subject, f.property, f.measured, f.expected) == ("stack ms", "services using m_jwt_secret_v2", [],
                                                               "at least 1")
    assert str(f) == ("stack ms: no service uses m_jwt_secret_v2: rotating it would prove nothing "
                      "(pick a secret in use: security.rotation.secret)")


def _container(name: str, service: str, health: str) -> ContainerFacts:
    return ContainerFacts(name, name, service, "img", "running", health, 1, "", {})


def test_dry_run_needs_every_user_running_and_healthy():
    running = [_container("ms_app.1", "app", "healthy"), _container("ms_worker.1", "worker", ""),
               _container("ms_nginx.1", "nginx", "unhealthy")]
    assert dry_run_findings("m_jwt_v2", ["app", "worker"], running) == []  # no healthcheck is not unhealthy
    [f] = dry_run_findings("m_jwt_v2", ["app", "nginx", "api"], running)
    assert (f.subject, f.property, f.measured, f.expected) == (
        "rotation of m_jwt_v2", "users ready", {"without_running_container": ["api"], "unhealthy": ["ms_nginx.1"]},
        "every user running and healthy")
    assert f.sentence == ("could not start cleanly: services without a running container ['api'], "
                          "unhealthy containers ['ms_nginx.1']")


def test_a_failed_drill_names_both_versions():
    assert drill_findings("m_a_v2", "m_a_v3", "") == []
    [f] = drill_findings("m_a_v2", "m_a_v3", "app did not converge in 180 s")
    assert (f.subject, f.property, f.measured, f.expected) == ("rotation drill m_a_v2 -> m_a_v3", "failure",
                                                               "app did not converge in 180 s", "none")
    assert str(f) == "rotation drill m_a_v2 -> m_a_v3: failed: app did not converge in 180 s"


def test_destructive_flag_and_environment_override():
    assert not destructive_allowed(False, {})
    assert destructive_allowed(True, {})
    assert destructive_allowed(False, {"NESTGATE_ALLOW_DESTRUCTIVE": "1"})
    assert not destructive_allowed(False, {"NESTGATE_ALLOW_DESTRUCTIVE": "no"})


COMPOSE = """\
version: "3.9"
services:
  app:
    secrets: [medianest_jwt_secret_v2]
secrets:
  # the nine deploy-secure.sh creates
  medianest_jwt_secret_v2:
    external: true
  metrics: {external: true, name: medianest_metrics_token_v2}
  "legacy":
    external:
      name: medianest_legacy_v1
  tls_cert:
    file: ./tls/cert.pem
  renamed:
    name: medianest_renamed_v3   # name before external
    external: true
volumes:
  pgdata: {}
"""


def test_compose_text_scan_reads_every_style():
    got = {d.key: (d.name, d.external, d.line) for d in declared_secrets(COMPOSE)}
    assert got == {"medianest_jwt_secret_v2": ("medianest_jwt_secret_v2", True, 7),
                   "metrics": ("medianest_metrics_token_v2", True, 9),
                   "legacy": ("medianest_legacy_v1", True, 10),
                   "tls_cert": ("tls_cert", False, 13),
                   "renamed": ("medianest_renamed_v3", True, 15)}


def test_compose_text_without_secrets_and_with_an_odd_shape():
    assert declared_secrets("services:\n  app: {}\n") == []
    assert declared_secrets("secrets:\n\n  x: &anchor\n")[0].name == "x"  # YAML anchors are YAML
    with pytest.raises(ComposeTextError, match="line 3: secret 'x' has an unexpected value 5"):
        declared_secrets("secrets:\n\n  x: 5\n")
    with pytest.raises(ComposeTextError, match="line 2: the top-level secrets table is not a mapping"):
        declared_secrets("secrets:\n  - x\n")
    with pytest.raises(ComposeTextError, match=r"line 3: not valid YAML: .*node content"):
        declared_secrets("secrets:\n  x: [\n")


# -- weak config secrets and credentials in the clear (issue 15) ----------------------------------
PUBLIC = {"target.stack": "medianest-staging", "infra.database.user": "medianest", "target.services[0]": "app"}
STRONG = "9f2c4e1a7b3d8e6f0a5c"


def test_a_short_secret_is_named_by_reference_and_key_never_by_value():
    [f] = weak_secret_findings({"infra.database.password": ("{env=POSTGRES_PASSWORD}", "s3cr3t!x9")}, PUBLIC, 12)
    assert str(f) == "the secret from {env=POSTGRES_PASSWORD} (infra.database.password): is 9 characters; minimum 12"
    assert (f.measured, f.expected) == (9, ">= 12") and "s3cr3t" not in repr(f)


@pytest.mark.parametrize("value,says", [
    ("MediaNest", "equals a public name in the config (infra.database.user)"),  # case-insensitive, exact first
    ("medianest-2024-prod", "contains a public name in the config (infra.database.user)"),
    ("staging", "occurs in a public name in the config (target.stack)"),
])
def test_a_secret_that_is_a_public_name_fails_naming_the_key(value, says):
    found = weak_secret_findings({"k": ("{file=secrets/pw}", value)}, PUBLIC, 4)
    assert [f.sentence for f in found] == [says]
    assert all(value.lower() not in str(f).lower() for f in found if "public name" in f.property)


def test_a_strong_secret_and_short_public_names_pass():
    # "app" is shorter than MIN_PUBLIC_PART: a random secret containing it is no finding.
    assert weak_secret_findings({"k": ("{env=X}", STRONG + "app")}, PUBLIC, 12) == []


@pytest.mark.parametrize("name", ["JWT_SECRET", "DB_PASS", "POSTGRES_PASSWORD", "ENCRYPTION_KEY", "SECRET_KEY_BASE",
                                  "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "apiKey", "dbPassword", "requirepass",
                                  "PLEX_CLIENT_SECRET", "SMTP_CREDENTIALS", "DB_USER_PASSWORD"])
def test_names_that_say_secret(name):
    assert says_secret(name)


@pytest.mark.parametrize("name", ["JWT_SECRET_FILE", "SECRETS_DIR", "AWS_ACCESS_KEY_ID", "PUBLIC_KEY", "keyboard",
                                  "TOKEN_TTL", "NEXTAUTH_URL", "PASSENGER_COUNT", "DATABASE_USER", "CACHE_KEY_PREFIX"])
def test_names_that_do_not(name):
    assert not says_secret(name)


def _said(found):
    return [f.sentence for f in found]


def test_clear_credentials_in_the_environment_map_and_list_forms():
    env = {"JWT_SECRET": STRONG, "JWT_SECRET_FILE": "/run/secrets/jwt", "DATABASE_URL": f"postgres://u:{STRONG}@db/x",
           "AUTH_DEV_PASSWORD_BYPASS": "true", "SECRETS_DIR": "/run/secrets", "TOKEN": None, "DB_PASS": "",
           "API_KEY": "${API_KEY}", "REDIS_URL": "redis://redis:6379/0", "SESSION_TOKEN_TTL": "3600"}
    expected = ["environment JWT_SECRET holds a literal credential (not a Docker secret)",
                "environment DATABASE_URL holds a URL with a password (not a Docker secret)"]
    assert _said(clear_findings("service app (compose)", env, None, None)) == expected
    engine_form = [f"{k}={'' if v is None else v}" for k, v in env.items()]
    found = clear_findings("service app (running)", engine_form, [], [])
    assert _said(found) == expected and all(STRONG not in repr(f) for f in found)


def test_clear_credentials_in_command_and_entrypoint():
    found = clear_findings("service redis (compose)", {},
                           ["sh", "-c", f"redis-server --requirepass {STRONG} --port 6379"],
                           ["app", f"--password={STRONG}", "--db", f"mysql://root:{STRONG}@db/x",
                            "--token", "$(cat /run/secrets/token)", "--password-file=/run/secrets/pw", "--verbose"])
    assert _said(found) == [
        "entrypoint argument --password holds a literal credential (not a Docker secret)",
        "entrypoint argument (a URL) holds a URL with a password (not a Docker secret)",
        "command argument --requirepass holds a literal credential (not a Docker secret)"]
    assert all(STRONG not in repr(f) for f in found)


def test_a_service_handed_credentials_only_as_secrets_has_no_findings():
    assert clear_findings("service app (compose)", {"NODE_ENV": "production", "POSTGRES_PASSWORD_FILE":
                                                    "/run/secrets/postgres_password"},
                          ["python3", "-m", "app"], None) == []
