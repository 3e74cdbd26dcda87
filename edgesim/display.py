"""What `edgesim run` shows while an app runs.

Three displays, chosen by ``make_display``:
  JsonDisplay      ``--json``: every event as one JSON line on stdout, nothing else there
                   (warnings go to stderr);
  TerminalDisplay  stdout is a terminal: a banner (app, model, labels, thresholds,
                   source, target), a live status line on stderr (progress or time,
                   input level, score bars with the threshold marked), a large
                   coloured line per detection, drawn strokes as a small text
                   raster, the summary table; warnings are printed above the
                   status line, never inside it; colour unless NO_COLOR is set;
                   camera frames with an overlay in a window when OpenCV can open one;
  PlainDisplay     stdout is a pipe or file: detection lines (and inferences with -v)
                   plus the summary, no control characters.

    display = make_display(app, source, json_lines=False, target_name="host")
    summary = Runner(app, target, source).run(on_event=display.event, on_chunk=display.chunk)
    display.close()
"""
from __future__ import annotations

import math
import os
import shutil
import sys
import threading
import time
import warnings
from typing import Any, Callable, TextIO

import numpy as np

from edgesim.app import App
from edgesim.events import DetectionEvent, Event, InferenceEvent, SummaryEvent, write_event

BAR_WIDTH = 20
SCORE_BAR_WIDTH = 12
REFRESH_S = 0.1
# A drawn stroke as text: columns x rows (a character cell is about twice as tall as wide).
STROKE_COLUMNS, STROKE_ROWS = 24, 10


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
    file = f"  {os.path.basename(str(event.extra['file']))}" if event.extra.get("file") else ""
    return f"{event.t_ms / 1000:9.3f} s  detected {event.label!r}{what}  score {event.score:.3f}{file}"


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
    files = s.get("files") or []
    if files:
        width = min(40, max(len(os.path.basename(str(f["file"]))) for f in files))
        lines.append(f"per file ({len(files)}):")
        for result in files:
            found = ", ".join(result["detections"]) or "-"
            lines.append(f"  {os.path.basename(str(result['file'])):<{width}}  {found}")
    compare = s.get("compare")
    if compare:
        first, other = compare["targets"]
        lines.append(f"compared with {other}: {compare['checked']} events identical" if compare["identical"] else
                     f"compared with {other}: DIFFERENT ({compare['first_difference']['description']})")
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

    def __init__(self, title: str, warn: Callable[[str], None]) -> None:
        self.title = title
        self.warn = warn
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
            self.warn(f"no camera preview ({type(error).__name__}: no GUI display available)")

    def close(self) -> None:
        if self.opened:
            try:
                import cv2

                cv2.destroyWindow(self.title)
            except Exception:  # the window may already be gone
                pass


class StrokeTap:
    """The strokes in a gesture stream, for drawing: stroke chunks as they are, IMU chunks through
    a segmenter of their own (the same C kernel the target runs, so the same strokes)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.segmenter: Any = None

    def strokes(self, chunk: Any) -> list[np.ndarray]:
        kind = getattr(chunk, "kind", "")
        if kind == "stroke":
            return [chunk.points]
        if kind != "imu" or self.app.preprocess.kernel != "imu_stroke":
            return []
        if self.segmenter is None:
            from edgesim.compute.imu import StrokeSegmenter

            self.segmenter = StrokeSegmenter(self.app.sensor.rate_hz)
        return list(self.segmenter.push(chunk.samples))


class Style:
    """ANSI styles, or none at all when colour is off (NO_COLOR set, or not a terminal)."""

    CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35",
             "cyan": "36", "reverse": "7"}

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        return "\033[" + ";".join(self.CODES[name] for name in styles) + "m" + text + "\033[0m"


def colour_wanted(stream: TextIO) -> bool:
    """Colour for a terminal unless NO_COLOR is set (https://no-color.org)."""
    return not os.environ.get("NO_COLOR") and bool(getattr(stream, "isatty", lambda: False)())


def thresholds(app: App) -> dict[str, float]:
    """The score thresholds (0..1) the app's postprocessing decides with, by name."""
    post = app.postprocess
    if post.kernel == "recognize_commands":
        return {"threshold": float(post.param("detection_threshold", 200)) / 255.0}
    if post.kernel == "hysteresis":
        return {"on": float(post.param("on_threshold", 128)) / 255.0, "off": float(post.param("off_threshold", 128)) / 255.0}
    return {"min score": float(post.param("min_score", 0)) / 255.0}


def threshold_labels(app: App) -> set[str]:
    """Labels the thresholds apply to (every label for a classifier)."""
    post = app.postprocess
    if post.kernel == "recognize_commands":
        return set(post.param("report", app.labels))
    if post.kernel == "hysteresis":
        return {str(post.param("label", app.labels[-1]))}
    return set(app.labels)


def score_bar(value: float, marks: list[float], width: int = SCORE_BAR_WIDTH, unicode: bool = True) -> str:
    """A bar of ``value`` (0..1) with ``|`` where each threshold in ``marks`` lies."""
    filled = int(round(max(0.0, min(1.0, value)) * width))
    full, empty = ("\u2588", "\u00b7") if unicode else ("#", ".")
    cells = [full if i < filled else empty for i in range(width)]
    for mark in marks:
        cells[min(width - 1, int(mark * width))] = "|"
    return "".join(cells)


def stroke_raster(points: np.ndarray, columns: int = STROKE_COLUMNS, rows: int = STROKE_ROWS) -> list[str]:
    """A stroke (n, 2) int8, +y up, drawn as text lines with its segments filled in."""
    xy = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    grid = [[" "] * columns for _ in range(rows)]
    if len(xy) == 0:
        return ["".join(row) for row in grid]
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = max(float((high - low).max()), 1.0)
    # Centre the narrower side (a "1" sits in the middle, not at the left edge).
    margin_x = (columns - 1) * (1 - (high[0] - low[0]) / span) / 2
    margin_y = (rows - 1) * (1 - (high[1] - low[1]) / span) / 2

    def cell(point: np.ndarray) -> tuple[int, int]:
        x = margin_x + (point[0] - low[0]) / span * (columns - 1)
        y = margin_y + (high[1] - point[1]) / span * (rows - 1)
        return int(round(x)), int(round(y))

    for a, b in zip(xy, xy[1:] if len(xy) > 1 else xy):
        steps = max(2, int(np.abs(b - a).max() / span * columns) + 1)
        for t in np.linspace(0.0, 1.0, steps):
            x, y = cell(a + (b - a) * t)
            if 0 <= x < columns and 0 <= y < rows:
                grid[y][x] = "#"
    return ["".join(row).rstrip() for row in grid]


def banner(app: App, source: Any, target_name: str, style: Style) -> str:
    """The lines shown before a run: what runs where, on what, deciding how."""
    marks = ", ".join(f"{name} {value:.2f}" for name, value in thresholds(app).items())
    rows = [("app", f"{style(app.name, 'bold')}  {app.description}"),
            ("model", str(app.model)),
            ("labels", ", ".join(app.labels)),
            ("decides", f"{app.postprocess.kernel} ({marks})"),
            ("source", str(getattr(source, "description", source))),
            ("target", target_name)]
    rule = style("=" * 60, "cyan")
    lines = [rule, style(" edgesim ", "bold", "reverse", "cyan")]
    lines += [f"  {style(f'{name:<8}', 'dim')}{value}" for name, value in rows]
    lines.append(rule)
    return "\n".join(lines)


class TerminalDisplay(PlainDisplay):
    """Banner, live status line on stderr, large detection lines and the summary on stdout."""

    def __init__(self, app: App, source: Any, verbose: bool = False, out: TextIO | None = None,
                 status: TextIO | None = None, target_name: str = "host", colour: bool | None = None) -> None:
        super().__init__(verbose, out)
        self.app = app
        self.status = status or sys.stderr
        self.style = Style(colour_wanted(self.out) if colour is None else colour)
        self.unicode = (getattr(self.status, "encoding", "") or "").lower().replace("-", "") == "utf8"
        self.total_ms = getattr(source, "duration_ms", None)
        self.live = bool(getattr(source, "is_live", False))
        self.level = ("", 0.0)
        self.t_ms = 0.0
        self.last_draw = 0.0
        self.status_shown = False
        self.marks = list(thresholds(app).values())
        self.marked_labels = threshold_labels(app)
        self.lock = threading.Lock()  # the dashboard's server threads print here too
        self.strokes = StrokeTap(app)
        self.window = FrameWindow(f"edgesim {app.name}", self.warn) if app.sensor.kind == "camera" else None
        self.pixels: np.ndarray | None = None
        # Python warnings (numpy, OpenCV bindings...) printed mid-run would land inside the status line.
        self._showwarning = warnings.showwarning
        warnings.showwarning = self._python_warning
        self._line(banner(app, source, target_name, self.style))

    def _python_warning(self, message: Any, category: type, filename: str, lineno: int, *rest: Any) -> None:
        self.warn(f"{category.__name__}: {message} ({os.path.basename(filename)}:{lineno})")

    def chunk(self, chunk: Any) -> None:
        self.level = input_level(chunk)
        self.t_ms = float(chunk.t_ms)
        kind = getattr(chunk, "kind", "")
        if self.window is not None and kind == "camera":
            self.pixels = chunk.pixels
        for stroke in self.strokes.strokes(chunk):
            self._line("\n".join(self.style("  " + row, "cyan") for row in stroke_raster(stroke)))
        self._draw()

    def _clear_status(self) -> None:
        if self.status_shown:
            self.status.write("\r\033[K")
            self.status.flush()
            self.status_shown = False

    def _line(self, text: str) -> None:
        with self.lock:
            self._clear_status()
            super()._line(text)
            self.last_draw = 0.0

    def message(self, text: str) -> None:
        """A line for stderr, printed above the status line (which is redrawn below it)."""
        with self.lock:
            self._clear_status()
            print(text, file=self.status, flush=True)
            self.last_draw = 0.0

    def warn(self, text: str) -> None:
        self.message(self.style(f"edgesim: warning: {text}", "yellow"))

    def event(self, event: Event) -> None:
        if isinstance(event, DetectionEvent):
            self._line(self._detection_line(event))
            return
        if isinstance(event, SummaryEvent):
            self._clear_status()
            text = format_summary(event, self.last)
            self._line("\n".join(self._summary_line(line) for line in text.splitlines()))
            return
        super().event(event)
        if isinstance(event, InferenceEvent):
            if self.window is not None and self.pixels is not None:
                self.window.show(self.pixels, f"{event.top} {event.top_score:.2f}")
            self._draw()

    def _summary_line(self, line: str) -> str:
        if line.startswith("warning:"):
            return self.style(line, "yellow")
        if line.startswith("note:"):
            return self.style(line, "dim")
        return line

    def _detection_line(self, event: DetectionEvent) -> str:
        leaving = event.extra.get("event") == "leave"
        word = " ".join(event.label.upper())
        colour = "yellow" if leaving else "green"
        what = f"  ({event.extra['event']})" if "event" in event.extra else ""
        file = f"  {os.path.basename(str(event.extra['file']))}" if event.extra.get("file") else ""
        big = self.style(f"  >>  {word}  <<  ", "bold", "reverse", colour)
        return f"{big}  {event.t_ms / 1000:8.3f} s  score {event.score:.3f}{what}{file}"

    def _draw(self) -> None:
        now = time.monotonic()
        if now - self.last_draw < REFRESH_S:
            return
        self.last_draw = now
        parts = []
        if self.total_ms and not self.live:
            fraction = min(1.0, self.t_ms / self.total_ms)
            parts.append(f"[{bar(fraction, 10)}] {fraction * 100:3.0f}%")
        else:
            parts.append(f"{self.t_ms / 1000:7.1f} s")
        name, level = self.level
        if name:
            parts.append(f"in {bar(level, 8)} {name}")
        if self.last is not None:
            ordered = sorted(self.last.scores.items(), key=lambda item: -item[1])[:4]
            for label, value in ordered:
                marks = self.marks if label in self.marked_labels else []
                text = f"{label} {score_bar(value, marks, unicode=self.unicode)} {value:4.2f}"
                crossed = marks and value >= max(marks)
                parts.append(self.style(text, "bold", "green") if crossed else
                             self.style(text, "bold") if label == self.last.top else text)
        width = shutil.get_terminal_size((100, 24)).columns - 1
        with self.lock:
            self.status.write("\r\033[K" + _clip_visible("  ".join(parts), width))
            self.status.flush()
            self.status_shown = True

    def close(self) -> None:
        warnings.showwarning = self._showwarning
        self._clear_status()
        if self.window is not None:
            self.window.close()


def _clip_visible(text: str, width: int) -> str:
    """``text`` cut to ``width`` visible characters (escape sequences kept), so the status line never wraps."""
    out, visible, index = [], 0, 0
    while index < len(text) and visible < width:
        if text[index] == "\033":
            end = text.find("m", index)
            end = len(text) - 1 if end < 0 else end
            out.append(text[index:end + 1])
            index = end + 1
            continue
        out.append(text[index])
        visible += 1
        index += 1
    return "".join(out) + ("\033[0m" if "\033[" in text else "")


def make_display(app: App, source: Any, *, json_lines: bool = False, verbose: bool = False,
                 target_name: str = "host") -> Any:
    """The display for this run (see the module docstring)."""
    if json_lines:
        return JsonDisplay()
    if sys.stdout.isatty() and sys.stderr.isatty():
        return TerminalDisplay(app, source, verbose, target_name=target_name)
    return PlainDisplay(verbose)
