"""INF-02 logic: required names from .env.example, placeholder kinds, values never in messages."""

import pytest

from nestgate.config.infra import DEFAULT_PLACEHOLDERS
from nestgate.errors import EvidenceUnavailable
from nestgate.probes.env_file import required_names
from nestgate.probes.readers.dotenv import names_in_env_file
from nestgate.probes.readers.inspect import env_list_to_dict
from nestgate.rules.inf02_env import compose_environment, placeholder_kind, problems

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


def test_problems_name_variable_and_kind_never_the_value():
    env = {"A": "fine-value", "B": "", "C": None, "D": "  ", "E": "s3cr3t-changeme-s3cr3t"}
    found = problems(env, ["A", "B", "C", "D", "E", "F"], DEFAULT_PLACEHOLDERS)
    text = "; ".join(p.describe() for p in found)
    assert text == ("B is empty; C is not set; D is empty; E is a placeholder (changeme); F is not set")
    assert "s3cr3t" not in text


def test_env_forms():
    assert env_list_to_dict(["A=1", "B=x=y", "C"]) == {"A": "1", "B": "x=y", "C": ""}
    assert compose_environment({"A": 1, "B": None}) == {"A": "1", "B": None}
    assert compose_environment(["A=1"]) == {"A": "1"}
    assert compose_environment(None) == {}
