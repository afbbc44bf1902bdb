"""INF-02 rules: required names from .env.example, placeholder kinds, values never in messages."""

import pytest

from nestgate.config.infra import DEFAULT_PLACEHOLDERS
from nestgate.errors import EvidenceUnavailable
from nestgate.probes.env_file import required_names
from nestgate.probes.readers.dotenv import names_in_env_file
from nestgate.probes.readers.inspect import env_list_to_dict
from nestgate.rules.inf02_env import compose_environment, env_findings, placeholder_kind, problem_kind

ENV_EXAMPLE = """\
# MediaNest
NODE_ENV=production
export JWT_SECRET=change-me-32-chars
# OPTIONAL_THING=1
DATABASE_URL = postgresql://u:p@postgres/medianest
NODE_ENV=development
not a line
"""


def test_names_in_env_file_skip_comments_and_duplicates():
    assert names_in_env_file(ENV_EXAMPLE) == ["NODE_ENV", "JWT_SECRET", "DATABASE_URL"]


def test_required_names_prefer_the_config_list(tmp_path):
    example = tmp_path / ".env.example"
    example.write_text(ENV_EXAMPLE)
    assert required_names(["A", "B", "A"], example) == (["A", "B"], "config infra.env.required")
    assert required_names([], example) == (["NODE_ENV", "JWT_SECRET", "DATABASE_URL"], f"file {example}")


def test_required_names_missing_or_empty_file_is_evidence_unavailable(tmp_path):
    with pytest.raises(EvidenceUnavailable, match="cannot be read"):
        required_names([], tmp_path / "absent")
    (tmp_path / "empty").write_text("# nothing\n")
    with pytest.raises(EvidenceUnavailable, match="names none"):
        required_names([], tmp_path / "empty")


@pytest.mark.parametrize(("value", "kind"), [
    ("changeme", "changeme"), ("CHANGE_ME-now", "changeme"), ("http://plex.example.local", "example"),
    ("TODO", "TODO"), ("set-me todo", "TODO"), ("fixme", "TODO"), ("$(cat /run/secrets/jwt)", "unevaluated $(...)"),
    ("`openssl rand -hex 32`", "unevaluated $(...)"), ("${JWT_SECRET}", "unresolved ${...}"),
    ("mastodon", None), ("production", None), ("postgres", None), ("http://plex.medianest.local:32400", None),
])
def test_placeholder_kinds(value, kind):
    assert placeholder_kind(value, DEFAULT_PLACEHOLDERS) == kind


def test_findings_name_variable_and_kind_never_the_value():
    env = {"A": "fine-value", "B": "", "C": None, "D": "  ", "E": "s3cr3t-changeme-s3cr3t"}
    found = env_findings("service app (compose)", env, ["A", "B", "C", "D", "E", "F"], DEFAULT_PLACEHOLDERS)
    assert [(f.subject, f.property, f.measured, f.expected) for f in found] == [
        ("service app (compose)", "B", "empty", "set to a real value"),
        ("service app (compose)", "C", "not set", "set to a real value"),
        ("service app (compose)", "D", "empty", "set to a real value"),
        ("service app (compose)", "E", "a placeholder (changeme)", "set to a real value"),
        ("service app (compose)", "F", "not set", "set to a real value")]
    assert str(found[0]) == "service app (compose): B is empty"
    text = "; ".join(f.sentence for f in found)
    assert text == ("B is empty; C is not set; D is empty; E is a placeholder (changeme); F is not set")
    assert "s3cr3t" not in repr(found)
    # Not required, yet received: empty and placeholder values fail all the same; unset (None) does not.
    assert [f.sentence for f in env_findings("x", env, ["A"], DEFAULT_PLACEHOLDERS)] == [
        "B is empty", "D is empty", "E is a placeholder (changeme)"]
    assert env_findings("x", {"A": "real", "C": None}, [], DEFAULT_PLACEHOLDERS) == []


def test_problem_kind():
    assert problem_kind(None, DEFAULT_PLACEHOLDERS) == "not set"
    assert problem_kind(" ", DEFAULT_PLACEHOLDERS) == "empty"
    assert problem_kind("TODO", DEFAULT_PLACEHOLDERS) == "a placeholder (TODO)"
    assert problem_kind("production", DEFAULT_PLACEHOLDERS) is None


def test_env_forms():
    assert env_list_to_dict(["A=1", "B=x=y", "C"]) == {"A": "1", "B": "x=y", "C": ""}
    assert compose_environment({"A": 1, "B": None}) == {"A": "1", "B": None}
    assert compose_environment(["A=1"]) == {"A": "1"}
    assert compose_environment(None) == {}
