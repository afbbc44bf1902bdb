"""`nestgate kpi`: the KPI table from the watch history, printed and written as an HTML page.

`--json` prints the data the page is built from (nestgate.watch.kpi.KpiReport) instead of the table.
Exit 0: every KPI met. 1: any KPI not met or without data. 2: user error (config, history, --since).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from nestgate.config import LoadedConfig, config_path, load_config
from nestgate.errors import NestgateError
from nestgate.gate.bundle import BundleError, read_json, stamp
from nestgate.redact import REDACTOR, register_config_secrets
from nestgate.watch.history import History, HistoryError
from nestgate.watch.kpi import KpiReport, compute
from nestgate.watch.kpi_html import render
from nestgate.watch.since import parse_since


def open_existing_history(path: Path) -> History:
    """History() creates what is missing; a reader must not, so look first (read-only)."""
    if not path.is_file():
        raise HistoryError(f"history {path} does not exist (nestgate watch writes it; or give --history)")
    try:
        with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as db:
            db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    except sqlite3.DatabaseError as exc:
        raise HistoryError(f"history {path} is not a nestgate watch history: {exc}") from None
    return History(path)


def rollback_drills(reports: Path) -> list[dict[str, Any]]:
    """Every rollback drill's INF-08 evidence that `nestgate deploy` left under `reports`."""
    drills = []
    for path in sorted(reports.glob("*-deploy*/rollback.json")):  # the layout latest_rollback_drill reads
        try:
            drill = read_json(path)
        except BundleError as exc:
            print(f"nestgate kpi: skipped {exc}", file=sys.stderr)
            continue
        if isinstance(drill, dict):
            drills.append(drill)
    return drills


def table(report: KpiReport) -> str:
    rows = [("KPI", "SUBJECT", "MEASURED", "TARGET", "VERDICT", "DETAIL")]
    rows += [(r.kpi, r.subject, r.measured, r.target, r.verdict.upper(), r.detail) for r in report.rows]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row[:5], widths, strict=True)) + "  " + row[5]
                     for row in rows)


def run(target_config: str | None, history: str | None, since: str | None, out: str | None,
        root: Path, reports: Path | None = None, as_json: bool = False) -> int:
    """`root`: where nestgate.toml and reports/ are looked for (the suite), as `nestgate deploy` does."""
    cfg: LoadedConfig = load_config(config_path(target_config, root))
    REDACTOR.add_secret_env()
    register_config_secrets(cfg.model, cfg.resolve)
    watch = cfg.model.watch
    now = time.time()
    start = parse_since(since, now) if since else 0.0
    hist = open_existing_history(Path(history).resolve() if history else cfg.resolve(watch.history))
    try:
        report = compute(hist, watch.kpi, since=start, until=now, endpoints=watch.endpoints,
                         services=cfg.model.target.services, drills=rollback_drills(reports or root / "reports"))
        page = render(report, hist, watch, target=cfg.model.target.name)
    finally:
        hist.close()
    path = Path(out).resolve() if out else cfg.resolve(watch.evidence_dir) / f"kpi-{stamp()}.html"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise NestgateError(f"cannot write the KPI page {path}: {exc.strerror or exc}") from None
    if as_json:
        print(REDACTOR.scrub(json.dumps({**report.to_dict(), "target": cfg.model.target.name, "page": str(path)},
                                        indent=2)))
    else:
        print(REDACTOR.scrub(table(report)))
        print(f"\n{'ALL KPIs MET' if report.all_met else 'KPIs NOT MET'}; page: {path}")
    return 0 if report.all_met else 1
