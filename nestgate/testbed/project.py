"""The instance's MediaNest-like source tree: rendered from assets, npm-installed, shared built.

This is the target project directory nestgate's build gate reads (compose file, Dockerfiles,
`shared/` → `@medianest/shared`, `backend/` consuming it, `frontend/.next`, `.env.example`).
Faults patch files here; `up` renders it only when it is missing or its template changed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2

from nestgate.testbed import frontend
from nestgate.testbed.compose import TEMPLATE as COMPOSE_TEMPLATE
from nestgate.testbed.hashing import hash_files, read_tree
from nestgate.testbed.paths import cache_dir
from nestgate.testbed.run import run

PROJECT_ASSETS = Path(__file__).parent / "assets" / "project"
NPM_TIMEOUT_S = 300
NPM_FLAGS = ["--no-audit", "--no-fund", "--loglevel=error", "--ignore-scripts"]


def render_files(context: dict[str, object]) -> dict[str, bytes]:
    """Every file of the tree as rendered bytes (templates `*.j2` rendered, others verbatim)."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    out: dict[str, bytes] = {}
    for rel, data in read_tree(PROJECT_ASSETS, skip=["node_modules"]).items():
        if (PROJECT_ASSETS / rel) == COMPOSE_TEMPLATE or "__pycache__" in rel:
            continue  # the compose file is rendered from the stack model (compose.py)
        if rel.endswith(".j2"):
            out[rel[:-3]] = env.from_string(data.decode()).render(**context).encode()
        else:
            out[rel] = data
    return out


def write_files(dest: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def image_context_hash(files: dict[str, bytes], prefix: str, dockerfile: str) -> str:
    """Content hash of what an image build reads: its Dockerfile and its copied sources."""
    picked = {k: v for k, v in files.items() if k.startswith(prefix) or k == dockerfile}
    return hash_files(picked)


def _typescript_modules(root_package: bytes) -> Path:
    """Root node_modules (typescript), installed once per package.json content and shared."""
    key = hash_files({"package.json": root_package})
    cached = cache_dir() / "npm" / key
    if not (cached / "node_modules" / ".bin" / "tsc").exists():
        tmp = cached.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        (tmp / "package.json").write_bytes(root_package)
        run(["npm", "install", *NPM_FLAGS], cwd=tmp, timeout=NPM_TIMEOUT_S)
        shutil.rmtree(cached, ignore_errors=True)
        tmp.rename(cached)
    return cached


def build_tree(dest: Path, files: dict[str, bytes]) -> None:
    """Write the tree, install node_modules (from the cache), build shared/dist, make .next."""
    write_files(dest, files)
    cached = _typescript_modules(files["package.json"])
    shutil.rmtree(dest / "node_modules", ignore_errors=True)
    # Hard links: instant, and nothing ever writes inside node_modules.
    run(["cp", "-al", str(cached / "node_modules"), str(dest / "node_modules")], timeout=120)
    shutil.copy2(cached / "package-lock.json", dest / "package-lock.json")
    run(["npm", "run", "--silent", "build", "--prefix", "shared"], cwd=dest, timeout=NPM_TIMEOUT_S)
    # `file:../shared` becomes a symlink in backend/node_modules, exactly as npm makes it.
    run(["npm", "install", "--offline", *NPM_FLAGS], cwd=dest / "backend", timeout=NPM_TIMEOUT_S)
    frontend.write_next(dest / "frontend")
