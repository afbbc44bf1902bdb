"""SEC-02 rules over secret names (never values): which external secrets the compose file expects,
which services reference which secret, which swarm secrets carry the prefix, and what is missing.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from typing import Any

from nestgate.rules.findings import Finding


def expected_external(declared_secrets: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Compose key -> the name the secret must have in the swarm (`name:` honoured)."""
    return {key: str(spec.get("name") or key) for key, spec in declared_secrets.items()
            if isinstance(spec, dict) and spec.get("external")}


def referenced(declared_services: dict[str, Any], declared_secrets: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Engine secret name -> the service(s) whose compose entry references it."""
    out: dict[str, list[str]] = {}
    for svc, spec in declared_services.items():
        for ref in spec.get("secrets") or []:
            key = ref.get("source") if isinstance(ref, dict) else str(ref)
            name = str((declared_secrets.get(key) or {}).get("name") or key)
            out.setdefault(name, []).append(svc)
    return {name: ", ".join(sorted(svcs)) for name, svcs in out.items()}


def with_prefix(names: list[str], prefix: str) -> list[str]:
    """`docker secret ls | grep medianest`, done properly: the name starts with `<prefix>_`."""
    return sorted(n for n in names if n.startswith(f"{prefix}_"))


def no_services_findings(stack: str, services: Sequence[object]) -> list[Finding]:
    """The runtime checks need a deployed stack: no service at all is a failure, not an empty pass."""
    if services:
        return []
    return [Finding(f"stack {stack}", "services", 0, "at least 1",
                    says="has no services: deploy it before the runtime checks")]


def secrets_findings(stack: str, expected: dict[str, str], found: list[str], prefix: str, expected_count: int,
                     wanted_by: dict[str, str], in_use: dict[str, str]) -> list[Finding]:
    """Every declared external secret exists, the prefixed count is the expected one, and every
    secret a service references (declared or running) exists; names only, never values."""
    subject = f"stack {stack}"
    out = []
    missing = sorted(name for name in expected.values() if name not in found)
    if missing:
        out.append(Finding(subject, "declared external secrets missing", missing, [],
                           says=f"declared external secret(s) missing from the swarm: {', '.join(missing)}"))
    prefixed = with_prefix(found, prefix)
    if len(prefixed) != expected_count:
        out.append(Finding(subject, f"secrets named {prefix}_*", len(prefixed), expected_count,
                           says=f"{len(prefixed)} secrets named {prefix}_*, expected {expected_count}"
                                f" (found: {', '.join(prefixed) or 'none'})"))
    unresolved = sorted(f"{name} (used by {who})" for name, who in {**wanted_by, **in_use}.items()
                        if name not in found and name not in missing)
    if unresolved:
        out.append(Finding(subject, "referenced secrets absent", unresolved, [],
                           says=f"secret(s) referenced by services but absent: {', '.join(unresolved)}"))
    return out


# --- Weak secrets: judged on lengths and comparisons; a value never reaches a finding. ---

MIN_PUBLIC_PART = 4  # shorter public names ("app", "db") are too common to judge containment by


def weak_secret_findings(secrets: dict[str, tuple[str, str]], public: dict[str, str],
                         min_length: int) -> list[Finding]:
    """secrets: config key -> (where it comes from, its value); public: config key -> public value.
    A secret is weak when it is short, or equals, contains or occurs in a public value of the config
    (case-insensitive): masking it would then also mask, and so give away, that public name."""
    out = []
    for key, (origin, value) in secrets.items():
        subject = f"the secret from {origin} ({key})"
        if len(value) < min_length:
            out.append(Finding(subject, "length", len(value), f">= {min_length}",
                               says=f"is {len(value)} characters; minimum {min_length}"))
        low = value.lower()
        relations = [("equals" if low == name else "contains" if len(name) >= MIN_PUBLIC_PART and name in low
                      else "occurs in" if low in name else "", pkey)
                     for pkey, name in ((k, v.lower()) for k, v in public.items())]
        # The closest relation is the one worth naming: equals, then contains, then occurs in.
        named = sorted((r for r in relations if r[0]), key=lambda r: ("equals", "contains", "occurs in").index(r[0]))
        if named:
            relation, pkey = named[0]
            out.append(Finding(subject, "public name", pkey, "no public name",
                               says=f"{relation} a public name in the config ({pkey})"))
    return out


# --- Credentials in the clear: a service's environment and arguments, never printing a value. ---

_SECRET_WORDS = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|REQUIREPASS|MASTERAUTH|APIKEY|PRIVATE_?KEY",
                           re.IGNORECASE)
_SECRET_PARTS = {"PASS", "PWD", "KEY"}  # as whole parts of a name only ("keyboard", "passenger" pass)
# A last part that makes the name one of a file, an address, a lifetime or a setting, not of the credential.
_NOT_SECRET_PARTS = {"FILE", "PATH", "DIR", "ID", "URL", "URI", "HOST", "PORT", "USER", "USERNAME",
                     "NAME", "PREFIX", "TTL", "TIMEOUT", "EXPIRY", "EXPIRES", "AGE", "LENGTH", "ALGORITHM", "ISSUER"}
_NOT_A_CREDENTIAL = re.compile(r"(?i)(|true|false|yes|no|on|off|none|null|-?\d+(\.\d+)?|[\d.]+[smhd]?)")
_URL_PASSWORD = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s/:@]*:([^\s/@]+)@")
_FROM_ELSEWHERE = re.compile(r"^(/|\$|`)|/run/secrets")  # a path, or a value the shell resolves at start


def says_secret(name: str) -> bool:
    """A variable or option name that says it holds a credential (JWT_SECRET, DB_PASS, --requirepass)."""
    split = [p.upper() for p in re.split(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])", name) if p]
    if not split or split[-1] in _NOT_SECRET_PARTS or "PUBLIC" in split:
        return False  # JWT_SECRET_FILE, SECRETS_DIR, AWS_ACCESS_KEY_ID, TOKEN_TTL, PUBLIC_KEY (DB_USER_PASSWORD is)
    return bool(_SECRET_WORDS.search(name) or set(split) & _SECRET_PARTS)


def _literal(value: str) -> bool:
    return not _NOT_A_CREDENTIAL.fullmatch(value.strip()) and not _FROM_ELSEWHERE.search(value.strip())


def _env_pairs(environment: Any) -> list[tuple[str, str]]:
    """Compose's map or list form, or the engine's ["K=V", ...]."""
    if isinstance(environment, dict):
        return [(str(k), "" if v is None else str(v)) for k, v in environment.items()]
    return [(k, v) for k, _, v in (str(e).partition("=") for e in environment or [])]


def env_findings(subject: str, environment: Any) -> list[Finding]:
    out = []
    for name, value in _env_pairs(environment):
        if _URL_PASSWORD.search(value):
            out.append(Finding(subject, f"environment {name}", "URL with a password", "a Docker secret",
                               says=f"environment {name} holds a URL with a password (not a Docker secret)"))
        elif says_secret(name) and _literal(value):
            out.append(Finding(subject, f"environment {name}", "literal credential", "a Docker secret",
                               says=f"environment {name} holds a literal credential (not a Docker secret)"))
    return out


def _words(args: list[str]) -> list[str]:
    """Arguments, with shell strings (`sh -c "redis-server --requirepass x"`) split into words."""
    out = []
    for arg in args:
        try:
            out.extend(shlex.split(arg) if " " in arg else [arg])
        except ValueError:
            out.extend(arg.split())
    return out


def args_findings(subject: str, place: str, args: Any) -> list[Finding]:
    """`--password=x` and `--password x` style options, and URLs with a password, in a command."""
    words = _words([str(a) for a in (args if isinstance(args, list) else [args] if args else [])])
    out = []
    for i, word in enumerate(words):
        option, eq, value = word.partition("=")
        if not eq and i + 1 < len(words) and not words[i + 1].startswith("-"):
            value = words[i + 1]
        what = ""
        if _URL_PASSWORD.search(word):
            what = f"argument {option if eq and option.startswith('-') else '(a URL)'} holds a URL with a password"
        elif option.startswith("-") and says_secret(option.lstrip("-")) and value and _literal(value):
            what = f"argument {option} holds a literal credential"
        if what:
            out.append(Finding(subject, f"{place} argument", option if option.startswith("-") else "URL",
                               "a Docker secret", says=f"{place} {what} (not a Docker secret)"))
    return out


def clear_findings(subject: str, environment: Any, command: Any, entrypoint: Any) -> list[Finding]:
    """Every place a credential can be handed to a service other than as a Docker secret."""
    return [*env_findings(subject, environment), *args_findings(subject, "entrypoint", entrypoint),
            *args_findings(subject, "command", command)]
