"""Helpers for the dashboard tests: start `edgesim run ... --ui`, read its SSE stream, speak WebSocket."""
from __future__ import annotations

import base64
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

from conftest import REPO_ROOT, shared_path


class UiRun:
    """A running `edgesim run APP --ui --no-browser --port 0 ...`; its URL comes from stderr."""

    def __init__(self, *args: str, json_lines: bool = False) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "EDGESIM_MODELS": str(shared_path("models"))}
        command = [sys.executable, "-m", "edgesim", "run", *args, "--ui", "--no-browser", "--port", "0"]
        if json_lines:
            command.append("--json")
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.stderr: list[str] = []
        self._url = threading.Event()
        self.url = ""
        threading.Thread(target=self._drain, daemon=True).start()
        if not self._url.wait(60):
            self.stop()
            raise AssertionError("the dashboard never printed its URL:\n" + "".join(self.stderr))
        match = re.match(r"http://([^/]+)/", self.url)
        assert match
        self.host_port = match.group(1)
        self.port = int(self.host_port.rsplit(":", 1)[1])

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)
            found = re.search(r"dashboard at (http://\S+)", line)
            if found and not self.url:
                self.url = found.group(1)
                self._url.set()

    def wait_stderr(self, text: str, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.stderr):
                return True
            time.sleep(0.05)
        return False

    def stdout_until_summary(self, timeout: float = 60) -> list[str]:
        assert self.process.stdout is not None
        lines = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if '"type": "summary"' in line:
                return lines
        raise AssertionError(f"no summary on stdout: {lines[-3:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def __enter__(self) -> "UiRun":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def http_get(port: int, path: str, headers: dict[str, str] | None = None, host: str | None = None,
             timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """One raw GET (so tests control every header, Host included)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        lines = [f"GET {path} HTTP/1.1", f"Host: {host or f'127.0.0.1:{port}'}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), parsed, body


def sse_messages(port: int, host: str | None = None, timeout: float = 60) -> Iterator[tuple[str, str]]:
    """(event name, data) pairs from GET /events: "message" for the --json events, "preview" for previews."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        sock.sendall(f"GET /events HTTP/1.1\r\nHost: {host or f'127.0.0.1:{port}'}\r\n\r\n".encode())
        reader = sock.makefile("rb")
        status = reader.readline()
        assert b" 200 " in status, status
        while reader.readline() not in (b"\r\n", b""):
            pass
        name, data = "message", []
        for raw in reader:
            line = raw.decode("utf-8").rstrip("\n")
            if not line:
                if data:
                    yield name, "\n".join(data)
                name, data = "message", []
            elif line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
    finally:
        sock.close()


def events_until_summary(port: int, timeout: float = 60) -> list[str]:
    lines = []
    for name, data in sse_messages(port, timeout=timeout):
        if name == "message":
            lines.append(data)
            if json.loads(data)["type"] == "summary":
                return lines
    raise AssertionError("the event stream ended without a summary")


class WsClient:
    """A minimal WebSocket client (masked frames) for sending good and bad input."""

    def __init__(self, port: int, origin: str | None = None, host: str | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        origin_line = f"Origin: {origin}\r\n" if origin is not None else ""
        self.sock.sendall((f"GET /ws HTTP/1.1\r\nHost: {host or f'127.0.0.1:{port}'}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                           f"{origin_line}\r\n").encode())
        self.reader = self.sock.makefile("rb")
        self.status = int(self.reader.readline().split()[1])
        while self.reader.readline() not in (b"\r\n", b""):
            pass

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, opcode: int, payload: bytes, *, masked: bool = True, claimed_length: int | None = None) -> None:
        length = len(payload) if claimed_length is None else claimed_length
        if length < 126:
            header = struct.pack(">BB", 0x80 | opcode, (0x80 if masked else 0) | length)
        elif length < 1 << 16:
            header = struct.pack(">BBH", 0x80 | opcode, (0x80 if masked else 0) | 126, length)
        else:
            header = struct.pack(">BBQ", 0x80 | opcode, (0x80 if masked else 0) | 127, length)
        if masked:
            mask = os.urandom(4)
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            header += mask
        try:
            self.sock.sendall(header + payload)
        except OSError:  # the server may already have closed on the header
            pass

    def close_code(self) -> int | None:
        """The code of the server's close frame, or None if the connection just ended."""
        try:
            head = self.reader.read(2)
            if len(head) < 2 or head[0] & 0x0F != 0x8:
                return None
            body = self.reader.read(head[1] & 0x7F)
            return struct.unpack(">H", body[:2])[0] if len(body) >= 2 else None
        except OSError:
            return None

    def close(self) -> None:
        self.sock.close()


def write_yes_no_stream(testdata: Path, out: Path) -> None:
    """silence, "yes", 1.5 s silence, "no", silence: a WAV with both words well apart."""
    import numpy as np

    from edgesim.sources.wav import read_wav, write_wav

    silence = np.zeros(8000, np.int16)
    yes = read_wav(testdata / "micro_speech/yes_1000ms.wav").samples
    no = read_wav(testdata / "micro_speech/no_1000ms.wav").samples
    write_wav(out, np.concatenate([silence, yes, silence, silence, silence, no, silence]))
