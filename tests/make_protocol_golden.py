"""Writes tests/protocol_golden.txt: golden frames shared by the C and Python codec tests.

Run from the repository root after changing the protocol:
    .venv/bin/python tests/make_protocol_golden.py

Frames are built here with struct + zlib.crc32 straight from the layout in
protocol.h (not with either codec), so both codecs are checked against an
independent construction.  Line format: `name type seq payload-hex frame-hex`
("-" for an empty payload).
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

from edgesim import _protocol as p


def frame(frame_type: int, seq: int, payload: bytes) -> bytes:
    body = bytes([p.MAGIC, p.VERSION, frame_type, 0]) + struct.pack("<HH", seq, len(payload)) + payload
    return body + struct.pack("<I", zlib.crc32(body))


VECTORS = [
    ("hello", p.HELLO, 0, struct.pack("<BBHIIII", p.APP_WAKE_WORD, p.BOARD_MPS2_AN386, 0, 18712, 7000, 1960, 4)),
    ("config", p.CONFIG, 0, struct.pack("<I", p.CFG_FEATURES | p.CFG_STATS)),
    ("audio", p.AUDIO, 1, struct.pack("<8h", 0, 1, -1, 32767, -32768, 256, -256, 12345)),
    ("image_chunk", p.IMAGE, 2, struct.pack("<HHB3xI", 96, 96, 0, 4084) + bytes(range(16))),
    ("imu", p.IMU, 3, struct.pack("<12f", 0.0, 0.0, 1.0, 1.5, -2.25, 360.0, -0.5, 0.125, 0.9, 0.0, 0.0, -1.0)),
    ("stroke", p.STROKE, 4, struct.pack("<6b", 0, 0, 10, -20, 127, -128)),
    ("features", p.FEATURES, 5, struct.pack("<II", 3, 4088) + bytes([0x80, 0x7F, 0x00, 0xFF])),
    ("scores", p.SCORES, 6, struct.pack("<II4b", 2, 16000, -128, -128, 127, -128)),
    ("detection", p.DETECTION, 7, struct.pack("<IIhBB", 12, 24000, 2, 201, p.DET_COMMAND)),
    ("stats", p.STATS, 8, struct.pack("<I3II", 1, 123456, 987654, 321, 2048)),
    ("error", p.ERROR, 9, struct.pack("<HHHH", 10, p.STAGE_PROTOCOL, 4, 9) + b"bad frame"),
    ("end_empty", p.END, 10, b""),
    ("end_reply", p.END, 11, struct.pack("<IIII", 49, 1, 17, 1500)),
    ("fault", p.FAULT, 12, struct.pack("<10I", 0x00010000, 0x40000000, 0, 0, 1, 2, 0xFFFFFFF9, 0x2F0, 0x01000000,
                                       0x2003FFA0)),
    ("raw_audio", p.RAW, 14, struct.pack("<B3xI", p.AUDIO, 48000) + struct.pack("<4h", 8191, -8192, 0, -1)),
    ("seq_wrap", p.AUDIO, 0xFFFF, struct.pack("<2h", 7, -7)),
    ("max_payload", p.AUDIO, 13, bytes((i * 37) & 0xFF for i in range(p.MAX_PAYLOAD))),
]


def main() -> None:
    lines = [f"{name} {t} {seq} {payload.hex() or '-'} {frame(t, seq, payload).hex()}"
             for name, t, seq, payload in VECTORS]
    Path(__file__).with_name("protocol_golden.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
