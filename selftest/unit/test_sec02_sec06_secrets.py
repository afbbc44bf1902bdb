"""SEC-02/SEC-06 logic over names and dates, and the compose-text scan for unused declared secrets."""

import datetime as dt

import pytest

from nestgate.probes.readers.compose_secrets import ComposeTextError, declared_secrets
from nestgate.rules.sec02_secrets import expected_external, referenced, with_prefix
from nestgate.rules.sec06_rotation import age_days, describe_age, destructive_allowed, plan_rotation, versioned

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
