"""A development mail catcher: an SMTP server that keeps what it receives in memory, and a web view.

DEVELOPMENT ONLY (compose.yaml's ``mailcatcher``): it accepts mail for anyone, without authentication,
and shows it to anyone who can reach its web port. Nothing is relayed and nothing is written to disk.

    python deploy/mailcatcher.py --smtp-port 1025 --http-port 8025

``GET /`` lists the messages (newest first) as HTML, ``GET /messages.json`` as JSON, and
``POST /clear`` forgets them. Needs aiosmtpd (the project's ``dev`` extra, or the image target
``mailcatcher``).
"""

from __future__ import annotations

import argparse
import html
import json
import signal
import threading
from collections import deque
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

KEEP = 500


class Mailbox:
    """The last KEEP messages, as plain dictionaries (thread-safe: SMTP and HTTP run in two threads)."""

    def __init__(self) -> None:
        self._messages: deque[dict[str, Any]] = deque(maxlen=KEEP)
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802 - aiosmtpd's hook
        msg = message_from_bytes(envelope.content, policy=policy.default)
        body = msg.get_body(preferencelist=("plain", "html"))
        entry = {
            "envelope_from": envelope.mail_from,
            "envelope_to": list(envelope.rcpt_tos),
            "from": str(msg.get("From", "")),
            "to": str(msg.get("To", "")),
            "subject": str(msg.get("Subject", "")),
            "date": str(msg.get("Date", "")),
            "body": body.get_content() if body is not None else "",
        }
        with self._lock:
            self._messages.appendleft(entry)
        return "250 OK"

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()


def _page(messages: list[dict[str, Any]]) -> bytes:
    e = html.escape
    items = "".join(
        f"<article><h2>{e(m['subject'])}</h2><p><b>From</b> {e(m['from'])} &middot; <b>To</b> "
        f"{e(', '.join(m['envelope_to']))} &middot; {e(m['date'])}</p><pre>{e(m['body'])}</pre></article>"
        for m in messages
    )
    return (
        "<!doctype html><html lang='en'><meta charset='utf-8'><title>Mail catcher (development)</title>"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:auto}pre{white-space:pre-wrap;"
        "background:#f4f4f4;padding:.5rem}.dev{background:#ffd400;padding:.5rem}</style>"
        "<p class='dev'>DEVELOPMENT mail catcher: nothing here was delivered to anyone.</p>"
        f"<h1>{len(messages)} message(s)</h1>"
        "<form method='post' action='/clear'><button>Clear</button></form>"
        f"{items or '<p>No mail yet.</p>'}</html>"
    ).encode()


def make_http_server(mailbox: Mailbox, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's hook
            if self.path == "/messages.json":
                self._send(200, json.dumps(mailbox.messages()).encode(), "application/json")
            elif self.path in ("/", "/index.html"):
                self._send(200, _page(mailbox.messages()), "text/html; charset=utf-8")
            elif self.path == "/healthz":
                self._send(200, b'{"status":"ok"}', "application/json")
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/clear":
                self._send(404, b"not found", "text/plain")
                return
            mailbox.clear()
            self.send_response(303)
            self.send_header("Location", "/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

    return ThreadingHTTPServer((host, port), Handler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    args = parser.parse_args(argv)
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname=args.host, port=args.smtp_port)
    smtp.start()
    web = make_http_server(mailbox, args.host, args.http_port)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=web.shutdown).start())
    print(f"mail catcher (DEVELOPMENT): SMTP on {args.host}:{args.smtp_port}, "
          f"web view on http://{args.host}:{args.http_port}/", flush=True)
    try:
        web.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
