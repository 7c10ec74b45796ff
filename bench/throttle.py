#!/usr/bin/env python3
"""A registry that throttles deletes as GitHub does, in front of a real one.

usage: throttle.py PORT UPSTREAM RATE BURST LOG

Every request is passed to UPSTREAM (host:port) unchanged, except that
DELETEs draw from a token bucket of RATE a second holding BURST: beyond it
they are answered 429 with `Retry-After` in whole seconds. Each DELETE is
logged to LOG as `pass SECONDS` or `refuse SECONDS` (a monotonic clock), so
throughput is measured on the registry's side.
"""
import http.client
import http.server
import math
import sys
import threading
import time

port, upstream, rate, burst, log_path = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
lock = threading.Lock()
bucket = {"tokens": burst, "at": time.monotonic()}
log = open(log_path, "a", buffering=1)
local = threading.local()


def take():
    """None when a token was taken, else the seconds to ask the client to wait."""
    with lock:
        now = time.monotonic()
        bucket["tokens"] = min(burst, bucket["tokens"] + (now - bucket["at"]) * rate)
        bucket["at"] = now
        if bucket["tokens"] >= 1:
            bucket["tokens"] -= 1
            log.write(f"pass {now:.6f}\n")
            return None
        log.write(f"refuse {now:.6f}\n")
        return max(1, math.ceil((1 - bucket["tokens"]) / rate))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def relay(self):
        if self.command == "DELETE":
            wait = take()
            if wait is not None:
                body = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"rate limited"}]}'
                self.send_response(429)
                self.send_header("Retry-After", str(wait))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = getattr(local, "conn", None) or http.client.HTTPConnection(upstream, timeout=60)
        local.conn = conn
        try:
            conn.request(self.command, self.path, body=body, headers=dict(self.headers))
            response = conn.getresponse()
            data = response.read()
        except (ConnectionError, http.client.HTTPException):
            local.conn = None
            raise
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = relay


http.server.ThreadingHTTPServer.daemon_threads = True
# A client closing its connection is no error worth a traceback.
http.server.ThreadingHTTPServer.handle_error = lambda self, request, address: None
http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
