#!/usr/bin/env python3
"""Serves GET /v2/<name>/tags/list in pages of `n` (with `last` and a `Link`
to the next page) for a repository of COUNT synthetic tags, as a registry
that honours paging does. Other paths get 404.

usage: pager.py PORT COUNT
"""
import json
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNT = int(sys.argv[2])
TAGS = [f"tag-{i:07d}" for i in range(COUNT)]


class Pager(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle and
    # delayed ACKs add 40 ms to every page on a kept-alive connection.
    disable_nagle_algorithm = True

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/v2/":
            return self.answer(200, b"{}", {})
        if not url.path.endswith("/tags/list"):
            return self.answer(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}', {})
        query = urllib.parse.parse_qs(url.query)
        n = int(query.get("n", ["100"])[0])
        last = query.get("last", [None])[0]
        start = 0 if last is None else TAGS.index(last) + 1
        page = TAGS[start:start + n]
        headers = {}
        if start + n < len(TAGS):
            headers["Link"] = f'<{url.path}?n={n}&last={page[-1]}>; rel="next"'
        body = json.dumps({"name": url.path[4:-10], "tags": page}).encode()
        self.answer(200, body, headers)

    def answer(self, status, body, headers):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Pager).serve_forever()
