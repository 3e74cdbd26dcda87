"""A link that survives noise: the fault-injecting transport, and the reliable Link against the
real firmware on QEMU's UART at 1e-3 and 1e-2 byte error rates (results equal a clean run)."""
from __future__ import annotations

import random
import shutil
import struct

import numpy as np
import pytest

from conftest import shared_path
from edgesim import protocol as p
from edgesim.errors import TargetError
from edgesim.targets.transports import FaultyTransport

needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="needs qemu-system-arm and gcc-arm-none-eabi (tools/bootstrap.sh dev)")


class Pipe:
    """A Transport that hands back what was written."""

    def __init__(self) -> None:
        self.data = bytearray()

    def read(self, max_bytes: int, timeout: float) -> bytes:
        out = bytes(self.data[:max_bytes])
        del self.data[:max_bytes]
        return out

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        pass


def test_faulty_transport_injects_every_kind_at_the_rate_and_is_reproducible() -> None:
    data = bytes(random.Random(3).randbytes(200_000))
    outputs = []
    for _ in range(2):
        faulty = FaultyTransport(Pipe(), rate=1e-2, seed=7, stall_s=0.0)
        faulty.write(data)
        outputs.append((faulty.inner.read(len(data) * 2, 0), dict(faulty.injected)))  # damaged once, on write
    (damaged, injected), again = outputs
    assert again == outputs[0], "a seeded run is reproducible"
    assert all(400 <= count <= 600 for count in injected.values()), injected  # 2000 faults, 4 kinds
    assert len(damaged) == len(data) - injected["drop"] + injected["repeat"]
    clean = FaultyTransport(Pipe(), rate=0.0)
    clean.write(data)
    assert clean.read(len(data), 0) == data and not any(clean.injected.values())
    with pytest.raises(TargetError, match="fault rate"):
        FaultyTransport(Pipe(), rate=1.5)


def test_no_corrupted_frame_is_ever_accepted() -> None:
    """Every frame that survives a 2 % byte error rate is bit-exact; the rest are counted."""
    rng = random.Random(1)
    frames = [(seq, rng.randbytes(rng.randint(0, 300))) for seq in range(400)]
    faulty = FaultyTransport(Pipe(), rate=2e-2, seed=2, stall_s=0.0)
    faulty.write(b"".join(p.encode_frame(p.SCORES, seq, payload) for seq, payload in frames))
    decoder = p.FrameDecoder()
    got = decoder.feed(faulty.inner.read(10**7, 0)) + decoder.abandon()
    sent = dict(frames)
    assert got and all(sent.get(frame.seq) == frame.payload and frame.type == p.SCORES for frame in got)
    assert len(got) < len(frames) and decoder.rejected > 0


@pytest.fixture(scope="module")
def selftest_elf():
    from firmware_support import selftest_image

    return selftest_image().elf


@needs_qemu
@pytest.mark.parametrize("rate", [1e-3, 1e-2])
def test_frames_cross_a_noisy_uart_both_ways_intact_and_in_order(selftest_elf, rate: float) -> None:
    """The self-test firmware echoes every frame: the echoes come back complete, once, in order."""
    from edgesim.mcu.qemu import QemuMachine

    rng = np.random.default_rng(5)
    payloads = [rng.integers(0, 256, 64, dtype=np.uint8).tobytes() for _ in range(60)]
    with QemuMachine(selftest_elf) as machine:
        faulty = FaultyTransport(machine, rate, seed=11)
        link = p.Link(faulty, timeout=20, repeats=True, retry_s=0.3)
        deadline_hello = None
        while deadline_hello is None:  # the handshake of the targets: CONFIG until a HELLO answers
            link.send(p.CONFIG, struct.pack("<I", 0))
            try:
                frame = link.receive_frame(timeout=0.5, check_sequence=False)
            except p.LinkTimeout:
                continue
            if frame.type == p.HELLO and frame.seq != 0:
                link.expect_sequence(frame.seq + 1)
                deadline_hello = frame
        echoes = []
        for payload in payloads:
            link.send(p.AUDIO, payload)
        while len(echoes) < len(payloads):
            frame = link.receive_frame()
            if frame.type == p.HELLO:
                continue  # the answer to a repeated CONFIG
            echoes.append(frame.payload)
        assert echoes == payloads
        counters = link.counters()
        injected = sum(faulty.injected.values())
        assert injected > 0
        # Damage was seen and repaired, and never more often than it was done.
        assert counters["rejected"] + counters["out_of_order"] + counters["resent"] > 0, counters
        assert counters["rejected"] <= injected


def stream_events(target, chunks) -> list[str]:
    events = []
    for chunk in chunks:
        events += target.process(chunk)
    events += target.finish()
    return [event.to_json() for event in events]


@needs_qemu
def test_wake_word_on_a_noisy_uart_gives_the_clean_results(monkeypatch: pytest.MonkeyPatch) -> None:
    from edgesim.apps import load_app
    from edgesim.sources.base import AudioChunk
    from edgesim.sources.wav import read_wav
    from edgesim.targets.emulator import EmulatorTarget

    monkeypatch.setenv("EDGESIM_MODELS", str(shared_path("models")))
    audio = read_wav(shared_path("testdata", "micro_speech", "yes_1000ms.wav")).samples
    chunks = [AudioChunk(start, audio[start:start + 1600]) for start in range(0, len(audio), 1600)]
    app = load_app("wake_word")
    with EmulatorTarget() as clean:
        clean.open(app)
        expected = stream_events(clean, chunks)
    with EmulatorTarget(link_faults=1e-3) as noisy:
        noisy.open(app)
        got = stream_events(noisy, chunks)
        stats = noisy.stats()
    assert got == expected and expected
    link, injected = stats["link"], stats["link_faults_injected"]
    assert sum(injected.values()) > 0
    assert link["rejected"] + link["out_of_order"] + link["resent"] > 0, link
    assert any("every one was detected" in warning for warning in stats["warnings"])


@needs_qemu
def test_gesture_strokes_on_a_very_noisy_uart_give_the_clean_results(monkeypatch: pytest.MonkeyPatch) -> None:
    from edgesim.apps import load_app
    from edgesim.sources.base import StrokeChunk
    from edgesim.sources.files import read_stroke_csv
    from edgesim.targets.emulator import EmulatorTarget

    monkeypatch.setenv("EDGESIM_MODELS", str(shared_path("models")))
    paths = sorted(shared_path("testdata", "magic_wand").glob("stroke_digit*.csv"))
    chunks = [StrokeChunk(1000.0 * i, read_stroke_csv(path)) for i, path in enumerate(paths)]
    app = load_app("gesture")
    with EmulatorTarget() as clean:
        clean.open(app)
        expected = stream_events(clean, chunks)
    with EmulatorTarget(link_faults=1e-2) as noisy:
        noisy.open(app)
        try:
            got = stream_events(noisy, chunks)
        except TargetError as error:  # allowed: one clear line that names the link
            assert "link to QEMU" in str(error) and "\n" not in str(error)
            return
        stats = noisy.stats()
    assert got == expected and expected
    assert stats["link"]["rejected"] + stats["link"]["out_of_order"] + stats["link"]["resent"] > 0
