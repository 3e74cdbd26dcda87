"""The dashboard's local web server: the page, ``GET /events`` (server-sent events) and ``/ws`` (browser input).

Standard library only: a threading HTTP server, one thread per connection.

  GET /            the page (edgesim/ui/static/index.html and its assets)
  GET /app.json    what the page draws: the app, its labels and thresholds, the mode
  GET /events      text/event-stream: every event exactly as ``--json`` prints it (``data:`` lines,
                   with ``id:`` sequence numbers), plus ``event: preview`` messages (what the model
                   saw: features, frames, rasters, levels, latency, the comparison status)
  GET /ws          WebSocket: microphone, camera and canvas input for ``--source browser``

Memory is bounded whatever the run length: each SSE client has a byte-bounded
queue (the oldest messages are dropped for a client that reads too slowly), the
replay history for late or reconnecting pages is a ring, and connections are
capped.  Every request passes edgesim.ui.security.Guard first.

    server = DashboardServer(page_config, host="127.0.0.1", port=8765)
    server.start()
    server.publish_event(event.to_json())
    server.publish_preview({"kind": "level", ...})
    server.close()
"""
from __future__ import annotations

import json
import socket
import sys
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from edgesim.errors import EdgesimError
from edgesim.ui import websocket as ws
from edgesim.ui.security import TOKEN_COOKIE, Guard

DEFAULT_PORT = 8765
CLIENT_QUEUE_BYTES = 1 << 20     # per SSE client: about a minute of previews, then the oldest go
HISTORY_EVENTS = 4096            # events replayed to a page that connects late
MAX_SSE_CLIENTS = 128
MAX_WS_CLIENTS = 8
WS_MAX_MESSAGE = 1 << 16         # 1 s of 16 kHz int16 audio is 32 KB; a 240x180 gray frame 43 KB
MAX_CONNECTIONS = 256           # open sockets of every kind; more are closed on accept
MAX_HEADER_BYTES = 16 * 1024     # request line plus headers
REQUEST_TIMEOUT_S = 10.0
KEEPALIVE_S = 15.0
STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}

InputHandler = Callable[[int, bytes], None]


class UiError(EdgesimError):
    """The dashboard cannot start (port in use, bad address)."""


class ClientQueue:
    """Messages for one SSE client, bounded in bytes: when full, the oldest are dropped and counted."""

    def __init__(self, max_bytes: int = CLIENT_QUEUE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: deque[bytes] = deque()
        self._bytes = 0
        self._cond = threading.Condition()
        self.closed = False
        self.dropped = 0

    def put(self, data: bytes) -> None:
        with self._cond:
            self._items.append(data)
            self._bytes += len(data)
            while self._bytes > self.max_bytes and len(self._items) > 1:
                self._bytes -= len(self._items.popleft())
                self.dropped += 1
            self._cond.notify()

    def get(self, timeout: float) -> bytes | None:
        with self._cond:
            if not self._items and not self.closed:
                self._cond.wait(timeout)
            if not self._items:
                return None
            data = self._items.popleft()
            self._bytes -= len(data)
            return data

    @property
    def size_bytes(self) -> int:
        with self._cond:
            return self._bytes

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


def static_file(name: str) -> bytes | None:
    """A packaged asset by plain file name (no paths: nothing outside the static folder is reachable)."""
    if "/" in name or "\\" in name or name.startswith(".") or not any(name.endswith(s) for s in STATIC_TYPES):
        return None
    try:
        return resources.files("edgesim.ui").joinpath("static", name).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


class DashboardServer:
    """The dashboard server for one run (see the module docstring)."""

    def __init__(self, page_config: dict[str, Any], host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 log: Callable[[str], None] | None = None) -> None:
        self.page_config = page_config
        self.log = log or (lambda text: print(f"edgesim: ui: {text}", file=sys.stderr, flush=True))
        self.guard = Guard(host, port)
        self._clients: set[ClientQueue] = set()
        self._ws_count = 0
        self._history: deque[tuple[int, bytes]] = deque(maxlen=HISTORY_EVENTS)
        self._seq = 0
        self._lock = threading.Lock()
        self.client_connected = threading.Event()
        self.input_handler: InputHandler | None = None
        self._input_owner: object | None = None  # the one connection whose input is used
        self.closing = threading.Event()
        try:
            self.httpd = _HttpServer((host, port), _Handler, self)
        except OSError as error:
            raise UiError(f"cannot serve the dashboard on {host}:{port} ({error.strerror}); "
                          f"choose another --port") from None
        self.port = self.httpd.server_address[1]
        self.guard = Guard(host, self.port, self.guard.token)
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="edgesim-ui", daemon=True)

    @property
    def url(self) -> str:
        return self.guard.url("/")

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self.closing.set()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            client.close()
        self.httpd.shutdown()
        self.httpd.server_close()

    # ------------------------------------------------------------------ publishing
    def publish_event(self, json_line: str) -> None:
        """One --json event, to every page now and to pages that connect later (bounded history)."""
        with self._lock:
            self._seq += 1
            message = f"id: {self._seq}\ndata: {json_line}\n\n".encode("utf-8")
            self._history.append((self._seq, message))
            clients = list(self._clients)
        for client in clients:
            client.put(message)

    def publish_preview(self, preview: dict[str, Any]) -> None:
        """A live-only preview (features, frame, raster, level, latency, comparison)."""
        message = f"event: preview\ndata: {json.dumps(preview, separators=(',', ':'))}\n\n".encode("utf-8")
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            client.put(message)

    # ------------------------------------------------------------------ clients
    def add_sse_client(self, last_event_id: int) -> ClientQueue | None:
        queue = ClientQueue()
        with self._lock:
            if len(self._clients) >= MAX_SSE_CLIENTS:
                return None
            for seq, message in self._history:
                if seq > last_event_id:
                    queue.put(message)
            self._clients.add(queue)
        self.client_connected.set()
        return queue

    def remove_sse_client(self, queue: ClientQueue) -> None:
        with self._lock:
            self._clients.discard(queue)

    @property
    def sse_clients(self) -> int:
        with self._lock:
            return len(self._clients)

    def add_ws_client(self) -> bool:
        with self._lock:
            if self._ws_count >= MAX_WS_CLIENTS:
                return False
            self._ws_count += 1
            return True

    def remove_ws_client(self) -> None:
        with self._lock:
            self._ws_count -= 1

    def claim_input(self, connection: object) -> bool:
        """One page at a time is the sensor (two microphones interleaved would be garbage)."""
        with self._lock:
            if self._input_owner is None:
                self._input_owner = connection
            return self._input_owner is connection

    def release_input(self, connection: object) -> None:
        with self._lock:
            if self._input_owner is connection:
                self._input_owner = None


class _HttpServer(ThreadingHTTPServer):
    """One thread per connection, at most MAX_CONNECTIONS at once (the rest are closed on accept)."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type, dashboard: DashboardServer) -> None:
        self.dashboard = dashboard
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line for a connection that broke the server's expectations, never a traceback on the console."""
        error = sys.exc_info()[1]
        self.dashboard.log(f"dropped a connection from {client_address[0]}: {type(error).__name__}: {error}")

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


class _HeaderBudget:
    """The request's input stream, limited to MAX_HEADER_BYTES of headers until they are read.

    http.server reads the request line (its own 64 KB limit: 414) and then the headers
    line by line through readline(); past the budget it gets an empty line (end of
    headers) and the request is refused with 431.
    """

    def __init__(self, raw: Any, budget: int) -> None:
        self.raw = raw
        self.budget: int | None = budget
        self.exceeded = False
        self._request_line = True

    def readline(self, limit: int = -1) -> bytes:
        if self.budget is None or self._request_line:
            self._request_line = False
            return self.raw.readline(limit)
        if self.budget <= 0:
            self.exceeded = True
            return b""
        wanted = self.budget if limit < 0 else min(limit, self.budget)
        line = self.raw.readline(wanted)
        self.budget -= len(line)
        if self.budget <= 0 and not line.endswith(b"\n"):
            self.exceeded = True
            return b""
        return line

    def read(self, size: int = -1) -> bytes:
        return self.raw.read(size)

    def lift(self) -> None:
        self.budget = None

    def renew(self) -> None:
        """A new request on a kept-alive connection gets a fresh budget."""
        self.budget, self.exceeded, self._request_line = MAX_HEADER_BYTES, False, True

    def close(self) -> None:
        self.raw.close()


class _Handler(BaseHTTPRequestHandler):
    server_version = "edgesim"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = REQUEST_TIMEOUT_S
    server: _HttpServer

    def log_message(self, format: str, *args: Any) -> None:  # the default logs every request to stderr
        pass

    def setup(self) -> None:
        super().setup()
        self.rfile = _HeaderBudget(self.rfile, MAX_HEADER_BYTES)  # type: ignore[assignment]

    def handle_one_request(self) -> None:
        if isinstance(self.rfile, _HeaderBudget):
            self.rfile.renew()
        super().handle_one_request()

    @property
    def dashboard(self) -> DashboardServer:
        return self.server.dashboard

    # ------------------------------------------------------------------ plumbing
    def _refuse(self, status: int, reason: str) -> None:
        body = (reason + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def _send(self, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; "
                                                    "style-src 'self' 'unsafe-inline'; media-src 'self' blob: "
                                                    "mediastream:; connect-src 'self'; frame-ancestors 'none'")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _guarded(self, websocket: bool = False) -> tuple[str, dict[str, list[str]]] | None:
        budget = self.rfile
        if isinstance(budget, _HeaderBudget):
            if budget.exceeded:
                self._refuse(431, f"request headers exceed {MAX_HEADER_BYTES} bytes")
                return None
            budget.lift()  # a WebSocket reads its frames from here
        parts = urlsplit(self.path)
        try:
            query = parse_qs(parts.query, max_num_fields=8)
        except ValueError:
            self._refuse(400, "too many query parameters")
            return None
        token = (query.get("token") or [None])[0]
        refusal = self.dashboard.guard.check(self.client_address[0], self.headers, token, websocket)
        if refusal is not None:
            self.dashboard.log(f"refused {self.command} {parts.path[:60]} from {self.client_address[0]}: "
                               f"{refusal.reason}")
            self._refuse(refusal.status, refusal.reason)
            return None
        if self.headers.get("Content-Length", "0").strip() not in ("", "0") or self.headers.get("Transfer-Encoding"):
            self._refuse(413, "this server takes no request bodies")
            return None
        return parts.path, query

    def _not_allowed(self) -> None:
        self._refuse(405, "only GET is served here")

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _not_allowed

    # ------------------------------------------------------------------ routes
    def do_GET(self) -> None:
        upgrade = (self.headers.get("Upgrade") or "").lower() == "websocket"
        checked = self._guarded(websocket=upgrade)
        if checked is None:
            return
        path, query = checked
        if path == "/ws":
            self._websocket() if upgrade else self._refuse(426, "this endpoint takes a WebSocket upgrade")
        elif path == "/events":
            self._events()
        elif path == "/app.json":
            self._send(json.dumps(self.dashboard.page_config).encode("utf-8"), "application/json")
        elif path in ("/", "/index.html"):
            extra = {}
            guard = self.dashboard.guard
            if guard.needs_token:
                extra["Set-Cookie"] = f"{TOKEN_COOKIE}={guard.token}; HttpOnly; SameSite=Strict; Path=/"
            self._send(static_file("index.html") or b"", STATIC_TYPES[".html"], extra)
        elif path.startswith("/static/") and (body := static_file(path[len("/static/"):])) is not None:
            self._send(body, STATIC_TYPES["." + path.rsplit(".", 1)[-1]])
        else:
            self._refuse(404, f"nothing at {path[:80]}")

    def _events(self) -> None:
        try:
            last_id = int(self.headers.get("Last-Event-ID", "0") or 0)
        except ValueError:
            last_id = 0
        queue = self.dashboard.add_sse_client(last_id)
        if queue is None:
            self._refuse(503, "too many dashboard pages are open")
            return
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"retry: 1000\n\n")
            self.wfile.flush()
            self.close_connection = True
            while not self.dashboard.closing.is_set():
                message = queue.get(timeout=KEEPALIVE_S)
                if message is None:
                    if queue.closed:
                        break
                    message = b": keepalive\n\n"
                self.wfile.write(message)
                self.wfile.flush()
        except (OSError, ValueError):  # the page went away (or a write timed out): drop this client only
            pass
        finally:
            self.dashboard.remove_sse_client(queue)

    def _websocket(self) -> None:
        key = self.headers.get("Sec-WebSocket-Key")
        if not ws.valid_client_key(key) or self.headers.get("Sec-WebSocket-Version") != "13":
            self._refuse(400, "bad WebSocket handshake (need version 13 and a 16-byte key)")
            return
        if not self.dashboard.add_ws_client():
            self._refuse(503, "too many input connections")
            return
        peer = self.client_address[0]
        try:
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", ws.accept_key(key or ""))
            self.end_headers()
            self.close_connection = True
            self.connection.settimeout(None if self.dashboard.input_handler else REQUEST_TIMEOUT_S * 6)
            while not self.dashboard.closing.is_set():
                opcode, payload = ws.read_message(self.rfile, self.wfile, WS_MAX_MESSAGE)
                handler = self.dashboard.input_handler
                if handler is None:
                    raise ws.WebSocketError(ws.CLOSE_POLICY, "this run does not take browser input "
                                                             "(start it with --source browser)")
                if not self.dashboard.claim_input(self):
                    raise ws.WebSocketError(ws.CLOSE_POLICY, "another page is already the input; close it first")
                try:
                    handler(opcode, payload)
                except ValueError as error:
                    raise ws.WebSocketError(ws.CLOSE_INVALID_DATA, str(error)) from None
        except ws.WebSocketError as error:
            self.dashboard.release_input(self)  # before the close frame: the next page may take over at once
            self.dashboard.log(f"closed the input connection from {peer}: {error.reason}")
            try:
                ws.send_frame(self.wfile, ws.OP_CLOSE, ws.close_payload(error.code, error.reason))
            except OSError:
                pass
        except (ws.ConnectionClosed, OSError):
            pass
        finally:
            self.dashboard.release_input(self)
            self.dashboard.remove_ws_client()
