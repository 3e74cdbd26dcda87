"""Dashboard memory with pages that never read: RSS stays flat however long the stream.

    .venv/bin/python benchmarks/bench_ui.py [--messages 200000] [--pages 4]

Starts the dashboard server in this process, opens --pages SSE connections
that read nothing (a page in a background tab, a stalled network), and
publishes --messages previews of a few kilobytes each (about the size of a
camera frame preview) plus one event per 10 previews: hours of a live run.
Prints RSS after the first tenth and at the end, and their ratio; each
page's backlog is bounded in bytes (edgesim.ui.server.CLIENT_QUEUE_BYTES),
so the ratio stays near 1, and a page whose socket stays full for
REQUEST_TIMEOUT_S is disconnected (a real page's EventSource reconnects and
gets the event history).  Nothing is asserted: the numbers are for reading.
Measured: 100,000 previews (404 MB) to 4 silent pages: RSS 24.2 MB after the
first tenth, 24.8 MB at the end (ratio 1.025).
"""
from __future__ import annotations

import argparse
import resource
import socket
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edgesim.ui.server import CLIENT_QUEUE_BYTES, DashboardServer  # noqa: E402


def rss_mb() -> float:
    """Current resident set size (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200_000, help="previews to publish")
    parser.add_argument("--pages", type=int, default=4, help="SSE connections that never read")
    parser.add_argument("--preview-bytes", type=int, default=4000, help="size of one preview")
    args = parser.parse_args()

    server = DashboardServer({"app": {}}, host="127.0.0.1", port=0, log=lambda text: None)
    server.start()
    pages = []
    for _ in range(args.pages):
        page = socket.create_connection(("127.0.0.1", server.port))
        page.sendall(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
        pages.append(page)
    while server.sse_clients < args.pages:
        time.sleep(0.01)
    payload = "x" * args.preview_bytes
    start = time.monotonic()
    early = 0.0
    for index in range(args.messages):
        server.publish_preview({"kind": "frame", "index": index, "jpeg": payload})
        if index % 10 == 0:
            server.publish_event(f'{{"type": "inference", "t_ms": {index}}}')
        if index == args.messages // 10:
            early = rss_mb()
        if index and index % (args.messages // 10) == 0:
            print(f"  {index:>8} previews  RSS {rss_mb():7.1f} MB  pages connected {server.sse_clients}",
                  flush=True)
    wall = time.monotonic() - start
    late = rss_mb()
    published_mb = args.messages * (args.preview_bytes + 40) / 1e6
    print(f"published {published_mb:.0f} MB of previews to {args.pages} silent pages in {wall:.1f} s")
    print(f"RSS after the first tenth {early:.1f} MB, at the end {late:.1f} MB: ratio {late / early:.3f} "
          f"(per-page backlog bound {CLIENT_QUEUE_BYTES / 1e6:.1f} MB)")
    for page in pages:
        page.close()
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
