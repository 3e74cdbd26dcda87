"""The streaming runner: pacing, ring buffer drops, deadlines, latency, Ctrl-C, with stand-in targets and sources."""
from __future__ import annotations

import time
from typing import Any, Iterator

import numpy as np
import pytest

from edgesim.apps import load_app
from edgesim.events import DetectionEvent, Event, InferenceEvent, SummaryEvent
from edgesim.pipeline import RingBuffer, Runner, chunk_duration_ms
from edgesim.sources.base import AudioChunk, Source
from edgesim.targets.base import StageTimes, Target

APP = load_app("wake_word")
HOP = 320


class ChunkSource(Source):
    """n chunks of 20 ms audio; optionally live (and then produced without pause)."""

    kind = "audio"

    def __init__(self, n: int, live: bool = False, produce_s: float = 0.0) -> None:
        super().__init__(f"{n} test chunks")
        self.n, self.is_live, self.produce_s = n, live, produce_s
        self.total_chunks = n
        self.duration_ms = n * 20.0

    def __iter__(self) -> Iterator[AudioChunk]:
        for i in range(self.n):
            if self.closed:
                return
            if self.produce_s:
                time.sleep(self.produce_s)
            yield AudioChunk(i * HOP, np.zeros(HOP, np.int16), origin="test")


class EchoTarget(Target):
    """One inference per chunk (top alternates), a detection every 10th; optional processing delay."""

    name = "echo"

    def __init__(self, delay_s: float = 0.0, interrupt_at: int | None = None) -> None:
        super().__init__()
        self.delay_s, self.interrupt_at = delay_s, interrupt_at
        self.seen: list[float] = []
        self.finished = False

    def open(self, app: Any) -> None:
        self.app = app

    def process(self, chunk: Any) -> list[Event]:
        if self.interrupt_at is not None and len(self.seen) == self.interrupt_at:
            raise KeyboardInterrupt
        with self.timings.time("infer"):
            if self.delay_s:
                time.sleep(self.delay_s)
        self.seen.append(chunk.t_ms)
        t = int(chunk.t_ms)
        raw = [-128, -128, 127, -128] if len(self.seen) % 2 else [127, -128, -128, -128]
        events: list[Event] = [InferenceEvent.from_raw(t, raw, APP.labels, 1 / 256, -128)]
        if len(self.seen) % 10 == 0:
            events.append(DetectionEvent(t, "yes", 0.9))
        return events

    def finish(self) -> list[Event]:
        self.finished = True
        return [DetectionEvent(int(self.seen[-1]) if self.seen else 0, "no", 0.7)]

    def reset(self) -> None:
        self.seen.clear()

    def stats(self) -> dict[str, Any]:
        return {"echo": True, "warnings": ["echo warning"]}


def run(source: Source, target: Target, **options: Any) -> tuple[list[Event], SummaryEvent]:
    events: list[Event] = []
    summary = Runner(APP, target, source, **options).run(on_event=events.append)
    return events, summary


def test_file_source_is_processed_completely_in_order_without_drops() -> None:
    target = EchoTarget()
    events, summary = run(ChunkSource(100), target)
    assert target.seen == [i * 20.0 for i in range(100)] and target.finished
    assert isinstance(events[-1], SummaryEvent) and events[-1] is summary
    s = summary.stats
    assert (s["chunks"], s["inferences"], s["detections"]) == (100, 100, 11)
    assert s["detections_by_label"] == {"yes": 10, "no": 1}
    # (deadline misses are not asserted: a busy machine may stall any chunk past its 20 ms)
    assert s["dropped_chunks"] == 0 and s["deadline_checked"] == 100
    assert s["stream_ms"] == 2000.0 and s["interrupted"] is False
    assert s["echo"] is True and "echo warning" in s["warnings"]
    assert set(s["latency_ms"]) == {"infer", "chunk"}
    assert s["latency_ms"]["chunk"]["count"] == 100


def test_slow_processing_counts_deadline_misses() -> None:
    _, summary = run(ChunkSource(5), EchoTarget(delay_s=0.03))  # 30 ms per 20 ms chunk
    assert summary.stats["deadline_misses"] == 5
    assert any("longer to process than the sensor time" in w for w in summary.stats["warnings"])
    assert summary.stats["latency_ms"]["infer"]["p50"] >= 30.0


def test_live_source_overflowing_the_ring_buffer_drops_oldest_and_reports_it() -> None:
    # The producer delivers 200 chunks almost at once; the target needs 5 ms each; the ring holds 8.
    target = EchoTarget(delay_s=0.005)
    _, summary = run(ChunkSource(200, live=True), target, ring_chunks=8)
    s = summary.stats
    assert s["dropped_chunks"] > 0
    assert s["chunks"] + s["dropped_chunks"] == 200
    assert s["dropped_ms"] == pytest.approx(20.0 * s["dropped_chunks"])
    assert target.seen == sorted(target.seen)  # still in stream order
    assert target.seen[-1] == 199 * 20.0  # the newest chunk survives
    assert "queue" in s["latency_ms"]
    assert any("dropped" in w for w in s["warnings"])


def test_live_source_that_keeps_up_drops_nothing() -> None:
    _, summary = run(ChunkSource(20, live=True, produce_s=0.002), EchoTarget(), ring_chunks=4)
    assert summary.stats["dropped_chunks"] == 0 and summary.stats["chunks"] == 20


def test_ctrl_c_stops_cleanly_with_a_summary() -> None:
    source = ChunkSource(100)
    events, summary = run(source, EchoTarget(interrupt_at=30))
    assert summary.stats["interrupted"] is True and summary.stats["chunks"] == 30
    assert source.closed
    assert events[-1] is summary


def test_ctrl_c_with_a_live_source_stops_the_producer() -> None:
    source = ChunkSource(10_000, live=True, produce_s=0.001)
    started = time.monotonic()
    _, summary = run(source, EchoTarget(interrupt_at=20))
    assert summary.stats["interrupted"] is True and source.closed
    assert time.monotonic() - started < 5


def test_errors_in_a_live_source_reach_the_caller() -> None:
    class Broken(ChunkSource):
        def __iter__(self) -> Iterator[AudioChunk]:
            yield AudioChunk(0, np.zeros(HOP, np.int16))
            raise OSError("device unplugged")

    with pytest.raises(OSError, match="unplugged"):
        run(Broken(1, live=True), EchoTarget())


def test_realtime_pacing_follows_timestamps() -> None:
    started = time.monotonic()
    run(ChunkSource(10), EchoTarget(), realtime=True)  # 200 ms of audio
    assert time.monotonic() - started >= 0.17


def test_max_stream_ms_stops_endless_input() -> None:
    _, summary = run(ChunkSource(1000), EchoTarget(), max_stream_ms=100)
    assert summary.stats["chunks"] == 5


def test_ring_buffer_and_helpers() -> None:
    ring = RingBuffer(2)
    assert ring.put(1) is None and ring.put(2) is None and ring.put(3) == 1
    assert (ring.get(0), ring.get(0), ring.get(0.01)) == (2, 3, None)
    ring.close()
    assert ring.finished
    with pytest.raises(ValueError):
        RingBuffer(0)
    assert chunk_duration_ms(AudioChunk(0, np.zeros(160, np.int16)), APP) == 10.0
    times = StageTimes()
    for ms in range(1, 101):
        times.record("x", ms / 1000)
    summary = times.summary()["x"]  # percentiles within 1% (log buckets), max and count exact
    assert abs(summary["p50"] - 50.0) <= 0.5 and abs(summary["p99"] - 99.0) <= 0.99
    assert (summary["max"], summary["count"]) == (100.0, 100)


def test_the_tail_is_silence_through_the_same_target_after_the_last_chunk() -> None:
    target = EchoTarget()
    source = ChunkSource(10)
    events, summary = run(source, target, tail_ms=100.0)
    assert target.seen == [i * 20.0 for i in range(15)]  # 10 input chunks, then 5 hops of silence
    assert summary.stats["chunks"] == 15 and summary.stats["stream_ms"] == 200.0
    assert summary.stats["tail_ms"] == 100.0 and target.finished


def test_live_sources_get_no_tail() -> None:
    target = EchoTarget()
    events, summary = run(ChunkSource(10, live=True), target, tail_ms=100.0)
    assert len(target.seen) == 10 and summary.stats["tail_ms"] == 0.0
