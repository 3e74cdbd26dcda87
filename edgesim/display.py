"""What `edgesim run` shows while an app runs.

Three displays, chosen by ``make_display``:
  JsonDisplay      ``--json``: every event as one JSON line on stdout, nothing else there
                   (warnings go to stderr);
  TerminalDisplay  stdout is a terminal: a live status line on stderr (progress when
                   replaying files, input level, top label, score bars), detection
                   lines and a summary table on stdout; camera frames with an overlay
                   in a window when OpenCV can open one;
  PlainDisplay     stdout is a pipe or file: detection lines (and inferences with -v)
                   plus the summary, no control characters.

    display = make_display(app, source, json_lines=False)
    summary = Runner(app, target, source).run(on_event=display.event, on_chunk=display.chunk)
    display.close()
"""
from __future__ import annotations

import math
import sys
import time
from typing import Any, TextIO

import numpy as np

from edgesim.app import App
from edgesim.events import DetectionEvent, Event, InferenceEvent, SummaryEvent, write_event

BAR_WIDTH = 20
REFRESH_S = 0.1


def input_level(chunk: Any) -> tuple[str, float]:
    """A (name, 0..1) level for the meter: audio RMS in dBFS mapped from -60..0 dB, frame
    brightness, IMU rotation rate (up to 360 deg/s)."""
    kind = getattr(chunk, "kind", "")
    if kind == "audio" and len(chunk.samples):
        rms = float(np.sqrt(np.mean(np.square(chunk.samples.astype(np.float64)))))
        dbfs = 20 * math.log10(max(rms, 1.0) / 32768.0)
        return f"{dbfs:5.1f} dBFS", min(1.0, max(0.0, (dbfs + 60.0) / 60.0))
    if kind == "camera":
        mean = float(np.mean(chunk.pixels)) / 255.0
        return f"brightness {mean:4.2f}", mean
    if kind == "imu" and len(chunk.samples):
        rate = float(np.max(np.linalg.norm(chunk.samples[:, 3:6], axis=1)))
        return f"{rate:5.0f} deg/s", min(1.0, rate / 360.0)
    return "", 0.0


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = int(round(max(0.0, min(1.0, fraction)) * width))
    return "#" * filled + "." * (width - filled)


def format_detection(event: DetectionEvent) -> str:
    what = f" ({event.extra['event']})" if "event" in event.extra else ""
    return f"{event.t_ms / 1000:9.3f} s  detected {event.label!r}{what}  score {event.score:.3f}"


def format_inference(event: InferenceEvent) -> str:
    scores = "  ".join(f"{label}={value:.3f}" for label, value in event.scores.items())
    return f"{event.t_ms / 1000:9.3f} s  top {event.top!r:>12}  {scores}"


def format_summary(summary: SummaryEvent, last: InferenceEvent | None) -> str:
    """The human summary printed at the end of a run."""
    s = summary.stats
    lines = []
    labels = ", ".join(f"{label} x{count}" for label, count in s.get("detections_by_label", {}).items())
    speed = f", {s['realtime_factor']}x real time" if s.get("realtime_factor") else ""
    lines.append(f"{s.get('app')} on {s.get('target')}: {s.get('inferences', 0)} inferences, "
                 f"{s.get('detections', 0)} detections{f' ({labels})' if labels else ''} in "
                 f"{s.get('stream_ms', 0) / 1000:.2f} s of input, {s.get('wall_s', 0):.2f} s wall{speed}"
                 + ("  [interrupted]" if s.get("interrupted") else ""))
    if last is not None:
        lines.append(f"last inference at {last.t_ms / 1000:.3f} s: {last.top} ({last.top_score:.3f})")
    latency = s.get("latency_ms", {})
    if latency:
        lines.append(f"{'latency (ms)':<14}{'p50':>10}{'p99':>10}{'max':>10}{'count':>8}")
        for stage, values in latency.items():
            lines.append(f"  {stage:<12}{values['p50']:>10.3f}{values['p99']:>10.3f}{values['max']:>10.3f}"
                         f"{values['count']:>8}")
    lines.append(f"dropped {s.get('dropped_chunks', 0)} chunks ({s.get('dropped_ms', 0):.0f} ms), "
                 f"deadline misses {s.get('deadline_misses', 0)}/{s.get('deadline_checked', 0)}")
    for note in s.get("notes", []):
        lines.append(f"note: {note}")
    for warning in s.get("warnings", []):
        lines.append(f"warning: {warning}")
    return "\n".join(lines)


class JsonDisplay:
    """JSON lines on stdout; warnings also on stderr so a human watching sees them."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def chunk(self, chunk: Any) -> None:
        pass

    def event(self, event: Event) -> None:
        write_event(event, self.out)
        if isinstance(event, SummaryEvent):
            for warning in event.warnings:
                print(f"edgesim: warning: {warning}", file=self.err)

    def close(self) -> None:
        pass


class PlainDisplay:
    """Line-oriented output for pipes and logs."""

    def __init__(self, verbose: bool = False, out: TextIO | None = None) -> None:
        self.verbose = verbose
        self.out = out or sys.stdout
        self.last: InferenceEvent | None = None

    def chunk(self, chunk: Any) -> None:
        pass

    def _line(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def event(self, event: Event) -> None:
        if isinstance(event, InferenceEvent):
            self.last = event
            if self.verbose:
                self._line(format_inference(event))
        elif isinstance(event, DetectionEvent):
            self._line(format_detection(event))
        elif isinstance(event, SummaryEvent):
            self._line(format_summary(event, self.last))

    def close(self) -> None:
        pass


class FrameWindow:
    """Camera frames with the top label drawn on them, when OpenCV can open a window.

    opencv-python-headless (and machines without a display) cannot; then this
    stays silent after one note.
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self.available = True
        self.opened = False

    def show(self, pixels: np.ndarray, caption: str) -> None:
        if not self.available:
            return
        try:
            import cv2

            image = pixels if pixels.ndim == 3 else cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
            image = np.ascontiguousarray(image)
            cv2.putText(image, caption, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 255, 0), 2)
            cv2.imshow(self.title, image)
            cv2.waitKey(1)
            self.opened = True
        except Exception as error:  # no GUI backend or no display: keep the terminal display only
            self.available = False
            print(f"edgesim: no camera preview ({type(error).__name__}: no GUI display available)", file=sys.stderr)

    def close(self) -> None:
        if self.opened:
            try:
                import cv2

                cv2.destroyWindow(self.title)
            except Exception:  # the window may already be gone
                pass


class TerminalDisplay(PlainDisplay):
    """Live status line on stderr plus detection lines and the summary on stdout."""

    def __init__(self, app: App, source: Any, verbose: bool = False, out: TextIO | None = None,
                 status: TextIO | None = None) -> None:
        super().__init__(verbose, out)
        self.app = app
        self.status = status or sys.stderr
        self.total_ms = getattr(source, "duration_ms", None)
        self.live = bool(getattr(source, "is_live", False))
        self.level = ("", 0.0)
        self.t_ms = 0.0
        self.last_draw = 0.0
        self.window = FrameWindow(f"edgesim {app.name}") if app.sensor.kind == "camera" else None
        self.pixels: np.ndarray | None = None

    def chunk(self, chunk: Any) -> None:
        self.level = input_level(chunk)
        self.t_ms = float(chunk.t_ms)
        if self.window is not None and getattr(chunk, "kind", "") == "camera":
            self.pixels = chunk.pixels
        self._draw()

    def _line(self, text: str) -> None:
        self.status.write("\r\033[K")
        super()._line(text)
        self.last_draw = 0.0

    def event(self, event: Event) -> None:
        super().event(event)
        if isinstance(event, InferenceEvent):
            if self.window is not None and self.pixels is not None:
                self.window.show(self.pixels, f"{event.top} {event.top_score:.2f}")
            self._draw()
        elif isinstance(event, SummaryEvent):
            self.status.write("\r\033[K")
            self.status.flush()

    def _draw(self) -> None:
        now = time.monotonic()
        if now - self.last_draw < REFRESH_S:
            return
        self.last_draw = now
        parts = []
        if self.total_ms and not self.live:
            fraction = min(1.0, self.t_ms / self.total_ms)
            parts.append(f"[{bar(fraction)}] {fraction * 100:3.0f}%")
        else:
            parts.append(f"{self.t_ms / 1000:7.1f} s")
        name, level = self.level
        if name:
            parts.append(f"in {bar(level, 10)} {name}")
        if self.last is not None:
            top3 = sorted(self.last.scores.items(), key=lambda item: -item[1])[:3]
            parts.append(f"top {self.last.top:>9}  " + " ".join(f"{label}:{bar(value, 6)}" for label, value in top3))
        self.status.write("\r\033[K" + "  ".join(parts))
        self.status.flush()

    def close(self) -> None:
        if self.window is not None:
            self.window.close()


def make_display(app: App, source: Any, *, json_lines: bool = False, verbose: bool = False) -> Any:
    """The display for this run (see the module docstring)."""
    if json_lines:
        return JsonDisplay()
    if sys.stdout.isatty() and sys.stderr.isatty():
        return TerminalDisplay(app, source, verbose)
    return PlainDisplay(verbose)
