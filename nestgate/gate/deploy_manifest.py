"""The deploy manifest: what the gate judged, by identity, so that the deploy can be held to it.

`nestgate deploy` records it before the gates run and again just before the deploy command:
the SHA-256 of every compose file and env file, the resolved compose model's hash, the image ID each
image of the model resolves to on the engine now, and the creation times of the secrets and networks
the model uses. Any difference refuses the deploy. After the deploy, every running task of the stack
must run the image ID judged for its service.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from nestgate.config import LoadedConfig
from nestgate.gate.bundle import sha256_file
from nestgate.probes.declared import DeclaredModel, load_declared
from nestgate.probes.engine import Engine
from nestgate.rules.sec01_scan import model_images

FORMAT = "nestgate-deploy-manifest/1"


def _env_files(cfg: LoadedConfig, model: DeclaredModel) -> list[Path]:
    """Compose's interpolation file (.env beside the project) and every env_file a service names."""
    paths = [cfg.project_dir / ".env"]
    for service in model.services.values():
        entries = service.get("env_file", default=[]) or []
        for entry in entries if isinstance(entries, list) else [entries]:
            path = entry.get("path") if isinstance(entry, dict) else entry
            if path:
                paths.append(cfg.project_dir / str(path))
    return sorted({p for p in paths if p.is_file()})


def _network_name(stack: str, key: str, spec: dict[str, Any]) -> str:
    return str(spec.get("name") or (key if spec.get("external") else f"{stack}_{key}"))


def record(cfg: LoadedConfig) -> dict[str, Any]:
    """The manifest of what a deploy of the target config would use now. Raises NestgateError when
    the compose model or the engine cannot be read: nothing is deployed on facts not read."""
    stack = cfg.model.target.stack
    model = load_declared(cfg)
    engine = Engine.for_target(cfg.model.target)
    specs = {name: s.spec for name, s in model.services.items()}
    return {
        "format": FORMAT,
        "stack": stack,
        "compose_files": {str(p): sha256_file(p) for p in cfg.compose_paths},
        "env_files": {str(p): sha256_file(p) for p in _env_files(cfg, model)},
        "model_sha256": hashlib.sha256(json.dumps(model.raw, sort_keys=True).encode()).hexdigest(),
        "images": {image: {"id": engine.image_id(image), "services": services}
                   for image, services in model_images(specs, stack).items()},
        "secrets": {model.secret_name(key): engine.secret_created(model.secret_name(key)) for key in model.secrets},
        "networks": {name: engine.network_created(name) for name in
                     sorted({_network_name(stack, k, v or {}) for k, v in model.networks.items()})},
    }


def digest(manifest: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()


def _short(value: Any) -> str:
    text = "absent" if value is None else str(value)
    return text[:19] if text.startswith("sha256:") else text[:12] if len(text) == 64 else text


def differences(judged: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What changed between the manifest the gate judged and the one just before the deploy."""
    out = []
    for section, what in (("compose_files", "compose file"), ("env_files", "env file"),
                          ("secrets", "secret"), ("networks", "network")):
        before, after = judged.get(section, {}), now.get(section, {})
        for name in sorted(set(before) | set(after)):
            if before.get(name, "missing") != after.get(name, "missing"):
                out.append(f"{what} {name}: {_short(before.get(name, 'not judged'))} when judged, "
                           f"{_short(after.get(name, 'gone'))} now")
    if judged.get("model_sha256") != now.get("model_sha256") and not out:
        out.append("the resolved compose model changed")
    before, after = judged.get("images", {}), now.get("images", {})
    for image in sorted(set(before) | set(after)):
        was, is_ = (before.get(image) or {}).get("id", "not judged"), (after.get(image) or {}).get("id", "gone")
        if was != is_:
            out.append(f"image {image}: {_short(was)} when judged, {_short(is_)} now")
    return out


def judged_image_ids(manifest: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Service -> (image reference, image ID the gate judged)."""
    return {service: (image, entry.get("id")) for image, entry in manifest.get("images", {}).items()
            for service in entry.get("services", [])}


def running_image_problems(cfg: LoadedConfig, manifest: dict[str, Any]) -> list[str]:
    """Every running task of the stack runs the image ID the gate judged for its service; a task
    whose image cannot be read (another node's container) is a problem naming the node."""
    engine = Engine.for_target(cfg.model.target)
    judged = judged_image_ids(manifest)
    local_node = engine.swarm().node_id
    problems = []
    # Whether each service runs at all is INF-06's question (in the default post-deploy gate);
    # this check is about what runs.
    for service in engine.service_states():
        for task in (t for t in service.tasks if t.desired_state == "running" and t.state == "running"):
            image, expected = judged.get(service.name, (None, None))
            if image is None:
                problems.append(f"service {service.name}: runs task {task.id[:12]} but is not in the gated model")
                continue
            if task.node_id != local_node:
                problems.append(f"service {service.name}: task {task.id[:12]} runs on node {task.node_id[:12]}, "
                                "whose containers this engine cannot inspect: its image is unverified")
                continue
            actual = engine.container_image_id(task.container_id)
            if actual != expected:
                problems.append(f"service {service.name}: task {task.id[:12]} runs image {_short(actual)}, "
                                f"the gate judged {image} = {_short(expected)}")
    return problems
