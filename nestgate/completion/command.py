"""`nestgate complete DIR... [--out DIR]`: the Final Validation record, from evidence only.

DIR: deploy folders and gate bundles (each verified first). The watch history and the config come
from the target config. Written: completion.json, completion.html, manifest.json and SHA256SUMS.
Exit 0: every box proven. 1: a box not proven. 2: user error.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import nestgate
from nestgate.completion.boxes import judge
from nestgate.completion.evidence import Evidence, gather
from nestgate.completion.page import render
from nestgate.config import config_path, load_config
from nestgate.errors import NestgateError
from nestgate.gate.bundle import SUMS, sha256_file, stamp, unique_dir, write_tree_manifest
from nestgate.redact import REDACTOR, register_config_secrets

FORMAT = "nestgate-completion/1"
RECORD = "completion.json"
SIGNOFFS = "signoffs"


def named_bundles(ev: Evidence) -> dict[str, str]:
    """Each bundle and deploy folder the record cites, with the SHA-256 of its SHA256SUMS: a sign-off
    of the record covers exactly these files."""
    folders = [b.path for b in ev.bundles] + [d.path for d in ev.deploys]
    return {str(f): sha256_file(f / SUMS) for f in sorted(set(folders))}


def build_record(ev: Evidence) -> dict[str, Any]:
    t = ev.config.model.target
    boxes = [asdict(b) for b in judge(ev)]
    return {"format": FORMAT, "target": t.name, "stack": t.stack, "nestgate_version": nestgate.__version__,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "complete": all(b["ok"] for b in boxes), "boxes": boxes,
            "evidence": {"read": sorted(named_bundles(ev)) + ([str(ev.watch.path)] if ev.watch else []),
                         "refused": ev.rejected + ([ev.watch_problem] if ev.watch_problem else []),
                         "bundles": named_bundles(ev)}}


def run(folders: list[Path], target_config: str | None, history: str | None, out: str | None, root: Path) -> int:
    cfg = load_config(config_path(target_config, root))
    REDACTOR.add_secret_env()
    register_config_secrets(cfg.model, cfg.resolve)
    missing = [f for f in folders if not f.is_dir()]
    if missing:
        raise NestgateError(f"{missing[0]}: no such folder")
    ev = gather(cfg, [f.resolve() for f in folders], Path(history).resolve() if history else None)
    record = REDACTOR.scrub_any(build_record(ev))
    try:
        folder = Path(out).resolve() if out else unique_dir(folders[0].resolve().parent, f"completion-{stamp()}")
        folder.mkdir(parents=True, exist_ok=True)
        if any(folder.iterdir()):
            raise NestgateError(f"--out {folder}: not empty; a completion record is never written over another")
        (folder / RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        (folder / "completion.html").write_text(REDACTOR.scrub(render(record)), encoding="utf-8")
        write_tree_manifest(folder, FORMAT, target=record["target"], complete=record["complete"],
                            unhashed_dirs=[SIGNOFFS])  # sign-offs come later, each signed on its own
    except OSError as exc:
        raise NestgateError(f"cannot write the completion record: {exc.strerror or exc}") from None
    for box in record["boxes"]:
        print(f"{'✅' if box['ok'] else '✗ '} {box['line']}: {box['proof']}")
    for refused in record["evidence"]["refused"]:
        print(f"refused as evidence: {refused}")
    done = sum(1 for b in record["boxes"] if b["ok"])
    print(f"Final Validation: {'COMPLETE' if record['complete'] else 'NOT COMPLETE'} ({done}/{len(record['boxes'])}); "
          f"record {folder}")
    return 0 if record["complete"] else 1
