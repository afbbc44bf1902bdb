"""An HTTP client that keeps no cookies between requests.

Auth checks must control exactly what each request carries: a shared session's cookie jar would
silently send the login cookie along with the "without token" request, and would leak it into
other controls' requests.
"""

from __future__ import annotations

from http.cookiejar import DefaultCookiePolicy

from nestgate.probes.http import Http


def stateless_http(base_url: str, timeout_s: float) -> Http:
    client = Http(base_url, timeout_s)
    client.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return client
