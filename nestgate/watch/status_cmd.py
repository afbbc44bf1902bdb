"""`nestgate status`: the Status Update Template from the watch history, as text or --json.

Exit 0: OPERATIONAL. 1: DEGRADED or OUTAGE (a pipeline can page on it). 2: user error.
"""

from __future__ import annotations

import json
from pathlib import Path

from nestgate.config import config_path, load_config
from nestgate.redact import REDACTOR, register_config_secrets
from nestgate.watch.kpi_cmd import open_existing_history
from nestgate.watch.status import OPERATIONAL, build, render_text


def run(target_config: str | None, history: str | None, root: Path, eta: str, next_update_min: float,
        as_json: bool) -> int:
    cfg = load_config(config_path(target_config, root))
    REDACTOR.add_secret_env()
    register_config_secrets(cfg.model, cfg.resolve)
    hist = open_existing_history(Path(history).resolve() if history else cfg.resolve(cfg.model.watch.history))
    try:
        update = build(hist, eta=eta, next_update_s=next_update_min * 60.0)
    finally:
        hist.close()
    target = cfg.model.target.name
    text = json.dumps({"target": target, **update.to_dict()}, indent=2) if as_json else render_text(update, target)
    print(REDACTOR.scrub(text))
    return 0 if update.status == OPERATIONAL else 1
