#!/usr/bin/env python3
"""A webhook receiver for trying RelayBook: it verifies each request's
X-Relay-Signature with the webhook's secret (the check of the public docs),
prints one line per event, and answers 200 (401 when the signature is wrong).

    python3 scripts/receiver.py --port 9000 --secret whsec_... [--count 1]

With --count N it exits after N verified events (0 when all verified), which
lets a script wait for its first delivery.
"""
import argparse
import hashlib
import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=9000)
    ap.add_argument("--secret", required=True, help="the webhook's whsec_... secret")
    ap.add_argument("--count", type=int, default=0, help="exit after this many verified events (0: never)")
    args = ap.parse_args()
    state = {"verified": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            expected = hmac.new(args.secret.encode(), body, hashlib.sha256).hexdigest()
            ok = hmac.compare_digest(expected, self.headers.get("X-Relay-Signature", ""))
            self.send_response(200 if ok else 401)
            self.end_headers()
            event = json.loads(body).get("event", "?") if ok else "?"
            print("%s %s %s attempt %s" % ("verified" if ok else "BAD SIGNATURE", event,
                  self.headers.get("X-Relay-Event-ID"), self.headers.get("X-Relay-Attempt")), flush=True)
            if ok:
                state["verified"] += 1

        def log_message(self, *_):
            pass

    server = HTTPServer(("127.0.0.1", args.port), Handler)
    while args.count == 0 or state["verified"] < args.count:
        server.handle_request()
    return 0


if __name__ == "__main__":
    sys.exit(main())
