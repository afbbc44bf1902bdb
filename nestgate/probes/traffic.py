"""Timed requests for the performance gate: one at a time (PRF-05) or a burst (PRF-03).

A request that gets no answer (timeout, refused) is an Attempt with its reason, not an exception:
for a response-time or pooling target, a failed request is a measured outcome.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.http import Http

DETAIL_CHARS = 160


@dataclass(frozen=True)
class Attempt:
    elapsed_s: float
    status: int | None  # None: no HTTP answer
    error: str = ""  # why it failed ("" when it got an answer)
    detail: str = ""  # the start of a non-2xx answer's body, to say why

    def why(self) -> str:
        """One phrase for a failed attempt: its error, else its status and body excerpt."""
        return self.error or f"HTTP {self.status}{': ' + self.detail if self.detail else ''}"

    @property
    def ok(self) -> bool:
        return not self.error and self.status is not None and 200 <= self.status < 300


def timed_get(http: Http, path: str, timeout_s: float) -> Attempt:
    """GET on a new connection (as curl makes it), timed; no answer is a failed Attempt."""
    started = time.monotonic()
    try:
        answer = http.get(path, timeout_s=timeout_s, headers={"Connection": "close"})
    except EvidenceUnavailable as exc:
        return Attempt(time.monotonic() - started, None, str(exc))
    if 200 <= answer.status < 300:
        return Attempt(answer.elapsed_s, answer.status)
    return Attempt(answer.elapsed_s, answer.status, detail=" ".join(answer.excerpt(DETAIL_CHARS).split()))


@dataclass(frozen=True)
class Burst:
    attempts: list[Attempt]
    polls: list[int]  # what `poll` returned: during the burst, then once after it
    seconds: float

    def failures(self) -> list[Attempt]:
        return [a for a in self.attempts if not a.ok]

    def outcomes(self) -> dict[str, int]:
        """"200": 38, "503": 2, "no answer": 1 ..."""
        return dict(Counter(str(a.status) if a.status is not None else "no answer" for a in self.attempts))


def burst(send: Callable[[], Attempt], requests: int, concurrency: int, poll: Callable[[], int]) -> Burst:
    """Send `requests` requests, `concurrency` at a time, calling `poll` until they are all answered
    and once more after (a pool keeps its connections open when idle, so the last poll sees the
    high-water mark of such a pool even if the burst was shorter than one poll)."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(send) for _ in range(requests)]
        polls = [poll()]
        while not all(f.done() for f in futures):
            polls.append(poll())
        attempts = [f.result() for f in futures]
    seconds = time.monotonic() - started
    polls.append(poll())
    return Burst(attempts, polls, seconds)
