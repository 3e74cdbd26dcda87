"""The few parts of RFC 6455 (WebSocket) the dashboard needs, on plain sockets.

The server side only: the upgrade handshake, reading client frames (always
masked), writing unmasked frames, ping/pong and close.  Every limit is
checked before memory is committed: a frame longer than ``max_bytes`` or a
malformed header raises WebSocketError (with the close code to send) instead
of being read.

    accept = accept_key(headers["Sec-WebSocket-Key"])
    ...
    opcode, payload = read_message(rfile, max_bytes=65536)
    send_frame(wfile, OP_TEXT, b"hello")
"""
from __future__ import annotations

import base64
import hashlib
import struct
from typing import BinaryIO

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
CLOSE_NORMAL, CLOSE_PROTOCOL_ERROR, CLOSE_UNSUPPORTED, CLOSE_INVALID_DATA, CLOSE_TOO_BIG = 1000, 1002, 1003, 1007, 1009
CLOSE_POLICY = 1008


class WebSocketError(Exception):
    """A client broke the protocol or a limit; ``code`` is the close code to answer with."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class ConnectionClosed(Exception):
    """The client closed the connection (a close frame, or the socket ended)."""


def accept_key(client_key: str) -> str:
    """The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key.

        >>> accept_key("dGhlIHNhbXBsZSBub25jZQ==")
        's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
    """
    digest = hashlib.sha1((client_key.strip() + GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def valid_client_key(client_key: str | None) -> bool:
    """A Sec-WebSocket-Key is 16 random bytes in base64."""
    if not client_key:
        return False
    try:
        return len(base64.b64decode(client_key.strip(), validate=True)) == 16
    except ValueError:
        return False


def _read_exact(rfile: BinaryIO, count: int) -> bytes:
    data = rfile.read(count)
    if data is None or len(data) < count:
        raise ConnectionClosed("the connection ended inside a frame")
    return data


def read_frame(rfile: BinaryIO, max_bytes: int) -> tuple[bool, int, bytes]:
    """One client frame: (fin, opcode, unmasked payload)."""
    head = rfile.read(2)
    if not head or len(head) < 2:
        raise ConnectionClosed("the connection ended")
    fin, rsv, opcode = head[0] & 0x80, head[0] & 0x70, head[0] & 0x0F
    masked, length = head[1] & 0x80, head[1] & 0x7F
    if rsv:
        raise WebSocketError(CLOSE_PROTOCOL_ERROR, "reserved bits set (no extension was negotiated)")
    if opcode not in (OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG):
        raise WebSocketError(CLOSE_PROTOCOL_ERROR, f"unknown opcode {opcode:#x}")
    if not masked:
        raise WebSocketError(CLOSE_PROTOCOL_ERROR, "client frames must be masked")
    if length == 126:
        length = struct.unpack(">H", _read_exact(rfile, 2))[0]
    elif length == 127:
        length = struct.unpack(">Q", _read_exact(rfile, 8))[0]
    if opcode >= OP_CLOSE and (length > 125 or not fin):
        raise WebSocketError(CLOSE_PROTOCOL_ERROR, "control frames must be short and unfragmented")
    if length > max_bytes:
        raise WebSocketError(CLOSE_TOO_BIG, f"frame of {length} bytes exceeds the {max_bytes}-byte limit")
    mask = _read_exact(rfile, 4)
    data = _read_exact(rfile, length)
    key = (mask * (length // 4 + 1))[:length]  # XOR as one big integer: fast for a 32 KB audio message
    payload = (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(length, "big")
    return bool(fin), opcode, payload


def read_message(rfile: BinaryIO, wfile: BinaryIO, max_bytes: int) -> tuple[int, bytes]:
    """The next complete data message (opcode, payload); answers pings, raises ConnectionClosed on close."""
    opcode: int | None = None
    parts: list[bytes] = []
    size = 0
    while True:
        fin, frame_opcode, payload = read_frame(rfile, max_bytes)
        if frame_opcode == OP_PING:
            send_frame(wfile, OP_PONG, payload)
            continue
        if frame_opcode == OP_PONG:
            continue
        if frame_opcode == OP_CLOSE:
            send_frame(wfile, OP_CLOSE, payload[:2])
            raise ConnectionClosed("the client closed the connection")
        if frame_opcode == OP_CONTINUATION:
            if opcode is None:
                raise WebSocketError(CLOSE_PROTOCOL_ERROR, "continuation frame without a message")
        elif opcode is not None:
            raise WebSocketError(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one")
        else:
            opcode = frame_opcode
        size += len(payload)
        if size > max_bytes:
            raise WebSocketError(CLOSE_TOO_BIG, f"message exceeds the {max_bytes}-byte limit")
        parts.append(payload)
        if fin:
            return opcode, b"".join(parts)


def send_frame(wfile: BinaryIO, opcode: int, payload: bytes) -> None:
    """One unmasked server frame."""
    length = len(payload)
    if length < 126:
        header = struct.pack(">BB", 0x80 | opcode, length)
    elif length < 1 << 16:
        header = struct.pack(">BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack(">BBQ", 0x80 | opcode, 127, length)
    wfile.write(header + payload)
    wfile.flush()


def close_payload(code: int, reason: str) -> bytes:
    return struct.pack(">H", code) + reason.encode("utf-8")[:120]
