"""SEC-06 judged as of a later deploy day (security.secrets.ages_as_of): never earlier than now, a
past day refused when the config loads, and the old-secret fault's config shape."""

import datetime as dt

import pytest

from nestgate.config import load_config
from nestgate.config.security import SecretsPolicy
from nestgate.errors import ConfigError
from nestgate.probes.swarm_objects import SecretFacts
from nestgate.rules.sec06_rotation import judged_at, secret_findings
from nestgate.testbed.faults import network

NOW = dt.datetime(2026, 12, 2, 6, 30, tzinfo=dt.UTC)
TODAY = dt.datetime.now(dt.UTC).date()


def _secret(name: str, created: dt.datetime) -> SecretFacts:
    return SecretFacts(id=name, name=name, created=created)


def test_ages_are_judged_at_the_end_of_the_named_day_never_before_now():
    assert judged_at(NOW, None) == NOW
    assert judged_at(NOW, dt.date(2027, 3, 12)) == dt.datetime(2027, 3, 13, tzinfo=dt.UTC)
    assert judged_at(NOW, NOW.date()) == dt.datetime(2026, 12, 3, tzinfo=dt.UTC)  # today: its end
    assert judged_at(NOW, dt.date(2026, 1, 1)) == NOW  # a past day (config loaded yesterday) never rejuvenates


def test_a_secret_over_the_age_on_the_deploy_day_fails_saying_as_of_when():
    created = dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC)
    young = [_secret("m_jwt_secret_v2", created)]
    assert secret_findings(young, "m", 90, NOW) == []
    [old] = secret_findings(young, "m", 90, NOW, dt.date(2027, 3, 12))
    assert (old.subject, old.property, old.measured, old.expected) == ("secret m_jwt_secret_v2", "age_days",
                                                                       100.75, "<= 90")
    assert str(old) == ("secret m_jwt_secret_v2: is 100.8 days old as of 2027-03-12 (end of day, UTC) "
                        "(created 2026-12-02 06:00:00 UTC), max 90.0 days")
    # 89 days ahead the same secret is still within 90 days at the end of that day.
    assert secret_findings(young, "m", 90, NOW, dt.date(2027, 2, 28)) == []


def test_the_day_is_a_toml_date_or_an_iso_string_today_or_later():
    assert SecretsPolicy(ages_as_of=TODAY).ages_as_of == TODAY
    later = TODAY + dt.timedelta(days=100)
    assert SecretsPolicy(ages_as_of=later.isoformat()).ages_as_of == later
    assert SecretsPolicy().ages_as_of is None


@pytest.mark.parametrize("value,problem", [
    ("2020-01-01", "security.secrets.ages_as_of: 2020-01-01 is before today ("),
    ("2020-01-01", "a past day would make old secrets look young; give today or a later day"),
    ('"2020-01-01"', "security.secrets.ages_as_of: 2020-01-01 is before today ("),
    ('"2030-02-30"', "security.secrets.ages_as_of: not a day of the calendar (YYYY-MM-DD)"),
    ('"in 100 days"', "security.secrets.ages_as_of: not a day as YYYY-MM-DD"),
    ("2030-01-01T00:00:00Z", "security.secrets.ages_as_of: Input should be a valid date"),
    ("100", "security.secrets.ages_as_of: Input should be a valid date"),
])
def test_a_past_or_malformed_day_is_one_line_naming_the_key(tmp_path, value, problem):
    path = tmp_path / "nestgate.toml"
    path.write_text(f"[security.secrets]\nages_as_of = {value}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert problem in str(err.value) and "\n" not in str(err.value)


def test_a_future_toml_date_loads(tmp_path):
    path = tmp_path / "nestgate.toml"
    later = TODAY + dt.timedelta(days=1)
    path.write_text(f"[security.secrets]\nages_as_of = {later.isoformat()}\n")
    assert load_config(path).model.security.secrets.ages_as_of == later


def test_the_old_secret_fault_moves_the_clock_and_keeps_the_shipped_age():
    config = {"security": {"secrets": {"prefix": "x", "max_age_days": 90.0}}}
    network._old_secret_config(config, None)  # type: ignore[arg-type]  # the hook reads no testbed state
    policy = SecretsPolicy(**config["security"]["secrets"])
    assert policy.max_age_days == 90
    assert policy.ages_as_of == TODAY + dt.timedelta(days=network.OLD_SECRET_AHEAD_DAYS)
