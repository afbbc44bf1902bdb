"""A failed webhook delivery names the origin, never the webhook's path, query or user info (which
are often its credential): real requests against a closed local port and a real HTTP server."""

import http.server
import threading

from nestgate.drills.notify import post_json, without_path
from nestgate.watch.actions import notify_webhook

CANARY = "T0CANARY/B0CANARY/xoxbCANARYtoken"


def test_an_unreachable_webhook_keeps_its_path_out_of_the_record():
    url = f"http://hook-user:hookCANARYpass@127.0.0.1:9/services/{CANARY}?sig=CANARYsig"
    record = notify_webhook(url, "{}", 2)
    assert record["ok"] is False and record["to"] == "http://127.0.0.1:9"
    assert "CANARY" not in str(record), record
    assert record["message"].startswith("unreachable: ") and "<withheld>" in record["message"]


def test_an_http_error_keeps_its_path_out_of_the_record():
    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(403)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        got = post_json(f"http://127.0.0.1:{server.server_port}/services/{CANARY}", "{}", 5)
    finally:
        server.shutdown()
    assert (got.ok, got.message) == (False, "HTTP 403")


def test_without_path_withholds_every_secret_part():
    url = "https://u:p4ss@hooks.example/x/SECRET?token=Q"
    assert without_path(f"error for {url} at /x/SECRET with token=Q", url) == (
        "error for <withheld> at <withheld> with <withheld>")
