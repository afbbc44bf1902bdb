"""A Next.js-shaped build output (`frontend/.next`) of realistic layout and size.

Deterministic pseudo-content: static chunks and server files about 3 MB in total, plus a large
webpack `cache/` (which the bundle-size control excludes by default).
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

BUILD_ID = "mn8fQb1xWk2pLr7TzYc4a"
CACHE_MB = 24
BUNDLE_FILL_MB = 9  # the bundle-too-big fault's extra vendor chunk


def _hash(rng: random.Random) -> str:
    return hashlib.sha1(rng.randbytes(8)).hexdigest()[:16]


def _chunk(rng: random.Random, size: int) -> str:
    """Minified-webpack-looking JavaScript of about `size` bytes."""
    parts = [f"(self.webpackChunk_N_E=self.webpackChunk_N_E||[]).push([[{rng.randint(100, 999)}],{{"]
    total = len(parts[0])
    while total < size:
        mod = rng.randint(1000, 99999)
        names = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
        body = (f"{mod}:function(e,t,n){{\"use strict\";n.d(t,{{{names}:function(){{return r}}}});"
                f"var r=function(e){{return e&&e.__esModule?e:{{default:e}}}}(n({rng.randint(1000, 99999)}))"
                f".default.createElement(\"div\",{{className:\"mn-{names}\"}},\"{names}\")}},")
        parts.append(body)
        total += len(body)
    parts.append("}]);")
    return "".join(parts)


def write_next(frontend: Path) -> None:
    """(Re)create frontend/.next."""
    rng = random.Random(20250704)
    root = frontend / ".next"
    files: dict[str, str | bytes] = {
        "BUILD_ID": BUILD_ID,
        "package.json": json.dumps({"type": "commonjs"}),
        "routes-manifest.json": json.dumps({"version": 3, "pages404": True, "basePath": "",
                                            "dynamicRoutes": [{"page": "/media/[id]"}]}),
        "prerender-manifest.json": json.dumps({"version": 4, "routes": {}, "dynamicRoutes": {}}),
        "required-server-files.json": json.dumps({"version": 1, "config": {"output": "standalone"}}),
        f"static/{BUILD_ID}/_buildManifest.js": "self.__BUILD_MANIFEST={};self.__BUILD_MANIFEST_CB&&"
                                                "self.__BUILD_MANIFEST_CB();",
        f"static/{BUILD_ID}/_ssgManifest.js": "self.__SSG_MANIFEST=new Set;",
        "standalone/server.js": "const path=require('path');process.env.NODE_ENV='production';"
                                "require('next/dist/server/lib/start-server');\n",
        "server/pages-manifest.json": json.dumps({"/_app": "pages/_app.js", "/_document": "pages/_document.js"}),
        "server/middleware-manifest.json": json.dumps({"version": 3, "middleware": {}}),
    }
    chunks = [("webpack", 4_000), ("framework", 140_000), ("main", 115_000), ("main-app", 2_000),
              ("polyfills", 91_000), ("app/layout", 38_000), ("app/page", 64_000),
              ("app/media/page", 52_000), ("app/requests/page", 47_000), ("app/admin/page", 71_000),
              ("app/auth/signin/page", 29_000), ("pages/_app", 1_000), ("pages/_error", 1_000)]
    chunks += [(str(rng.randint(100, 999)), rng.randint(20_000, 160_000)) for _ in range(14)]
    manifest: dict[str, list[str]] = {}
    for name, size in chunks:
        rel = f"static/chunks/{name}-{_hash(rng)}.js"
        files[rel] = _chunk(rng, size)
        manifest.setdefault("/" + name.split("/")[0], []).append(rel)
    files[f"static/css/{_hash(rng)}.css"] = ".mn-root{display:flex}" * 3000
    for page in ("page", "media/page", "requests/page", "admin/page", "auth/signin/page"):
        files[f"server/app/{page}.js"] = _chunk(rng, 60_000)
    for _ in range(6):
        files[f"server/chunks/{rng.randint(100, 999)}.js"] = _chunk(rng, 45_000)
    files["build-manifest.json"] = json.dumps({"pages": manifest}, indent=1)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    # The build cache: big, binary, and not part of what ships.
    for rel, mb in (("cache/webpack/client-production/0.pack", CACHE_MB * 2 // 3),
                    ("cache/webpack/server-production/0.pack", CACHE_MB // 3)):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(mb * 2**20))


def oversized_chunk_path(frontend: Path) -> Path:
    return frontend / ".next" / "static" / "chunks" / "vendor-media-player-3f9c2a7e41d0b865.js"


def write_oversized_chunk(frontend: Path) -> None:
    rng = random.Random(7)
    oversized_chunk_path(frontend).write_text(_chunk(rng, BUNDLE_FILL_MB * 2**20))


def size_bytes(root: Path, exclude_cache: bool = True) -> int:
    return sum(p.stat().st_size for p in root.rglob("*")
               if p.is_file() and not (exclude_cache and "cache" in p.relative_to(root).parts[:1]))
