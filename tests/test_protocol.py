"""Host-side protocol codec (edgesim.protocol): golden frames, resync, timeouts, random abuse."""
from __future__ import annotations

import random
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from edgesim import _protocol
from edgesim import protocol as p
from edgesim.errors import ProtocolError, TargetError

GOLDEN = [line.split() for line in Path(__file__).with_name("protocol_golden.txt").read_text().splitlines()]


def golden_frames() -> list[tuple[str, p.Frame, bytes]]:
    out = []
    for name, frame_type, seq, payload_hex, frame_hex in GOLDEN:
        payload = b"" if payload_hex == "-" else bytes.fromhex(payload_hex)
        out.append((name, p.Frame(int(frame_type), int(seq), payload), bytes.fromhex(frame_hex)))
    return out


@pytest.mark.parametrize("name,frame,raw", golden_frames(), ids=[g[0] for g in GOLDEN])
def test_encoder_reproduces_golden_frame(name: str, frame: p.Frame, raw: bytes) -> None:
    assert p.encode_frame(frame.type, frame.seq, frame.payload) == raw
    assert p.FrameDecoder().feed(raw) == [frame]


def test_device_payloads_decode_to_typed_messages() -> None:
    by_name = {name: frame for name, frame, _ in golden_frames()}
    hello = p.decode_message(by_name["hello"])
    assert hello == p.Hello(p.APP_IDS["wake_word"], p.BOARD_IDS["mps2-an386"], 18712, 7000, 1960, 4)
    scores = p.decode_message(by_name["scores"])
    assert (scores.index, scores.timestamp, scores.values.tolist()) == (2, 16000, [-128, -128, 127, -128])
    assert p.decode_message(by_name["detection"]) == p.Detection(12, 24000, 2, 201, "command")
    assert p.decode_message(by_name["stats"]) == p.Stats(
        1, {"preprocess": 123456, "invoke": 987654, "postprocess": 321}, 2048)
    error = p.decode_message(by_name["error"])
    assert (error.status, error.detail) == (10, "bad frame")
    raw = p.decode_message(by_name["raw_audio"])
    assert raw == p.Raw(p.AUDIO, 48000, struct.pack("<4h", 8191, -8192, 0, -1))
    assert p.raw_payload(raw.input, raw.position, raw.data) == by_name["raw_audio"].payload
    with pytest.raises(ProtocolError, match="payload"):
        p.decode_message(p.Frame(p.RAW, 0, b"\x03\x00\x00"))
    fault = p.decode_message(by_name["fault"])
    assert "UNDEFINSTR" in fault.describe() and "PC=0x000002f0" in fault.describe()
    with pytest.raises(ProtocolError, match="payload"):
        p.decode_message(p.Frame(p.STATS, 0, b"\x00" * 3))
    with pytest.raises(ProtocolError, match="unexpected frame type"):
        p.decode_message(by_name["audio"])


def test_encoder_rejects_bad_type_and_oversized_payload() -> None:
    with pytest.raises(ProtocolError, match="unknown frame type"):
        p.encode_frame(0, 0)
    with pytest.raises(ProtocolError, match="exceeds"):
        p.encode_frame(p.AUDIO, 0, bytes(p.MAX_PAYLOAD + 1))


def test_streaming_decoder_is_independent_of_chunking_on_garbage_truncation_and_corruption() -> None:
    rng = random.Random(5)
    frames = [raw for _, _, raw in golden_frames()]
    for trial in range(300):
        stream = bytearray()
        for _ in range(rng.randint(1, 8)):
            choice = rng.random()
            raw = rng.choice(frames)
            if choice < 0.3:
                stream += bytes(rng.choice([0xE5, 0x01, rng.randrange(256)]) for _ in range(rng.randint(1, 30)))
            elif choice < 0.5:
                stream += raw[:rng.randrange(len(raw))]  # truncated
            elif choice < 0.7:
                bad = bytearray(raw)
                bad[rng.randrange(len(bad))] ^= 1 << rng.randrange(8)  # corrupted
                stream += bad
            else:
                stream += raw
        c_frames, counters = _protocol.decode(bytes(stream))
        decoder = p.FrameDecoder()
        py_frames = []
        pos = 0
        while pos < len(stream):  # random chunking must not matter
            step = rng.randint(1, 200)
            py_frames += decoder.feed(bytes(stream[pos:pos + step]))
            pos += step
        assert [(f.type, f.flags, f.seq, f.payload) for f in py_frames] == c_frames, trial
        assert (decoder.frames, decoder.rejected, decoder.skipped) == (
            counters["frames"], counters["rejected"], counters["skipped"]), trial


class FakeTransport:
    """Scripted device: returns queued chunks, then silence."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.written = bytearray()

    def read(self, max_bytes: int, timeout: float) -> bytes:
        if self.chunks:
            return self.chunks.pop(0)
        time.sleep(min(timeout, 0.01))
        return b""

    def write(self, data: bytes) -> None:
        self.written += data


def test_link_times_out_with_a_clear_message_instead_of_hanging() -> None:
    link = p.Link(FakeTransport([b"garbage"]), timeout=0.2)
    start = time.monotonic()
    with pytest.raises(ProtocolError, match=r"timed out after 0\.2 s waiting for scores.*7 bytes skipped"):
        link.receive(waiting_for="scores")
    assert time.monotonic() - start < 2


def test_link_detects_lost_frames_and_resyncs_over_garbage() -> None:
    scores = p.encode_frame(p.SCORES, 0, bytes(8) + b"\x01\x02")
    lost = p.encode_frame(p.SCORES, 2, bytes(8) + b"\x03\x04")
    link = p.Link(FakeTransport([b"\xe5\xe5noise" + scores[:5], scores[5:] + lost]), timeout=1)
    assert link.receive().values.tolist() == [1, 2]
    with pytest.raises(ProtocolError, match="expected 1, got 2"):
        link.receive()


def test_link_turns_a_fault_frame_into_a_target_error_with_registers() -> None:
    fault = next(raw for name, _, raw in golden_frames() if name == "fault")
    with pytest.raises(TargetError, match="UNDEFINSTR.*PC=0x000002f0"):
        p.Link(FakeTransport([fault])).receive()


def test_link_numbers_outgoing_frames_and_payload_helpers_split_big_data() -> None:
    transport = FakeTransport([])
    link = p.Link(transport)
    audio = np.arange(-5000, 5000, dtype=np.int16)
    link.send_all(p.AUDIO, p.audio_payloads(audio))
    frames = p.FrameDecoder().feed(bytes(transport.written))
    assert [f.seq for f in frames] == list(range(len(frames))) and len(frames) == 5
    assert np.frombuffer(b"".join(f.payload for f in frames), "<i2").tolist() == audio.tolist()
    image = np.arange(96 * 96, dtype=np.uint32).astype(np.uint8).reshape(96, 96)
    chunks = p.image_payloads(image, 0)
    assert all(len(c) <= p.MAX_PAYLOAD for c in chunks) and len(chunks) == 3
    assert b"".join(c[_protocol.IMAGE_HEADER_BYTES:] for c in chunks) == image.tobytes()
    with pytest.raises(ProtocolError, match="does not fit"):
        p.stroke_payload(np.zeros((p.MAX_PAYLOAD, 2), np.int8))


def test_a_garbage_header_is_abandoned_when_the_line_goes_quiet() -> None:
    fake_header = bytes([p.MAGIC, p.VERSION, p.AUDIO, 0, 0, 0, 0x00, 0x01])  # declares 256 bytes
    scores = p.encode_frame(p.SCORES, 0, bytes(8) + b"\x05")
    decoder = p.FrameDecoder()
    assert decoder.feed(fake_header + scores) == []
    (frame,) = decoder.abandon()
    assert frame.type == p.SCORES and (decoder.rejected, decoder.skipped) == (1, 8)
    link = p.Link(FakeTransport([fake_header + scores]), timeout=3)  # silence after the chunk
    start = time.monotonic()
    assert link.receive().values.tolist() == [5]
    assert time.monotonic() - start < 2


def test_reordered_or_repeated_frames_are_a_clear_error_not_silent_data() -> None:
    rng = random.Random(11)
    frames = [p.encode_frame(p.SCORES, seq, bytes(8) + bytes([seq])) for seq in range(6)]
    for _ in range(20):
        order = list(range(6))
        while order == sorted(order):
            rng.shuffle(order)
        link = p.Link(FakeTransport([b"".join(frames[i] for i in order)]), timeout=1)
        received = []
        with pytest.raises(ProtocolError, match="sequence gap.*lost or reordered"):
            for _ in range(6):
                received.append(link.receive().values[0])
        assert received == order[:len(received)] and received == sorted(received)


def test_a_reliable_link_counts_from_the_hello_that_answered_even_with_later_hellos_queued() -> None:
    # CONFIG repeated under load earns several HELLOs; they may already be queued when the
    # handshake takes the first one.  The session's numbers run on through them, so the frames
    # after them are in order, not a gap the device could no longer repair.
    hellos = [p.encode_frame(p.HELLO, seq, b"") for seq in range(4)]
    scores = [p.encode_frame(p.SCORES, seq, bytes(8) + bytes([seq])) for seq in range(4, 7)]
    link = p.Link(FakeTransport([b"".join(hellos), b"".join(scores)]), timeout=1, repeats=True)
    assert link.receive_frame(check_sequence=False).seq == 0  # the boot HELLO, skipped
    assert link.receive_frame(check_sequence=False).seq == 1  # the answer: the session starts after it
    link.expect_sequence(2)
    assert [link.receive_frame().seq for _ in range(5)] == [2, 3, 4, 5, 6]
    assert link.counters()["out_of_order"] == 0 and link.counters()["repeats_asked"] == 0
