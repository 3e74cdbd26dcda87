"""The streaming runner: moves a source's chunks through a target and accounts for time.

One runner drives every target (host, emulator, Renode, device):

    from edgesim.apps import load_app
    from edgesim.pipeline import Runner
    from edgesim.sources import open_source
    from edgesim.targets import create_target

    app = load_app("wake_word")
    with create_target("host") as target, open_source("speech.wav", "audio") as source:
        target.open(app)
        summary = Runner(app, target, source).run(on_event=print)

What it does:
  * live sources (mic, camera, mouse) are read by a producer thread into a
    bounded ring buffer; when processing falls behind, the oldest chunks are
    dropped and counted (``dropped_chunks``, ``dropped_ms``), never queued
    without bound;
  * files are read as fast as possible (no drops), or paced to real time
    with ``realtime=True``;
  * every chunk has a deadline (the app's ``deadline_ms`` or the chunk's own
    duration: processing must keep up with the sensor); misses are counted;
  * per-stage latency p50/p99 comes from the target's timings plus the
    runner's own "chunk" (whole target call) and, for live sources, "queue"
    (wait in the ring buffer);
  * Ctrl-C (KeyboardInterrupt) stops the source cleanly and still produces
    the summary, with ``interrupted: true``;
  * streams end: after the last chunk of an audio file, ``tail_ms`` of silence
    goes through the same target (``default_tail_ms``: the recognizer's
    averaging window), so a word at the very end of a clip is still averaged
    and reported; the summary notes input shorter than the recognizer needs;
  * a folder is one independent stream per file (the target is reset between
    files): every event carries its ``file`` and the summary lists per-file
    results under ``files``.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from edgesim.app import App
from edgesim.constants import AUDIO_HOP_SAMPLES, AUDIO_SAMPLE_RATE_HZ
from edgesim.events import DetectionEvent, Event, InferenceEvent, SummaryEvent
from edgesim.sources.base import AudioChunk
from edgesim.sources.frames import conform_source
from edgesim.targets.base import StageTimes, Target

EventSink = Callable[[Event], None]
ChunkObserver = Callable[[Any], None]


def chunk_duration_ms(chunk: Any, app: App) -> float | None:
    """Stream time a chunk covers: samples / rate for audio and IMU, one frame period for camera."""
    kind = getattr(chunk, "kind", "")
    if kind in ("audio", "imu"):
        rate = float(getattr(chunk, "rate_hz", app.sensor.rate_hz))
        return len(chunk.samples) * 1000.0 / rate
    if kind == "camera":
        return 1000.0 / app.sensor.rate_hz
    return None  # a finished stroke has no sensor period


def model_window_ms(app: App) -> float | None:
    """Audio one wake-word inference covers (the front end's window of feature frames), or None."""
    if app.preprocess.kernel != "audio_frontend":
        return None
    from edgesim.app import audio_frontend_config

    frontend = audio_frontend_config(app)
    frames = int(app.preprocess.param("window_frames", 0))
    return ((frames - 1) * frontend.hop_samples + frontend.window_samples) * 1000.0 / AUDIO_SAMPLE_RATE_HZ


def default_tail_ms(app: App) -> float:
    """Silence fed after a file ends: the recognizer's averaging window (0 for apps without one)."""
    if app.sensor.kind != "audio" or app.postprocess.kernel != "recognize_commands":
        return 0.0
    return float(app.postprocess.param("average_window_ms", 0))


def recognizer_span_ms(app: App) -> float | None:
    """Input a word needs so that enough results reach the averaging window: model window + averaging window."""
    window = model_window_ms(app)
    if window is None or app.postprocess.kernel != "recognize_commands":
        return None
    return window + float(app.postprocess.param("average_window_ms", 0))


def tail_chunks(start_sample: int, tail_ms: float, origin: str) -> Iterator[AudioChunk]:
    """``tail_ms`` of digital silence from ``start_sample`` on, in front end hops."""
    total = int(round(tail_ms * AUDIO_SAMPLE_RATE_HZ / 1000.0))
    for offset in range(0, total, AUDIO_HOP_SAMPLES):
        yield AudioChunk(start_sample + offset, np.zeros(min(AUDIO_HOP_SAMPLES, total - offset), np.int16),
                         origin=origin)


class Pacer:
    """Sleeps so that stream times are reached at real-time pace from the first one seen."""

    def __init__(self) -> None:
        self._wall_start = 0.0
        self._first_t: float | None = None

    def wait_for(self, t_ms: float) -> None:
        if self._first_t is None:
            self._first_t, self._wall_start = t_ms, time.monotonic()
            return
        delay = self._wall_start + (t_ms - self._first_t) / 1000.0 - time.monotonic()
        if delay > 0:
            time.sleep(delay)


class RingBuffer:
    """Bounded FIFO shared by a producer thread and the runner; overflow drops the oldest item.

        >>> ring = RingBuffer(2)
        >>> for item in "abc": _ = ring.put(item)
        >>> ring.dropped, ring.get(0), ring.get(0)
        (1, 'b', 'c')
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("ring buffer capacity must be at least 1")
        self._items: deque[Any] = deque()
        self._capacity = capacity
        self._cond = threading.Condition()
        self._closed = False
        self.dropped = 0

    def put(self, item: Any) -> Any | None:
        """Append; returns the item dropped to make room, if any."""
        with self._cond:
            dropped = None
            if len(self._items) >= self._capacity:
                dropped = self._items.popleft()
                self.dropped += 1
            self._items.append(item)
            self._cond.notify()
            return dropped

    def close(self) -> None:
        """No more items will come; get() returns None once drained."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def get(self, timeout: float | None = None) -> Any | None:
        """Oldest item, waiting up to ``timeout`` s; None when closed and empty or on timeout."""
        with self._cond:
            if not self._items and not self._closed:
                self._cond.wait(timeout)
            return self._items.popleft() if self._items else None

    @property
    def finished(self) -> bool:
        with self._cond:
            return self._closed and not self._items


class Runner:
    """Runs ``source`` (one stream, or one stream per file of a folder) through an opened ``target``.

    realtime: pace a file source to its timestamps (live sources pace themselves).
    ring_chunks: capacity of the ring buffer between a live source and the target.
    max_stream_ms: stop after this much stream time (for endless sources).
    tail_ms: silence fed through the target after each audio file ends (see default_tail_ms).
    """

    def __init__(self, app: App, target: Target, source: Any, *, realtime: bool = False, ring_chunks: int = 64,
                 max_stream_ms: float | None = None, tail_ms: float = 0.0) -> None:
        if tail_ms < 0:
            raise ValueError("tail_ms must not be negative")
        self.app = app
        self.target = target
        self.source = conform_source(source, app.sensor)  # the camera's declared frame, for every target
        self.realtime = realtime
        self.ring_chunks = ring_chunks
        self.max_stream_ms = max_stream_ms
        self.tail_ms = tail_ms
        self.timings = StageTimes()
        self._counts = {"chunks": 0, "inferences": 0, "detections": 0, "deadline_checked": 0, "deadline_misses": 0}
        self._detections_by_label: dict[str, int] = {}
        self._dropped_chunks = 0
        self._dropped_ms = 0.0
        self._stream_ms = 0.0      # input time of all finished streams plus the current one
        self._offset_ms = 0.0      # input time of the finished streams (files before the current one)
        self._tail_fed_ms = 0.0
        self._short_streams = 0    # streams shorter than the recognizer needs
        self._files: list[dict[str, Any]] = []
        self._error: BaseException | None = None

    # ------------------------------------------------------------------ chunk sources
    def _file_chunks(self, chunks: Iterable[Any], pacer: Pacer) -> Iterator[tuple[Any, float]]:
        for chunk in chunks:
            if self.realtime:
                pacer.wait_for(chunk.t_ms)
            yield chunk, time.monotonic()

    def _live_chunks(self, stream: Any) -> Iterator[tuple[Any, float]]:
        ring = RingBuffer(self.ring_chunks)

        def produce() -> None:
            try:
                for chunk in stream:
                    if self.max_stream_ms is not None and chunk.t_ms >= self.max_stream_ms:
                        break  # capture no more than will be processed
                    dropped = ring.put((chunk, time.monotonic()))
                    if dropped is not None:
                        self._dropped_chunks += 1
                        self._dropped_ms += chunk_duration_ms(dropped[0], self.app) or 0.0
                    if getattr(stream, "closed", False):
                        break
            except BaseException as error:  # handed to the runner thread, re-raised there
                self._error = error
            finally:
                ring.close()

        producer = threading.Thread(target=produce, name="edgesim-source", daemon=True)
        producer.start()
        try:
            while not ring.finished:
                item = ring.get(timeout=0.1)
                if item is not None:
                    yield item
            if self._error is not None:
                raise self._error
        finally:
            stream.close()
            producer.join(timeout=2.0)

    # ------------------------------------------------------------------ the loop
    def _account(self, events: list[Event], sink: EventSink) -> None:
        for event in events:
            if isinstance(event, InferenceEvent):
                self._counts["inferences"] += 1
            elif isinstance(event, DetectionEvent):
                self._counts["detections"] += 1
                self._detections_by_label[event.label] = self._detections_by_label.get(event.label, 0) + 1
            sink(event)

    def _process(self, chunk: Any, arrived: float, live: bool, sink: EventSink) -> None:
        start = time.monotonic()
        if live:
            self.timings.record("queue", start - arrived)
        events = self.target.process(chunk)
        elapsed = time.monotonic() - start
        self.timings.record("chunk", elapsed)
        self._counts["chunks"] += 1
        duration = chunk_duration_ms(chunk, self.app)
        budget = self.app.deadline_ms if self.app.deadline_ms is not None else duration
        if budget is not None:
            self._counts["deadline_checked"] += 1
            if elapsed * 1000.0 > budget:
                self._counts["deadline_misses"] += 1
        self._account(events, sink)

    def _streams(self) -> Iterator[tuple[str | None, Any]]:
        """(file, stream) pairs: one per file of a folder source, else (None, the source)."""
        streams = getattr(self.source, "streams", None)
        return iter([(None, self.source)]) if streams is None else streams()

    def _run_stream(self, file: str | None, stream: Any, live: bool, sink: EventSink,
                    on_chunk: ChunkObserver | None) -> None:
        result: dict[str, Any] = {"file": file, "inferences": 0, "detections": []}

        def file_sink(event: Event) -> None:
            if isinstance(event, (InferenceEvent, DetectionEvent)):
                event.extra["file"] = file
                if isinstance(event, InferenceEvent):
                    result["inferences"] += 1
                else:
                    result["detections"].append(event.label)
            sink(event)

        stream_sink = sink if file is None else file_sink
        end_sample = 0
        stream_ms = 0.0
        stopped = False
        pacer = Pacer()
        for chunk, arrived in (self._live_chunks(stream) if live else self._file_chunks(stream, pacer)):
            if self.max_stream_ms is not None and self._offset_ms + chunk.t_ms >= self.max_stream_ms:
                stopped = True
                break
            if on_chunk is not None:
                on_chunk(chunk)
            self._process(chunk, arrived, live, stream_sink)
            stream_ms = max(stream_ms, chunk.t_ms + (chunk_duration_ms(chunk, self.app) or 0.0))
            self._stream_ms = self._offset_ms + stream_ms
            if getattr(chunk, "kind", "") == "audio":
                end_sample = chunk.start_sample + len(chunk.samples)
        span = recognizer_span_ms(self.app)
        if span is not None and 0 < stream_ms < span and not stopped:
            self._short_streams += 1
        if not live and self.tail_ms > 0 and getattr(stream, "kind", "") == "audio" and stream_ms > 0:
            for chunk, arrived in self._file_chunks(tail_chunks(end_sample, self.tail_ms, "tail"), pacer):
                self._process(chunk, arrived, False, stream_sink)
            self._tail_fed_ms += self.tail_ms
        self._account(self.target.finish(), stream_sink)
        self._offset_ms += stream_ms
        if file is not None:
            result["stream_ms"] = round(stream_ms, 3)
            self._files.append(result)

    def run(self, on_event: EventSink | None = None, on_chunk: ChunkObserver | None = None) -> SummaryEvent:
        """Process the whole stream; events go to ``on_event`` (the summary last) and are returned in it.

        ``on_chunk`` sees every input chunk before the target does (the display's input level
        meter); the silent tail is not input and is not shown.
        """
        sink: EventSink = on_event or (lambda event: None)
        live = bool(getattr(self.source, "is_live", False))
        interrupted = False
        wall_start = time.monotonic()
        try:
            for index, (file, stream) in enumerate(self._streams()):
                if index:
                    self.target.reset()  # every file is an independent stream
                if self.max_stream_ms is not None and self._offset_ms >= self.max_stream_ms:
                    break
                self._run_stream(file, stream, live, sink, on_chunk)
        except KeyboardInterrupt:
            interrupted = True
            self.source.close()
        summary = SummaryEvent(self._summary(time.monotonic() - wall_start, interrupted))
        sink(summary)
        return summary

    def _notes(self) -> list[str]:
        notes = list(getattr(self.source, "notes", []))
        span = recognizer_span_ms(self.app)
        if self._short_streams and span is not None:
            what = "the input is" if not self._files else f"{self._short_streams} of {len(self._files)} files are"
            window = model_window_ms(self.app) or 0.0
            average = span - window
            fix = (f"{self.tail_ms:.0f} ms of silence were fed after each end (--tail-ms)" if self.tail_ms > 0 else
                   f"a word near the end may be missed: add --tail-ms {average:.0f}")
            notes.append(f"{what} shorter than the {span / 1000:.2f} s the recognizer needs to average a word "
                         f"({window / 1000:.2f} s model window + {average / 1000:.2f} s averaging window); {fix}")
        return notes

    def _summary(self, wall_s: float, interrupted: bool) -> dict[str, Any]:
        dropped_chunks = self._dropped_chunks
        overflows = int(getattr(self.source, "overflows", 0) or 0)  # device-side drops (PortAudio)
        target_stats = dict(self.target.stats())
        warnings = list(target_stats.pop("warnings", []))
        if dropped_chunks:
            warnings.append(f"dropped {dropped_chunks} chunks ({self._dropped_ms:.0f} ms of input) because "
                            f"processing fell behind the sensor")
        if overflows:
            warnings.append(f"the input device reported {overflows} overflows (audio lost before edgesim saw it)")
        if self._counts["deadline_misses"]:
            warnings.append(f"{self._counts['deadline_misses']} of {self._counts['deadline_checked']} chunks took "
                            f"longer to process than the sensor time they cover")
        latency = {**self.target.timings.summary(), **self.timings.summary()}
        stats: dict[str, Any] = {
            "app": self.app.name,
            "target": self.target.name,
            "source": getattr(self.source, "description", str(self.source)),
            "notes": self._notes(),
            "stream_ms": round(self._stream_ms, 3),
            "tail_ms": round(self._tail_fed_ms, 3),
            "wall_s": round(wall_s, 4),
            "realtime_factor": round(self._stream_ms / 1000.0 / wall_s, 2) if wall_s > 0 and self._stream_ms else None,
            **self._counts,
            "detections_by_label": dict(self._detections_by_label),
            "dropped_chunks": dropped_chunks,
            "dropped_ms": round(self._dropped_ms, 3),
            "input_overflows": overflows,
            "latency_ms": latency,
            **target_stats,
            "warnings": warnings,
            "interrupted": interrupted,
        }
        if self._files:
            stats["files"] = self._files
        return stats
