"""A receiver of the CRM's webhooks that verifies their signature (standard library only).

    python docs/webhook_receiver.py --secret whsec_... --port 8765

then subscribe http://<this host>:8765/ on /interactions/webhooks/ and press "Send test
event". Every delivery is a POST of a JSON body:

    {"id": "<uuid>", "event": "entry.created", "occurred_at": "2026-11-30T07:00:00Z",
     "data": {"entries": [{"entry_no": 1042, "contact": {...}, ...}]}}

signed in the header  X-CRM-Signature: t=<unix time>,v1=<hex>,  where
v1 = HMAC-SHA256(secret, "<t>." + raw body). Verify it over the raw bytes (before parsing
the JSON), compare in constant time and refuse old timestamps (replays). Answer 2xx quickly;
anything else, or no answer within the timeout, is a failed attempt that is retried. The
same "id" may come twice (a retry after an answer that was lost): handle it once.
"""

import argparse
import hashlib
import hmac
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300


def verify_signature(*, secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """Whether `header` (the X-CRM-Signature value) signs `body` with `secret`, recently."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def handler_for(secret: str) -> type[BaseHTTPRequestHandler]:
    seen: set[str] = set()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not verify_signature(secret=secret, header=self.headers.get("X-CRM-Signature", ""), body=body):
                self.send_response(401)
                self.end_headers()
                return
            event = json.loads(body)
            if event["id"] not in seen:  # keep this in a database in real life
                seen.add(event["id"])
                print(event["event"], json.dumps(event["data"], ensure_ascii=False)[:200])
            self.send_response(204)
            self.end_headers()

    return Receiver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secret", required=True, help="the subscription's signing secret")
    parser.add_argument("--port", type=int, default=8765)
    arguments = parser.parse_args()
    ThreadingHTTPServer(("", arguments.port), handler_for(arguments.secret)).serve_forever()


if __name__ == "__main__":
    main()
