"""uvicorn's HTTP parser for the shopper's upload: httptools (C, what the service runs now) against h11 (pure
Python, what uvicorn used before httptools was a dependency), same app, same run.

Two uvicorn servers on loopback serve one app over the demo catalog, one per parser; requests alternate
between them so that a change in the machine's speed touches both alike. Each gets the search's 1024-px JPEG
twice over: as a whole `POST /v1/search`, and on a route that reads the same upload and answers at once (what
HTTP alone costs; see search_latency.py).

    .venv/bin/python benchmarks/http_parser.py [--requests 200] [--size 2400]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time

import httpx
import uvicorn

sys.path.insert(0, "benchmarks")
from _common import demo_services, machine  # noqa: E402
from search_latency import UPLOAD_ONLY, _add_upload_only_route, first_product_id, free_port, shopper_jpeg  # noqa: E402

from stylelens.api.app import create_app  # noqa: E402

PARSERS = ("httptools", "h11")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2400)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    services = demo_services(args.size)
    photo = shopper_jpeg(services, first_product_id(services))
    security = services.settings.security.model_copy(update={"search_per_minute": 1_000_000})
    app = create_app(services.settings.model_copy(update={"security": security}), services)
    _add_upload_only_route(app)
    servers, clients = [], {}
    for name in PARSERS:
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", http=name))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        servers.append(server)
        clients[name] = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)

    print(f"machine: {machine()}; photo: 1024x1024 JPEG, {len(photo) // 1024} KB; {args.requests} requests each")
    for label, path in (("whole POST /v1/search", "/v1/search"), ("the upload, answered at once", UPLOAD_ONLY)):
        times: dict[str, list[float]] = {name: [] for name in PARSERS}
        for i in range(args.requests + 5):
            for name in PARSERS:
                started = time.perf_counter()
                response = clients[name].post(path, files={"image": ("photo.jpg", photo, "image/jpeg")})
                elapsed = time.perf_counter() - started
                response.raise_for_status()
                if i >= 5:  # the first few warm both servers up
                    times[name].append(elapsed)
        p50 = {name: 1000 * statistics.median(times[name]) for name in PARSERS}
        print(
            f"{label:30s} httptools p50 {p50['httptools']:6.2f} ms, h11 p50 {p50['h11']:6.2f} ms, "
            f"ratio httptools / h11 {p50['httptools'] / p50['h11']:.2f}"
        )
    for server in servers:
        server.should_exit = True
    for client in clients.values():
        client.close()


if __name__ == "__main__":
    main()
