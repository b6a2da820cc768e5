"""The loopback shop's static file server, run as its own process by `_shop.static_server`.

    python benchmarks/_static_shop.py PORT FOLDER HTTP/1.1|HTTP/1.0

`http.server`'s handler, with two settings a shop's image CDN has and its command line lacks: TCP_NODELAY
(without it, an answer's header and body leave in two packets and a kept-open connection waits ~40 ms on the
client's delayed ACK between them) and the protocol chosen. HTTP/1.1 keeps connections open between images;
HTTP/1.0 (`python -m http.server`'s default) closes each one after its answer.
"""

from __future__ import annotations

import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class _Handler(SimpleHTTPRequestHandler):
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        """No access log: it would cost the shop's CPU, which the benchmarks count."""


def main() -> None:
    port, folder, protocol = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    handler = type("Handler", (_Handler,), {"protocol_version": protocol})
    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=folder))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
