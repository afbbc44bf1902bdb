"""Pure: a checkout's facts -> the config plan (section -> entries, each with why), and notes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nestgate.init.guesses import (
    APP_NAMES,
    DATA_KINDS,
    POSTGRES_KINDS,
    REDIS_KINDS,
    TODO_BASE_URL,
    Plan,
    classify,
    dockerfile_health,
    dockerfile_path,
    kind_of,
    pick,
    published,
    report_format,
    secret_prefix,
)

if TYPE_CHECKING:
    from nestgate.init.discovery import Checkout


def _services(resolved: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {str(k): v for k, v in ((resolved or {}).get("services") or {}).items() if isinstance(v, dict)}


def _app(services: dict[str, dict[str, Any]], data: set[str], edge: set[str]) -> tuple[str, str]:
    candidates = [n for n, s in services.items() if n not in data and not s.get("profiles")]
    for name in APP_NAMES:
        if name in candidates:
            return name, f"the service named {name!r}"
    built = [n for n in candidates if services[n].get("build") and n not in edge]
    return (built[0], "the first built service that is neither data nor edge") if built else ("", "")


def build_plan(co: Checkout, project_dir: str, target_keys: set[str], name: str) -> Plan:
    """project_dir: the checkout as the config will name it (relative to the config's folder);
    target_keys: the [target] keys the strict config knows (newer keys are written only when known);
    name: the checkout's folder name."""
    plan = Plan()
    chosen, why = pick(co.compose_files, co.scripts)
    kind, _ = classify(chosen.raw)
    services = _services(chosen.resolved or chosen.raw)
    unprofiled = [n for n, s in services.items() if not s.get("profiles")]
    profiled = {n: list(s["profiles"]) for n, s in services.items() if s.get("profiles")}
    kinds = {n: kind_of(n, s.get("image")) for n, s in services.items()}
    data = [n for n in services if kinds[n]]
    edge = [n for n, s in services.items() if published(s) and n not in data]
    prefix, count, secret_names = secret_prefix(chosen.resolved)

    t = "target"
    plan.add(t, "name", prefix or name, "the secrets' prefix" if prefix else "the checkout's folder name")
    orchestrator = "compose" if kind == "compose" else "swarm"
    plan.add(t, "orchestrator", orchestrator, f"{chosen.name} is for {kind}" +
             (" (nestgate's default)" if kind == "either" else ""))
    plan.add(t, "stack", prefix or name, "check: the name you deploy it as (`docker stack deploy -c ... NAME`); "
             + (f"guessed from the external secrets' prefix {prefix}_" if prefix else "guessed from the folder name"),
             todo=True)
    plan.add(t, "project_dir", project_dir, "the checkout, relative to this file")
    plan.add(t, "compose_files", [chosen.name], why)
    plan.add(t, "base_url", TODO_BASE_URL, "the URL your edge service answers on; this placeholder never resolves, "
             "so every HTTP check fails until it is set", todo=True)
    plan.add(t, "services", unprofiled, "every service of the file outside profiles (they must exist and run)")
    plan.add(t, "data_services", data, "by image or name: " +
             (", ".join(f"{n} ({kinds[n]})" for n in data) if data else "none found"))
    plan.add(t, "edge_services", edge, "the services publishing ports: " +
             (", ".join(f"{n} ({', '.join(published(services[n]))})" for n in edge) if edge else "none"))
    for n in data:
        if published(services[n]):
            plan.notes.append(f"data service {n} publishes {', '.join(published(services[n]))}: not made an "
                              "edge service, so SEC-05 fails on it")
    if profiled:
        shown = ", ".join(f"{n} [{', '.join(p)}]" for n, p in profiled.items())
        if "compose_profiles" in target_keys:
            plan.add(t, "compose_profiles", "all", f"every profile is in the model (a list selects): {shown}")
        else:
            plan.notes.append(f"profiled services: {shown} (COMPOSE_PROFILES selects which are in the model)")
    if "exclude" in target_keys:
        plan.add(t, "exclude", None, "to leave a service out of judgement: exclude = [{ service = \"...\", "
                 "reason = \"...\" }] (shown in every report)")
    for f in co.compose_files:
        if f is not chosen:
            k, signals = classify(f.raw)
            plan.notes.append(f"also found {f.name}: " + (f"rejected by Compose ({f.rejected})" if f.rejected else
                              f"for {k} ({', '.join(signals[:3])})") + ", not gated")
    for n, s in services.items():
        if isinstance(s.get("build"), dict | str):
            path = dockerfile_path(s["build"], co.root.as_posix())
            df = co.dockerfiles.get(path)
            target = s["build"].get("target") if isinstance(s["build"], dict) else None
            health = dockerfile_health(df.text, target) if df and df.exists else "not found"
            plan.notes.append(f"{n} is built from {path}" + (f" (target {target})" if target else "") + f": {health}")

    if prefix:
        plan.add("security.secrets", "prefix", prefix, f"external secrets {', '.join(secret_names[:4])}"
                 + (", ..." if len(secret_names) > 4 else ""))
        plan.add("security.secrets", "expected_count", count, f"{count} external secret(s) named {prefix}_*")
    _scan(plan, co)
    plan.add("security.auth", "token", {"file": "secrets/sec03_session_token"}, "the test account's session "
             "token (or mint = { secret = { env = \"JWT_SECRET\" }, claims = { userId = \"...\" } }): missing, "
             "SEC-03 fails", todo=True)
    ports = {n: [DATA_KINDS[kinds[n]]] for n in data if DATA_KINDS[kinds[n]]}
    plan.add("security.isolation", "data_ports", ports, "each data service's default port")
    monitors = [n for n in unprofiled if "monitor" in n]
    if monitors:
        plan.add("security.monitoring", "service", monitors[0], "the service named like a monitor")
    else:
        plan.notes.append("no monitor service found: SEC-07 fails until [security.monitoring] names yours")

    app, app_why = _app(services, set(data), set(edge))
    if app:
        plan.add("performance", "pool_service", app, app_why + " (its database pool)")
        if app != "app":
            plan.add("infra", "app_reports", [{"service": app, "path": "/health/ready", "field": "checks.database"}],
                     app_why + ": its own database report (MediaNest's path)")
        plan.add("infra.env", "services", [app], app_why + ": where the app reads its environment")
    else:
        plan.notes.append("no app service found: performance.pool_service and infra.env.services keep \"app\"")
    if co.env_examples:
        plan.add("infra.env", "env_example", co.env_examples[0], "found in the checkout")
    else:
        plan.add("infra.env", "env_example", ".env.example", "no env example found: INF-02 fails until it exists",
                 todo=True)
    plan.add("infra.rollback", "drill_reports", "reports", "where `nestgate deploy --reports` records its rollback "
             "drills, relative to this file (or drill_record: another tool's record); none there, INF-08 fails",
             todo=True)
    _data(plan, "infra.database", [n for n in data if kinds[n] in POSTGRES_KINDS], kinds, "POSTGRES_PASSWORD")
    _data(plan, "infra.redis", [n for n in data if kinds[n] in REDIS_KINDS], kinds, "REDIS_PASSWORD")
    return plan


def _scan(plan: Plan, co: Checkout) -> None:
    found = [{"path": p, "format": f} for p, data in co.reports.items() if (f := report_format(data))]
    if found:
        plan.add("security.scan", "reports", found, "scanner reports found in the checkout (by content)")
    else:
        plan.add("security.scan", "reports", [{"path": "security-reports/trivy.json", "format": "trivy"}],
                 "no scanner report found: write one (trivy image --format json -o security-reports/trivy.json "
                 "IMAGE); missing, SEC-01 fails", todo=True)


def _data(plan: Plan, section: str, names: list[str], kinds: dict[str, str], env: str) -> None:
    if not names:
        plan.notes.append(f"no {section.split('.')[1]} service found: [{section}] keeps its default service name")
        return
    plan.add(section, "service", names[0], f"data service of kind {kinds[names[0]]}")
    plan.add(section, "port", DATA_KINDS[kinds[names[0]]], f"{kinds[names[0]]}'s default port")
    plan.add(section, "password", {"env": env}, "where the password comes from (env or file, never the value)",
             todo=True)
