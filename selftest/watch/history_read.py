"""Reading a watch history from a self-test, beside the running watcher."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def query(history: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read-only, beside a running watcher (WAL: readers never block it); [] before the watcher
    created the file or its tables."""
    if not history.exists():
        return []
    db = sqlite3.connect(f"file:{history}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []
    finally:
        db.close()
