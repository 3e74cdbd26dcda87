"""Who may talk to the dashboard: loopback by default, checked Host and Origin, a token off loopback, rate limits.

A web page on another site must not drive the dashboard (it takes microphone
and camera data) or read its stream, and DNS rebinding (a foreign name that
resolves to 127.0.0.1) must not get around that.  So every request and
WebSocket upgrade passes ``Guard.check``:

  * ``Host`` must name this server: 127.0.0.1, localhost or [::1] with its
    port, or the --host address it was started with;
  * ``Origin``, when a browser sends one, must be ``http://`` + one of those;
    WebSocket upgrades must send one (browsers always do);
  * bound to anything but loopback, a one-time token printed in the URL is
    required (``?token=`` once; the page then holds it in a SameSite cookie);
  * each client address gets a token bucket of requests per second.

    guard = Guard("127.0.0.1", 8765)
    problem = guard.check(client_ip, headers, query_token, websocket=False)
    if problem: refuse with problem.status and problem.reason
"""
from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Mapping

TOKEN_COOKIE = "edgesim_token"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
# Requests per second per client address, with a burst allowance (a page load is ~5 requests).
RATE_PER_S = 40.0
RATE_BURST = 120.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


class RateLimiter:
    """Token bucket per client address; the table is bounded (oldest addresses are forgotten)."""

    def __init__(self, rate_per_s: float = RATE_PER_S, burst: float = RATE_BURST, max_clients: int = 1024) -> None:
        self.rate, self.burst, self.max_clients = rate_per_s, burst, max_clients
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.pop(next(iter(self._buckets)))
            return allowed


class Guard:
    """The checks every request goes through (see the module docstring)."""

    def __init__(self, host: str, port: int, token: str | None = None) -> None:
        self.port = port
        self.bind_host = host
        names = set(LOOPBACK_NAMES)
        if not is_loopback(host):
            names.add(f"[{host}]" if ":" in host else host)
        self.hosts = {f"{name}:{port}" for name in names}
        self.origins = {f"http://{name}" for name in self.hosts}
        self.token = token if token is not None else (None if is_loopback(host) else secrets.token_urlsafe(18))
        self.limiter = RateLimiter()

    @property
    def needs_token(self) -> bool:
        return self.token is not None

    def url(self, path: str = "/") -> str:
        name = self.bind_host if not is_loopback(self.bind_host) else "127.0.0.1"
        name = f"[{name}]" if ":" in name and not name.startswith("[") else name
        query = f"?token={self.token}" if self.token else ""
        return f"http://{name}:{self.port}{path}{query}"

    def token_ok(self, query_token: str | None, cookie_header: str | None) -> bool:
        if self.token is None:
            return True
        candidates = [query_token or ""]
        if cookie_header:
            try:
                cookie = SimpleCookie(cookie_header)
            except CookieError:
                cookie = SimpleCookie()
            if TOKEN_COOKIE in cookie:
                candidates.append(cookie[TOKEN_COOKIE].value)
        return any(hmac.compare_digest(candidate.encode(), self.token.encode()) for candidate in candidates)

    def check(self, client: str, headers: Mapping[str, str], query_token: str | None,
              websocket: bool = False) -> Refusal | None:
        """None when the request may proceed, else why not."""
        if not self.limiter.allow(client):
            return Refusal(429, "too many requests from this address")
        host = (headers.get("Host") or "").strip().lower()
        if host not in self.hosts:
            return Refusal(403, f"Host {host[:80]!r} is not this dashboard (expected one of "
                                f"{', '.join(sorted(self.hosts))})")
        origin = headers.get("Origin")
        if origin is not None and origin.strip().lower() not in self.origins:
            return Refusal(403, f"Origin {origin[:80]!r} may not use this dashboard")
        if websocket and origin is None:
            return Refusal(403, "WebSocket upgrade without an Origin header")
        if not self.token_ok(query_token, headers.get("Cookie")):
            return Refusal(401, "this dashboard is reachable from the network: open the URL with the token "
                                "that `edgesim run --ui` printed")
        return None
