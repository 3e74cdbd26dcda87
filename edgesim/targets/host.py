"""The host target: the app's C kernels on this computer, through the Python extension.

    from edgesim.apps import load_app
    from edgesim.targets.host import HostTarget

    with HostTarget() as target:
        target.open(load_app("wake_word"))
        for chunk in chunks:
            for event in target.process(chunk):
                print(event.to_json())

Each preprocess kernel of edgesim.app becomes a feeder below that turns
chunks into (t_ms, model input) pairs; the model runs on each; the
postprocessor (edgesim.compute.post, C) turns int8 scores into detections.  The
firmware's app loop does the same steps with the same kernels, so events
agree bit for bit across targets.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from edgesim.constants import (AUDIO_FEATURE_CHANNELS, AUDIO_FEATURE_FRAMES, AUDIO_HOP_SAMPLES, AUDIO_SAMPLE_RATE_HZ,
                               AUDIO_WINDOW_SAMPLES)
from edgesim.app import App
from edgesim.errors import ModelError, TargetError
from edgesim.events import Event, InferenceEvent
from edgesim.compute.post import PostProcessor
from edgesim.targets.base import Target, require_audio_rate


def _expect_kind(chunk: Any, kinds: tuple[str, ...], app: App) -> str:
    kind = getattr(chunk, "kind", None)
    if kind not in kinds:
        raise TargetError(f"app {app.name!r} takes {' or '.join(kinds)} input, but the source gave {kind!r} data")
    return kind


class AudioFeeder:
    """int16 audio -> micro-frontend features -> a sliding window of ``window_frames`` frames.

    An input is ready when the window is full and then every ``infer_every_frames``
    new frames; its t_ms is the end of the newest frame's 30 ms window.
    """

    def __init__(self, app: App) -> None:
        from edgesim.compute.frontend import AudioFrontend

        self.app = app
        self.window_frames = int(app.preprocess.param("window_frames", AUDIO_FEATURE_FRAMES))
        self.infer_every = int(app.preprocess.param("infer_every_frames", 1))
        if self.window_frames < 1 or self.infer_every < 1:
            raise TargetError(f"app {app.name!r}: window_frames and infer_every_frames must be at least 1")
        if int(app.sensor.rate_hz) != AUDIO_SAMPLE_RATE_HZ:
            raise TargetError(f"app {app.name!r}: the audio front end runs at {AUDIO_SAMPLE_RATE_HZ} Hz, "
                              f"the app declares {app.sensor.rate_hz} Hz")
        self.frontend = AudioFrontend()
        self.input_elements = self.window_frames * AUDIO_FEATURE_CHANNELS
        self.reset()

    def reset(self) -> None:
        self.frontend.reset()
        self.window = np.zeros((self.window_frames, AUDIO_FEATURE_CHANNELS), np.int8)
        self.frames = 0

    def push(self, chunk: Any) -> list[tuple[int, np.ndarray]]:
        _expect_kind(chunk, ("audio",), self.app)
        require_audio_rate(chunk)
        ready_inputs = []
        for frame in self.frontend.process(chunk.samples):
            self.window = np.roll(self.window, -1, axis=0)
            self.window[-1] = frame
            self.frames += 1
            ready = self.frames >= self.window_frames and (self.frames - self.window_frames) % self.infer_every == 0
            if ready:
                end_sample = (self.frames - 1) * AUDIO_HOP_SAMPLES + AUDIO_WINDOW_SAMPLES
                ready_inputs.append((end_sample * 1000 // AUDIO_SAMPLE_RATE_HZ, self.window.reshape(-1).copy()))
        return ready_inputs

    def pending(self) -> list[str]:
        if 0 < self.frames < self.window_frames:
            needed_ms = self.window_frames * AUDIO_HOP_SAMPLES * 1000 // AUDIO_SAMPLE_RATE_HZ
            return [f"the audio was too short for one inference: {self.frames} feature frames, the model needs "
                    f"{self.window_frames} (about {needed_ms} ms)"]
        return []


class ImageFeeder:
    """One camera frame -> the 96x96 int8 input (centre crop, resize, gray - 128)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.resize = str(app.preprocess.param("resize", "area"))

    def reset(self) -> None:
        pass

    def push(self, chunk: Any) -> list[tuple[int, np.ndarray]]:
        from edgesim.compute.image import preprocess

        _expect_kind(chunk, ("camera",), self.app)
        return [(int(chunk.t_ms), preprocess(chunk.pixels, chunk.pixel_format, self.resize).reshape(-1))]

    def pending(self) -> list[str]:
        return []


class StrokeFeeder:
    """IMU samples -> segmented strokes -> 32x32x3 raster; stroke chunks are rasterized directly.

    A stroke's t_ms is the end of the IMU chunk that completed it (or the
    stroke chunk's own time).
    """

    def __init__(self, app: App) -> None:
        from edgesim.compute.imu import StrokeSegmenter

        self.app = app
        self.segmenter = StrokeSegmenter(app.sensor.rate_hz)

    def reset(self) -> None:
        self.segmenter.reset()

    def push(self, chunk: Any) -> list[tuple[int, np.ndarray]]:
        from edgesim.compute.imu import rasterize

        kind = _expect_kind(chunk, ("imu",) + self.app.sensor.accepts, self.app)
        if kind == "stroke":
            return [(int(chunk.t_ms), rasterize(chunk.points).reshape(-1))]
        rate_hz = float(getattr(chunk, "rate_hz", self.app.sensor.rate_hz))
        end_ms = int(chunk.t_ms + len(chunk.samples) * 1000.0 / rate_hz)
        return [(end_ms, rasterize(stroke).reshape(-1)) for stroke in self.segmenter.push(chunk.samples)]

    def pending(self) -> list[str]:
        if self.segmenter.state == self.segmenter.DRAWING:
            return ["the stream ended in the middle of a stroke (movement had not stopped); it was not classified"]
        return []


FEEDERS = {"audio_frontend": AudioFeeder, "image": ImageFeeder, "imu_stroke": StrokeFeeder}


class HostTarget(Target):
    """Runs the app in this process: C preprocessing, the C inference runtime, C postprocessing."""

    name = "host"
    description = "this computer, through the C kernels of the Python extension (default)"
    options: dict[str, str] = {}

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.model: Any = None
        self.feeder: Any = None
        self.post: PostProcessor | None = None
        self.model_path = ""

    def open(self, app: App) -> None:
        from edgesim.compute.model import Model
        from edgesim.store import resolve_model

        path = resolve_model(app.model)
        model = Model(str(path))
        feeder = FEEDERS[app.preprocess.kernel](app)
        self._check_model(app, model, feeder)
        self.app, self.model, self.feeder, self.model_path = app, model, feeder, str(path)
        self.post = PostProcessor(app)
        self._output = model.outputs[0]

    @staticmethod
    def _check_model(app: App, model: Any, feeder: Any) -> None:
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            raise ModelError(f"app {app.name!r} needs a model with one input and one output; "
                             f"this one has {len(model.inputs)} and {len(model.outputs)}")
        tensor_in, tensor_out = model.inputs[0], model.outputs[0]
        if np.dtype(tensor_in.dtype) != np.int8 or np.dtype(tensor_out.dtype) != np.int8:
            raise ModelError(f"app {app.name!r} needs an int8 model (input {np.dtype(tensor_in.dtype).name}, "
                             f"output {np.dtype(tensor_out.dtype).name})")
        outputs = int(np.prod(tensor_out.shape))
        if outputs != len(app.labels):
            raise ModelError(f"the model has {outputs} outputs but app {app.name!r} has {len(app.labels)} labels "
                             f"({', '.join(app.labels)})")
        expected = getattr(feeder, "input_elements", None)
        if expected is not None and int(np.prod(tensor_in.shape)) != expected:
            raise ModelError(f"the model input {tuple(tensor_in.shape)} does not take the {expected} values "
                             f"app {app.name!r} preprocesses")

    def _require_open(self) -> None:
        if self.model is None:
            raise TargetError("host target: call open(app) before feeding chunks")

    def process(self, chunk: Any) -> list[Event]:
        self._require_open()
        assert self.app is not None and self.post is not None
        events: list[Event] = []
        tensor_in = self.model.inputs[0]
        with self.timings.time("preprocess"):
            model_inputs = self.feeder.push(chunk)
        for t_ms, features in model_inputs:
            if features.size != int(np.prod(tensor_in.shape)):
                raise ModelError(f"the model input {tuple(tensor_in.shape)} does not take the {features.size} "
                                 f"values app {self.app.name!r} preprocesses")
            with self.timings.time("infer"):
                raw = np.asarray(self.model.invoke(features.reshape(tensor_in.shape))).reshape(-1)
            events.append(InferenceEvent.from_raw(t_ms, raw, self.app.labels, self._output.scale,
                                                  self._output.zero_point))
            with self.timings.time("postprocess"):
                events.extend(self.post.process(raw, t_ms))
        return events

    def reset(self) -> None:
        self._require_open()
        assert self.post is not None
        self.feeder.reset()
        self.post.reset()

    def stats(self) -> dict[str, Any]:
        if self.model is None:
            return {}
        return {"model": self.model_path,
                "warnings": self.feeder.pending() + (self.post.health() if self.post else [])}

    def close(self) -> None:
        self.model = None
