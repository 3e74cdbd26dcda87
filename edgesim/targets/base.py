"""The Target interface: one small contract that host, emulator, Renode and device implement.

The runner (edgesim/pipeline.py) owns sources, pacing, ring buffers, drop and
deadline accounting, display and JSON output; a target only turns chunks of
sensor data into events.  The app definition is the same for every target.

Life cycle, driven by the runner (or by hand):

    target = create_target("host")           # edgesim.targets.create_target
    target.open(app)                         # load model / boot firmware, init kernels
    for chunk in source:                     # timestamped sensor chunks, in stream order
        for event in target.process(chunk):  # InferenceEvent / DetectionEvent, in t_ms order
            ...
    events = target.finish()                 # end of stream: flush what is pending
    target.reset()                           # optional: a new, independent stream (eval)
    target.close()                           # always; also via `with target:`

Chunks are those of edgesim.sources.base, in stream order:
    AudioChunk   .samples  int16 mono at the app's rate, .start_sample
    ImageFrame   .pixels   (H, W) or (H, W, 3) uint8 with .pixel_format
    ImuChunk     .samples  (n, 6) float32: accel xyz [g], gyro xyz [deg/s]
    StrokeChunk  .points   (n, 2) int8 points of an already segmented stroke
each with .kind ("audio", "camera", "imu", "stroke") and .t_ms (stream time
of its first sample).
Event ``t_ms`` is derived from sample counts (not from wall-clock time), so a
replayed file gives identical events on every target.

Per-chunk contract: process() returns the events completed by that chunk and
must not block on future input.  A target whose far end is slow (QEMU's UART)
may return events of earlier chunks late, but in order; finish() returns all
that remain.  Errors are raised as TargetError (or KernelError/ModelError for
bad data/models) with an actionable message, never swallowed.

Timing: targets record per-stage durations into ``self.timings`` (stage names
"preprocess", "infer", "postprocess"; seconds of host wall time, or measured
on the device and converted); the runner reports their p50/p99.  They are
kept in fixed-size log buckets (1% relative error, exact max), so a target
that runs for days uses the same memory as one that runs for a second.
"""
from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from array import array
from contextlib import contextmanager
from typing import Any, ClassVar, Iterator, Mapping

from edgesim.app import App
from edgesim.constants import AUDIO_SAMPLE_RATE_HZ
from edgesim.errors import TargetError
from edgesim.events import Event


class LatencySketch:
    """Latencies of one stage in a fixed number of log-spaced buckets.

    Bucket i holds values in (gamma^(i-1), gamma^i] with gamma = (1+a)/(1-a),
    and reports 2*gamma^i/(gamma+1): every percentile is within a = 1% of a
    recorded value's true size (the DDSketch bound), count and max are exact.
    The buckets cover 1 ns .. 10^5 s (values outside are clamped into the
    end buckets, then the exact min/max clamp the answer), so memory is the
    same after ten samples or ten billion.

        >>> sketch = LatencySketch()
        >>> for ms in range(1, 101): sketch.add(ms / 1000)
        >>> abs(sketch.percentile(50) - 0.050) <= 0.01 * 0.050, sketch.max, sketch.count
        (True, 0.1, 100)
    """

    RELATIVE_ERROR = 0.01
    _GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
    _LOG_GAMMA = math.log(_GAMMA)
    _LOWEST_S = 1e-9
    _HIGHEST_S = 1e5
    _OFFSET = math.ceil(math.log(_LOWEST_S) / _LOG_GAMMA)
    BUCKETS = math.ceil(math.log(_HIGHEST_S) / _LOG_GAMMA) - _OFFSET + 1

    def __init__(self) -> None:
        self._counts = array("Q", bytes(8 * self.BUCKETS))
        self._zeros = 0  # values <= 0 (a clock that did not move), reported as 0
        self.count = 0
        self.min = math.inf
        self.max = -math.inf

    def add(self, seconds: float) -> None:
        self.count += 1
        self.min = min(self.min, seconds)
        self.max = max(self.max, seconds)
        if seconds <= 0:
            self._zeros += 1
            return
        index = math.ceil(math.log(max(seconds, self._LOWEST_S)) / self._LOG_GAMMA) - self._OFFSET
        self._counts[min(max(index, 0), self.BUCKETS - 1)] += 1

    def percentile(self, percent: float) -> float:
        """Nearest-rank percentile (within RELATIVE_ERROR), clamped to the exact min and max."""
        if self.count == 0:
            raise ValueError("no samples")
        rank = max(1, math.ceil(self.count * percent / 100))
        if rank <= self._zeros:
            return 0.0
        seen = self._zeros
        for index, n in enumerate(self._counts):
            seen += n
            if seen >= rank:
                value = 2 * self._GAMMA ** (index + self._OFFSET) / (self._GAMMA + 1)
                return min(max(value, self.min), self.max)
        return self.max


class StageTimes:
    """Per-stage latencies with percentile summaries, in constant memory (LatencySketch per stage).

        >>> times = StageTimes()
        >>> times.record("infer", 0.002)
        >>> times.summary()["infer"]["count"]
        1
    """

    def __init__(self) -> None:
        self._stages: dict[str, LatencySketch] = {}

    def record(self, stage: str, seconds: float) -> None:
        sketch = self._stages.get(stage)
        if sketch is None:
            sketch = self._stages[stage] = LatencySketch()
        sketch.add(seconds)

    @contextmanager
    def time(self, stage: str) -> Iterator[None]:
        """Context manager recording the wall time of the block under ``stage``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.record(stage, time.perf_counter() - start)

    def clear(self) -> None:
        self._stages.clear()

    def summary(self) -> dict[str, dict[str, float]]:
        """{stage: {"p50": ms, "p99": ms, "max": ms, "count": n}}: nearest-rank percentiles within 1%,
        exact max and count."""
        return {stage: {"p50": round(sketch.percentile(50) * 1000, 4),
                        "p99": round(sketch.percentile(99) * 1000, 4),
                        "max": round(sketch.max * 1000, 4),
                        "count": sketch.count}
                for stage, sketch in self._stages.items()}


class Target(ABC):
    """Runs an App on a stream of chunks and yields events.

    Subclasses set ``name`` (used by ``--target``), ``description`` (one line
    for ``edgesim run --help``) and ``options`` (option name -> help text;
    the CLI passes e.g. ``board`` or ``port``).  Unknown options are rejected
    with a TargetError naming the accepted ones.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    options: ClassVar[Mapping[str, str]] = {}

    def __init__(self, **options: Any) -> None:
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            accepted = ", ".join(sorted(self.options)) or "none"
            raise TargetError(f"target {self.name!r} does not take option(s) {', '.join(unknown)} "
                              f"(accepted: {accepted})")
        self.option_values: dict[str, Any] = dict(options)
        self.timings = StageTimes()
        self.app: App | None = None

    @abstractmethod
    def open(self, app: App) -> None:
        """Prepare to run ``app``: resolve and load its model, initialise every kernel."""

    @abstractmethod
    def process(self, chunk: Any) -> list[Event]:
        """Feed one chunk; return the inference/detection events it completes, in t_ms order."""

    def finish(self) -> list[Event]:
        """End of stream: return any events still pending (default: none)."""
        return []

    @abstractmethod
    def reset(self) -> None:
        """Start a new independent stream: clear all streaming state, stream time restarts at 0."""

    def close(self) -> None:
        """Release everything (processes, ports, windows).  Safe to call twice."""

    def stats(self) -> dict[str, Any]:
        """Target-specific summary fields; may include "warnings": [sentences]."""
        return {}

    def __enter__(self) -> "Target":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def require_audio_rate(chunk: Any) -> None:
    """Raise TargetError unless an audio chunk is at the front end's rate (config.h).

    Sources resample to that rate, so a mismatch means a chunk built by hand.
    """
    rate = int(getattr(chunk, "rate_hz", AUDIO_SAMPLE_RATE_HZ))
    if rate != AUDIO_SAMPLE_RATE_HZ:
        raise TargetError(f"audio chunk at {rate} Hz; the wake word front end needs {AUDIO_SAMPLE_RATE_HZ} Hz "
                          f"(edgesim's sources resample for you: open the audio with edgesim.sources.open_source)")
