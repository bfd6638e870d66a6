"""How long a request to a server that drips one byte every 0.5 s holds drift-gate's HTTP
client (drift_gate/http_client.py), against the bound that should end it.

Before the one client, the read timeout applied to each byte: `timeout: 5` with
`--deadline 30` waited for the whole drip (90-150 s). Now the overall bound ends it.

    python benchmarks/http_drip.py
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from drift_gate.deadline import Deadline
from drift_gate.http_client import HttpClient, HttpFailure, Limits, origin_of

DRIP_SECONDS = 0.5
DRIP_BYTES = 120  # the drip ends by itself after a minute


class Drip(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.close_connection = True
        for byte in (b"HTTP/1.1 200 OK\r\nX-Drip: " + b"a" * DRIP_BYTES)[:DRIP_BYTES]:
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return
            time.sleep(DRIP_SECONDS)

    def log_message(self, *_: Any) -> None:
        return


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    print("| request timeout | run deadline | ended after | cause |\n|---|---|---|---|")
    for timeout, deadline in ((2.0, None), (5.0, None), (5.0, 3.0), (60.0, 4.0)):
        client = HttpClient(
            origin_of(url),
            Limits(total=timeout, read=timeout),
            None,
            Deadline(deadline) if deadline else None,
        )
        started = time.perf_counter()
        try:
            client.send("GET", url)
            cause = "answered"
        except HttpFailure as failure:
            cause = failure.cause
        elapsed = time.perf_counter() - started
        print(f"| {timeout:g} s | {deadline or '-'} | {elapsed:.2f} s | {cause} |")
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
