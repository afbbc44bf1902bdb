"""Pure guesses from a checkout's facts: which compose file, which orchestrator, which services are
data or edge services, where the env example and the scanner reports are. Every guess carries its
reason; what cannot be known from files is marked TODO with a value that fails closed."""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nestgate.probes.readers.dockerfile_healthcheck import DockerfileError, stage_health
from nestgate.rules.bld06_compose_config import swarm_uses

if TYPE_CHECKING:
    from nestgate.init.discovery import ComposeFile

# Images (last path part, before the tag) and service names that hold data, with their default port.
DATA_KINDS = {"postgres": 5432, "postgresql": 5432, "postgis": 5432, "timescaledb": 5432, "mysql": 3306,
              "mariadb": 3306, "percona": 3306, "redis": 6379, "valkey": 6379, "keydb": 6379, "dragonfly": 6379,
              "mongo": 27017, "mongodb": 27017, "memcached": 11211, "elasticsearch": 9200, "opensearch": 9200,
              "cassandra": 9042, "couchdb": 5984, "influxdb": 8086, "clickhouse": 8123, "rabbitmq": 5672,
              "neo4j": 7687, "db": 0, "database": 0, "cache": 0}
POSTGRES_KINDS = ("postgres", "postgresql", "postgis", "timescaledb")
REDIS_KINDS = ("redis", "valkey", "keydb", "dragonfly")
APP_NAMES = ("app", "backend", "api", "server", "web")
# A name saying "production" beats one saying "development"; weights only order candidates.
NAME_HINTS = (("hardened", 4), ("prod", 3), ("secure", 3), ("stack", 2), ("swarm", 2), ("dev", -3), ("test", -3),
              ("e2e", -3), ("ci", -2), ("local", -2), ("override", -4), ("base", -1), ("example", -4))
SWARM_DEPLOY_KEYS = ("mode", "replicas", "placement", "update_config", "rollback_config", "endpoint_mode")
# Safe placeholders: left as they are, the checks that use them fail (an unresolvable host, RFC 6761).
TODO_BASE_URL = "http://set-base-url.invalid"


@dataclass(frozen=True)
class Entry:
    """One config line: `key = value` (value None: written commented out), with why and TODO."""

    key: str
    value: Any
    why: str
    todo: bool = False


@dataclass
class Plan:
    sections: dict[str, list[Entry]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # guesses that set no key (printed and written as comments)

    def add(self, section: str, key: str, value: Any, why: str, todo: bool = False) -> None:
        self.sections.setdefault(section, []).append(Entry(key, value, why, todo))

    def lines(self) -> list[str]:
        """What init prints: one line per guess and why."""
        out = [f"{'TODO ' if e.todo else ''}{s}.{e.key} = {_show(e.value)}: {e.why}"
               for s, entries in self.sections.items() for e in entries]
        return out + [f"note: {n}" for n in self.notes]


def _show(value: Any) -> str:
    return "(commented out)" if value is None else repr(value)


def _services(raw_or_resolved: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    services = (raw_or_resolved or {}).get("services")
    return {str(k): v if isinstance(v, dict) else {} for k, v in services.items()} if isinstance(services, dict) else {}


def classify(raw: dict[str, Any] | None) -> tuple[str, list[str]]:
    """"swarm", "compose" or "either", from the file as written (Compose's resolved form rewrites
    depends_on lists as conditions), with the signals that decided it."""
    swarm: list[str] = []
    compose_only: list[str] = []
    for name, svc in sorted(_services(raw).items()):
        deploy = svc.get("deploy") if isinstance(svc.get("deploy"), dict) else {}
        if keys := [k for k in SWARM_DEPLOY_KEYS if k in deploy]:
            swarm.append(f"{name}: deploy.{'/'.join(keys)}")
        # BLD-06's table of what `docker stack deploy` refuses or drops decides what is compose-only
        compose_only += [f"{name}: {use.option}" for use in swarm_uses({name: svc}) if use.fails]
    secrets = (raw or {}).get("secrets")
    if isinstance(secrets, dict) and any(isinstance(s, dict) and s.get("external") for s in secrets.values()):
        swarm.append("external secrets")
    networks = (raw or {}).get("networks")
    if isinstance(networks, dict) and any(isinstance(n, dict) and n.get("driver") == "overlay"
                                          for n in networks.values()):
        swarm.append("overlay networks")
    if swarm:
        return "swarm", swarm + [f"stack deploy cannot serve {s}" for s in compose_only if "without image" in s]
    if compose_only:
        return "compose", compose_only
    return "either", ["no swarm-only or compose-only keys"]


def _mentions(name: str, scripts: dict[str, str]) -> list[str]:
    return [path for path, text in scripts.items() if re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", text)]


def _score(f: ComposeFile, scripts: dict[str, str]) -> tuple[int, ...]:
    kind, _ = classify(f.raw)
    hint = sum(weight for word, weight in NAME_HINTS if word in f.name.lower())
    deploy_scripts = sum(1 for p in _mentions(f.name, scripts) if "deploy" in p.lower())
    return (not f.rejected, {"swarm": 2, "either": 1}.get(kind, 0), deploy_scripts, hint,
            len(_services(f.resolved or f.raw)))


def pick(files: list[ComposeFile], scripts: dict[str, str]) -> tuple[ComposeFile, str]:
    """The compose file to gate, and why: accepted over rejected, then swarm over plain over
    compose-only, then named by a deploy script, then by its name, then by its number of services."""
    best = max(files, key=lambda f: (_score(f, scripts), f.name))
    kind, signals = classify(best.raw)
    why = [f"for {kind}" + (f" ({', '.join(signals[:3])}{', ...' if len(signals) > 3 else ''})" if signals else "")]
    if used_by := [p for p in _mentions(best.name, scripts) if "deploy" in p.lower()]:
        why.append(f"named by {', '.join(used_by)}")
    if best.rejected:
        why.append(f"REJECTED by Compose ({best.rejected}): BLD-06 fails until it is fixed")
    if len(files) > 1:
        why.append(f"chosen over {len(files) - 1} other file(s)")
    return best, "; ".join(why)


def kind_of(name: str, image: str | None) -> str:
    """The data kind of a service by its image (last path part, no tag) or its name; "" for none."""
    base = (image or "").split("@")[0].rsplit("/", 1)[-1].split(":")[0].lower()
    for word in (base, name.lower()):
        for kind in DATA_KINDS:
            if re.fullmatch(rf"{kind}(?:[-_.\d]\S*)?|\S*[-_]{kind}", word):
                return kind
    return ""


def published(svc: dict[str, Any]) -> list[str]:
    """Host ports a service publishes: long syntax's `published`, short syntax's [ip:]PUBLISHED:target."""
    out = []
    for p in svc.get("ports") or []:
        if isinstance(p, dict):
            if p.get("published"):
                out.append(str(p["published"]))
        elif ":" in str(p):
            out.append(str(p).rsplit(":", 2)[-2])
    return out


def report_format(data: Any) -> str:
    """"trivy", "grype" or "sarif" by the report's top-level keys; "" for none of them."""
    if not isinstance(data, dict):
        return ""
    if "runs" in data and ("$schema" in data or "version" in data):
        return "sarif"
    if "matches" in data and "descriptor" in data:
        return "grype"
    if "SchemaVersion" in data or "ArtifactName" in data:
        return "trivy"
    return ""


def secret_prefix(resolved: dict[str, Any] | None) -> tuple[str, int, list[str]]:
    """The most common "<prefix>_" of the external secrets' names, how many share it, all names."""
    secrets = (resolved or {}).get("secrets") or {}
    names = sorted(str(s.get("name") or k) for k, s in secrets.items() if isinstance(s, dict) and s.get("external"))
    prefixes = Counter(n.split("_", 1)[0] for n in names if "_" in n)
    if not prefixes:
        return "", 0, names
    prefix, count = prefixes.most_common(1)[0]
    return prefix, count, names


def dockerfile_path(build: dict[str, Any] | str, root: str) -> str:
    """The Dockerfile a `build:` reads (resolved, or as written: a context string or a mapping),
    relative to the checkout (absolute when outside it)."""
    build = {"context": build} if isinstance(build, str) else build
    context = str(build.get("context") or ".")
    context = context if posixpath.isabs(context) else posixpath.join(root, context)
    path = posixpath.normpath(posixpath.join(context, str(build.get("dockerfile") or "Dockerfile")))
    rel = posixpath.relpath(path, root)
    return path if rel.startswith("../") else rel


def dockerfile_health(text: str, target: str | None) -> str:
    """The built stage's HEALTHCHECK in a few words, for init's printed note: the reader BLD-05 uses
    (the `target` stage else the last, inheriting from a FROM of an earlier stage)."""
    try:
        found = stage_health(text, target)
    except DockerfileError as exc:
        return str(exc)
    if found.healthcheck is None:
        return f"no HEALTHCHECK in stage {found.stage}"
    origin = f" (from {found.chain[-1]})" if found.chain[-1] != found.stage else ""
    where = f"stage {found.stage}{origin}, line {found.line}"
    return f"HEALTHCHECK NONE in {where}" if found.healthcheck.get("Test") == ["NONE"] else f"HEALTHCHECK in {where}"
