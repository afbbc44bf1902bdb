"""The watch history: one SQLite file, append-only, safe across watcher restarts.

Tables:
    runs     one controls round: started/finished (epoch s), selection, exit code, verdict
    results  one row per control test per round, with its evidence (JSON, already redacted)
    samples  one row per signal per subject per sample (see nestgate.watch for the signals)
    events   one row per trigger firing: level, trigger, subject, detail, actions taken
    meta     key -> JSON value (watch start, post-deploy baseline, ...)

WAL journal: a reader (`nestgate kpi`) never blocks the watcher. Every write commits at once, so
a killed watcher loses at most the row it was writing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nestgate.errors import NestgateError

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started REAL NOT NULL, finished REAL, selection TEXT NOT NULL,
    exit_code INTEGER, verdict TEXT);
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id), ts REAL NOT NULL,
    control TEXT NOT NULL, test_id TEXT NOT NULL, outcome TEXT NOT NULL,
    duration_s REAL, message TEXT NOT NULL DEFAULT '', evidence TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL, signal TEXT NOT NULL, subject TEXT NOT NULL, value REAL NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS samples_by_signal ON samples(signal, subject, ts);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL, level INTEGER NOT NULL, trigger TEXT NOT NULL, subject TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}', actions TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class HistoryError(NestgateError):
    """The history file cannot be opened, is not a nestgate history, or cannot be written."""


@dataclass(frozen=True)
class Sample:
    signal: str
    subject: str
    value: float
    detail: dict[str, Any] = field(default_factory=dict)
    ts: float = 0.0  # set when read back; add_samples takes the time separately


@dataclass(frozen=True)
class Result:
    run_id: int
    ts: float
    control: str
    test_id: str
    outcome: str  # passed | failed | error | skipped (counted as failed by the gate)
    duration_s: float | None
    message: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class Run:
    id: int
    started: float
    finished: float | None
    selection: str
    exit_code: int | None
    verdict: str | None


@dataclass(frozen=True)
class Event:
    id: int
    ts: float
    level: int
    trigger: str
    subject: str
    detail: dict[str, Any]
    actions: list[dict[str, Any]]


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class History:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
            version = self.get_meta("schema_version")
            if version is None:
                self.set_meta("schema_version", SCHEMA_VERSION)
            elif version != SCHEMA_VERSION:
                raise HistoryError(f"history {path}: schema version {version}, this nestgate reads {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"history {path} is not a usable SQLite database: {exc}") from None
        except OSError as exc:
            raise HistoryError(f"history {path} cannot be opened: {exc.strerror or exc}") from None

    def close(self) -> None:
        self._db.close()

    def _write(self, sql: str, params: Iterable[Any] = ()) -> int:
        try:
            cur = self._db.execute(sql, tuple(params))
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"history {self.path}: write failed: {exc}") from None
        return int(cur.lastrowid or 0)

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, tuple(params)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"history {self.path}: read failed: {exc}") from None

    # meta -------------------------------------------------------------------------------------
    def set_meta(self, key: str, value: Any) -> None:
        self._write("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                    (key, _json(value)))

    def get_meta(self, key: str, default: Any = None) -> Any:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    # controls rounds --------------------------------------------------------------------------
    def start_run(self, started: float, selection: str) -> int:
        return self._write("INSERT INTO runs(started, selection) VALUES(?, ?)", (started, selection))

    def finish_run(self, run_id: int, finished: float, exit_code: int, verdict: str) -> None:
        self._write("UPDATE runs SET finished=?, exit_code=?, verdict=? WHERE id=?",
                    (finished, exit_code, verdict, run_id))

    def add_result(self, result: Result) -> None:
        self._write("INSERT INTO results(run_id, ts, control, test_id, outcome, duration_s, message, evidence) "
                    "VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                    (result.run_id, result.ts, result.control, result.test_id, result.outcome,
                     result.duration_s, result.message, _json(result.evidence)))

    def runs(self, since: float = 0.0) -> list[Run]:
        return [Run(*row) for row in self._read(
            "SELECT id, started, finished, selection, exit_code, verdict FROM runs WHERE started >= ? ORDER BY id",
            (since,))]

    def results(self, since: float = 0.0, control: str | None = None) -> list[Result]:
        sql = ("SELECT run_id, ts, control, test_id, outcome, duration_s, message, evidence FROM results "
               "WHERE ts >= ?" + (" AND control = ?" if control else "") + " ORDER BY id")
        params: tuple[Any, ...] = (since, control) if control else (since,)
        return [Result(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7])) for r in self._read(sql, params)]

    # samples ----------------------------------------------------------------------------------
    def add_samples(self, ts: float, samples: Iterable[Sample]) -> int:
        rows = [(ts, s.signal, s.subject, float(s.value), _json(s.detail)) for s in samples]
        try:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT INTO samples(ts, signal, subject, value, detail) VALUES(?, ?, ?, ?, ?)",
                                     rows)
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"history {self.path}: write failed: {exc}") from None
        return len(rows)

    def samples(self, signal: str | None = None, since: float = 0.0, until: float | None = None,
                subject: str | None = None) -> list[Sample]:
        """Samples in time order (oldest first)."""
        sql = "SELECT signal, subject, value, detail, ts FROM samples WHERE ts >= ?"
        params: list[Any] = [since]
        if until is not None:
            sql += " AND ts <= ?"
            params.append(until)
        if signal is not None:
            sql += " AND signal = ?"
            params.append(signal)
        if subject is not None:
            sql += " AND subject = ?"
            params.append(subject)
        rows = self._read(sql + " ORDER BY ts, id", params)
        return [Sample(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]

    # events -----------------------------------------------------------------------------------
    def add_event(self, ts: float, level: int, trigger: str, subject: str, detail: dict[str, Any],
                  actions: list[dict[str, Any]] | None = None) -> int:
        return self._write("INSERT INTO events(ts, level, trigger, subject, detail, actions) VALUES(?, ?, ?, ?, ?, ?)",
                           (ts, level, trigger, subject, _json(detail), _json(actions or [])))

    def set_event_actions(self, event_id: int, actions: list[dict[str, Any]]) -> None:
        self._write("UPDATE events SET actions=? WHERE id=?", (_json(actions), event_id))

    def events(self, since: float = 0.0, trigger: str | None = None) -> list[Event]:
        sql = "SELECT id, ts, level, trigger, subject, detail, actions FROM events WHERE ts >= ?"
        params: list[Any] = [since]
        if trigger is not None:
            sql += " AND trigger = ?"
            params.append(trigger)
        return [Event(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), json.loads(r[6]))
                for r in self._read(sql + " ORDER BY id", params)]
