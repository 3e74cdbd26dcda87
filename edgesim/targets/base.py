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
on the device and converted); the runner reports their p50/p99.
"""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import Any, ClassVar, Iterator, Mapping

from edgesim.app import App
from edgesim.constants import AUDIO_SAMPLE_RATE_HZ
from edgesim.errors import TargetError
from edgesim.events import Event


class StageTimes:
    """Per-stage latency samples with percentile summaries.

        >>> times = StageTimes()
        >>> times.record("infer", 0.002)
        >>> times.summary()["infer"]["count"]
        1
    """

    def __init__(self) -> None:
        self._samples: dict[str, list[float]] = {}

    def record(self, stage: str, seconds: float) -> None:
        self._samples.setdefault(stage, []).append(seconds)

    @contextmanager
    def time(self, stage: str) -> Iterator[None]:
        """Context manager recording the wall time of the block under ``stage``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.record(stage, time.perf_counter() - start)

    def clear(self) -> None:
        self._samples.clear()

    def summary(self) -> dict[str, dict[str, float]]:
        """{stage: {"p50": ms, "p99": ms, "max": ms, "count": n}} (nearest-rank percentiles)."""
        out: dict[str, dict[str, float]] = {}
        for stage, samples in self._samples.items():
            ordered = sorted(samples)
            out[stage] = {
                "p50": round(_nearest_rank(ordered, 50) * 1000, 4),
                "p99": round(_nearest_rank(ordered, 99) * 1000, 4),
                "max": round(ordered[-1] * 1000, 4),
                "count": len(ordered),
            }
        return out


def _nearest_rank(ordered: list[float], percent: float) -> float:
    rank = max(1, -(-len(ordered) * percent // 100))  # ceil without floats drifting
    return ordered[int(rank) - 1]


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
