"""What the dashboard page draws besides the events: the input as the model saw it.

``UiDisplay`` sits where the terminal display does (Runner on_event/on_chunk):
every event goes to the page exactly as ``--json`` prints it, and each chunk
becomes a preview computed with the same C kernels the targets run:

  audio   {"kind": "audio", "t_ms", "dbfs", "features": [[40 int8] per new 20 ms frame]}
  camera  {"kind": "frame", "t_ms", "width", "height", "jpeg": base64, "crop": [x, y, side, side],
           "model_input": base64 of the 96x96 int8 input + 128 (gray)}
  stroke  {"kind": "stroke", "t_ms", "points": [[x, y], ...] (int8, +y up),
           "raster": base64 of the 32x32x3 int8 input + 128}
  IMU     {"kind": "imu", "t_ms", "level"}
plus {"kind": "latency", "stages": {stage: {"p50", "p99", "max", "count"}}, "budget_ms"} after an
inference at most once a second
and whatever the comparison reports ({"kind": "compare", ...}).
"""
from __future__ import annotations

import base64
import math
import time
from typing import Any

import numpy as np

from edgesim.app import App
from edgesim.display import StrokeTap, input_level, threshold_labels, thresholds
from edgesim.events import Event, InferenceEvent
from edgesim.ui.server import DashboardServer

LATENCY_EVERY_S = 1.0
FRAME_PREVIEW_WIDTH = 480


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def page_config(app: App, *, source: str, target: str, browser_input: str | None, compare: str | None,
                budget_ms: float | None) -> dict[str, Any]:
    """/app.json: what the page needs to lay itself out."""
    return {"app": app.to_dict(), "thresholds": thresholds(app), "threshold_labels": sorted(threshold_labels(app)),
            "source": source, "target": target, "browser_input": browser_input, "compare": compare,
            "budget_ms": budget_ms}


class UiDisplay:
    """Publishes events and previews to the dashboard, and passes everything on to ``inner`` (terminal/JSON)."""

    def __init__(self, server: DashboardServer, app: App, inner: Any, target: Any) -> None:
        self.server = server
        self.app = app
        self.inner = inner
        self.target = target
        self.frontend: Any = None
        if app.preprocess.kernel == "audio_frontend":
            from edgesim.compute.frontend import AudioFrontend

            self.frontend = AudioFrontend()
        self.last_latency = 0.0
        self.budget_ms = app.deadline_ms
        self.origin: str | None = None
        self.strokes = StrokeTap(app)

    def chunk(self, chunk: Any) -> None:
        self.inner.chunk(chunk)
        kind = getattr(chunk, "kind", "")
        if kind == "audio":
            self._audio(chunk)
        elif kind == "camera":
            self._frame(chunk)
        elif kind == "imu":
            self.server.publish_preview({"kind": "imu", "t_ms": chunk.t_ms, "level": input_level(chunk)[1]})
        for stroke in self.strokes.strokes(chunk):
            self._stroke(chunk.t_ms, stroke)

    def _audio(self, chunk: Any) -> None:
        if self.frontend is None:
            return
        if chunk.origin != self.origin or chunk.start_sample == 0:
            self.frontend.reset()  # a new file is a new stream, as on the target
            self.origin = chunk.origin
        samples = chunk.samples.astype(np.float64)
        rms = math.sqrt(float(np.mean(samples * samples))) if len(samples) else 0.0
        frames = self.frontend.process(chunk.samples)
        self.budget_ms = self.budget_ms or len(chunk.samples) * 1000.0 / float(chunk.rate_hz)
        self.server.publish_preview({"kind": "audio", "t_ms": chunk.t_ms,
                                     "dbfs": round(20 * math.log10(max(rms, 1.0) / 32768.0), 1),
                                     "features": np.asarray(frames).tolist()})

    def _frame(self, chunk: Any) -> None:
        from edgesim.compute.image import preprocess
        from edgesim.sources.camera import import_cv2

        cv2 = import_cv2()
        pixels = chunk.pixels
        height, width = pixels.shape[:2]
        model_input = preprocess(pixels, chunk.pixel_format, str(self.app.preprocess.param("resize", "area")))
        shown = pixels if chunk.pixel_format != "rgb888" else pixels[..., ::-1]  # OpenCV writes BGR
        if width > FRAME_PREVIEW_WIDTH:
            scale = FRAME_PREVIEW_WIDTH / width
            shown = cv2.resize(shown, (FRAME_PREVIEW_WIDTH, max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
        ok, jpeg = cv2.imencode(".jpg", np.ascontiguousarray(shown), [cv2.IMWRITE_JPEG_QUALITY, 80])
        side = min(width, height)
        self.budget_ms = self.budget_ms or 1000.0 / self.app.sensor.rate_hz
        self.server.publish_preview({
            "kind": "frame", "t_ms": chunk.t_ms, "width": width, "height": height,
            "jpeg": _b64(jpeg.tobytes()) if ok else "",
            "crop": [(width - side) // 2, (height - side) // 2, side, side],
            "model_input": _b64((model_input.astype(np.int16) + 128).astype(np.uint8).tobytes())})

    def _stroke(self, t_ms: float, points: np.ndarray) -> None:
        from edgesim.compute.imu import rasterize

        raster = rasterize(np.asarray(points, dtype=np.int8))
        self.server.publish_preview({"kind": "stroke", "t_ms": t_ms, "points": np.asarray(points).tolist(),
                                     "raster": _b64((raster.astype(np.int16) + 128).astype(np.uint8).tobytes())})

    def event(self, event: Event) -> None:
        self.server.publish_event(event.to_json())
        self.inner.event(event)
        now = time.monotonic()
        if isinstance(event, InferenceEvent) and now - self.last_latency >= LATENCY_EVERY_S:
            self.last_latency = now
            self.server.publish_preview({"kind": "latency", "stages": self.target.timings.summary(),
                                         "budget_ms": self.budget_ms})

    def close(self) -> None:
        self.inner.close()
