"""HTTP probe: one requests session, a timeout on every call, bounded retries on connect errors only."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from nestgate.errors import EvidenceUnavailable, one_line

# Retries cover a connection refused while a proxy restarts; a slow answer is never retried,
# since a timing control must see it.
CONNECT_RETRIES = 2


@dataclass(frozen=True)
class HttpResult:
    method: str
    url: str
    status: int
    elapsed_s: float
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The parsed body, or None when it is not JSON."""
        try:
            return requests.models.complexjson.loads(self.body)
        except ValueError:
            return None

    def excerpt(self, limit: int = 200) -> str:
        return self.body[:limit].decode("utf-8", "replace")


class Http:
    def __init__(self, base_url: str, timeout_s: float) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout_s = timeout_s
        self.session = requests.Session()
        # read=False: a read timeout is raised as itself (ReadTimeout), not wrapped as "max retries".
        retry = Retry(total=CONNECT_RETRIES, connect=CONNECT_RETRIES, read=False, status=0, other=0,
                      backoff_factor=0.2, allowed_methods=None, raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=32)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path.lstrip("/"))

    def request(self, method: str, path: str, timeout_s: float | None = None, **kwargs: Any) -> HttpResult:
        url = self.url(path)
        timeout = timeout_s or self.timeout_s
        started = time.monotonic()
        try:
            resp = self.session.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
        except requests.exceptions.Timeout:
            raise EvidenceUnavailable(f"{method} {url}: no answer within {timeout:g} s") from None
        except requests.exceptions.RequestException as exc:
            reason = one_line(exc)
            raise EvidenceUnavailable(f"{method} {url}: unreachable: {reason}") from None
        return HttpResult(
            method=method,
            url=url,
            status=resp.status_code,
            elapsed_s=time.monotonic() - started,
            headers=dict(resp.headers),
            body=resp.content,
        )

    def get(self, path: str, **kwargs: Any) -> HttpResult:
        return self.request("GET", path, **kwargs)
