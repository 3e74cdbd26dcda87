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
postprocessor (edgesim.compute.post) turns int8 scores into detections.  The
stream logic of the feeders and the postprocessor is the C app layer
(edgesim/kernels/app/, bound as edgesim._app) that the firmware runs too, so
events agree bit for bit across targets; this module does I/O only.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from edgesim.constants import AUDIO_FEATURE_FRAMES, AUDIO_SAMPLE_RATE_HZ
from edgesim.app import App, audio_frontend_config, float_input_params, image_output, raster_side
from edgesim.compute.cpu import import_fastest
from edgesim.errors import KernelError, ModelError, TargetError
from edgesim.events import Event, InferenceEvent
from edgesim.compute.post import PostProcessor
from edgesim.targets.base import Target, require_audio_rate

_app = import_fastest("edgesim._app")  # the AVX2 build where the CPU has it (same bits)


def _expect_kind(chunk: Any, kinds: tuple[str, ...], app: App) -> str:
    kind = getattr(chunk, "kind", None)
    if kind not in kinds:
        raise TargetError(f"app {app.name!r} takes {' or '.join(kinds)} input, but the source gave {kind!r} data")
    return kind


def _feed(make: Any, app: App) -> Any:
    """An edgesim._app feed, its parameter errors named after the app."""
    try:
        return make()
    except KernelError as error:
        raise TargetError(f"app {app.name!r}: {error}") from None


class AudioFeeder:
    """int16 audio -> the app layer's audio feed (kernels/app/audio_feed.c): micro-frontend
    features (``num_channels`` per frame, 40 by default) every ``step_ms`` (20 by default), a
    sliding window of ``window_frames``
    frames, an input every ``infer_every_frames`` new frames, stamped with the end of
    its newest 30 ms window.
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self.window_frames = int(app.preprocess.param("window_frames", AUDIO_FEATURE_FRAMES))
        infer_every = int(app.preprocess.param("infer_every_frames", 1))
        if int(app.sensor.rate_hz) != AUDIO_SAMPLE_RATE_HZ:
            raise TargetError(f"app {app.name!r}: the audio front end runs at {AUDIO_SAMPLE_RATE_HZ} Hz, "
                              f"the app declares {app.sensor.rate_hz} Hz")
        frontend = audio_frontend_config(app)
        self.hop_samples = frontend.hop_samples
        window = None if frontend.window_coeffs is None else np.asarray(frontend.window_coeffs, np.int16).tobytes()
        bank = frontend.filterbank
        table = None if bank is None else (
            bank.channels, bank.start, bank.end, *(np.asarray(values, np.int16).tobytes() for values in
                                                   (bank.weights, bank.unweights, bank.channel_ends)))
        self.feed = _feed(lambda: _app.AudioFeed(self.window_frames, infer_every, frontend.hop_samples,
                                                 frontend.noise_reduction, frontend.pcan, frontend.log_scale,
                                                 table, window), app)
        self.input_elements = int(self.feed.input_bytes)

    def reset(self) -> None:
        self.feed.reset()

    def push(self, chunk: Any) -> list[tuple[int, np.ndarray]]:
        _expect_kind(chunk, ("audio",), self.app)
        require_audio_rate(chunk)
        samples = np.asarray(chunk.samples)
        if samples.dtype != np.int16 or samples.ndim != 1:
            raise TargetError(f"audio chunks hold 1-D int16 samples, got {samples.dtype} of shape {samples.shape}")
        return [(t_ms, np.frombuffer(model_input, np.int8)) for t_ms, model_input in
                self.feed.push(np.ascontiguousarray(samples))]

    def pending(self) -> list[str]:
        frames = int(self.feed.frames)
        if 0 < frames < self.window_frames:
            needed_ms = self.window_frames * self.hop_samples * 1000 // AUDIO_SAMPLE_RATE_HZ
            return [f"the audio was too short for one inference: {frames} feature frames, the model needs "
                    f"{self.window_frames} (about {needed_ms} ms)"]
        return []


class ImageFeeder:
    """One camera frame -> the int8 input (centre crop, resize to ``size`` square, gray or
    RGB (``channels`` 1 or 3), - 128); 96x96 gray by default."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.resize = str(app.preprocess.param("resize", "area"))
        self.side, self.channels = image_output(app)
        self.input_elements = self.side * self.side * self.channels

    def reset(self) -> None:
        pass

    def push(self, chunk: Any) -> list[tuple[int, np.ndarray]]:
        from edgesim.compute.image import preprocess

        _expect_kind(chunk, ("camera",), self.app)
        return [(int(chunk.t_ms), preprocess(chunk.pixels, chunk.pixel_format, self.resize, self.side,
                                             self.channels).reshape(-1))]

    def pending(self) -> list[str]:
        return []


class StrokeFeeder:
    """IMU samples -> the app layer's stroke feed (kernels/app/stroke_feed.c): segmented
    strokes -> ``raster_size`` square x 3 raster (32 by default); stroke chunks are
    rasterized directly.

    A stroke's t_ms is the end of the IMU chunk that completed it (or the
    stroke chunk's own time).
    """

    def __init__(self, app: App) -> None:
        from edgesim.compute.imu import RASTER_RANGE_Q12, RASTER_SHAPE

        self.app = app
        side = raster_side(app)
        self.feed = _feed(lambda: _app.StrokeFeed(float(app.sensor.rate_hz), RASTER_RANGE_Q12, RASTER_RANGE_Q12,
                                                  side), app)
        self.input_elements = side * side * RASTER_SHAPE[2]

    def reset(self) -> None:
        self.feed.reset()

    def push(self, chunk: Any) -> list[tuple[int, np.ndarray]]:
        kind = _expect_kind(chunk, ("imu",) + self.app.sensor.accepts, self.app)
        if kind == "stroke":
            points = np.asarray(chunk.points)
            if points.dtype != np.int8 or points.ndim != 2 or points.shape[1] != 2:
                raise TargetError(f"stroke chunks hold (n, 2) int8 points, got {points.dtype} of shape {points.shape}")
            return [(int(chunk.t_ms), np.frombuffer(self.feed.points(np.ascontiguousarray(points)), np.int8))]
        samples = np.asarray(chunk.samples)
        if samples.ndim != 2 or samples.shape[1] != 6:
            raise TargetError(f"IMU chunks hold (n, 6) samples [ax, ay, az, gx, gy, gz], got shape {samples.shape}")
        rate_hz = float(getattr(chunk, "rate_hz", self.app.sensor.rate_hz))
        end_ms = int(chunk.t_ms + len(samples) * 1000.0 / rate_hz)
        return [(end_ms, np.frombuffer(model_input, np.int8)) for _, model_input in
                self.feed.push(np.ascontiguousarray(samples, np.float32))]

    def pending(self) -> list[str]:
        if self.feed.drawing:
            return ["the stream ended in the middle of a stroke (movement had not stopped); it was not classified"]
        return []


FEEDERS = {"audio_frontend": AudioFeeder, "image": ImageFeeder, "imu_stroke": StrokeFeeder}

# Model I/O types apps run: int8, or float32 (plain float models and int8 models with float I/O).
APP_IO_TYPES = (np.dtype(np.int8), np.dtype(np.float32))


def score_quantization(output: Any) -> tuple[float, int]:
    """(scale, zero point) of the int8 scores the app sees: the output's own, or for a float32 output
    the app layer's reading of probabilities (kernels/app/model_io.c: round(p * 256) - 128)."""
    if np.dtype(output.dtype) == np.float32:
        return 1.0 / _app.FLOAT_SCORE_STEPS, -128
    return float(output.scale), int(output.zero_point)


class ModelIO:
    """The app layer's int8 values into the model and its scores out as int8, for int8 and float32 models
    alike; the conversions are the firmware's C (kernels/app/model_io.c)."""

    def __init__(self, app: App, model: Any) -> None:
        self.model = model
        self.input, self.output = model.inputs[0], model.outputs[0]
        self.float_in = np.dtype(self.input.dtype) == np.float32
        self.float_out = np.dtype(self.output.dtype) == np.float32
        self.input_scale, self.input_zero_point = float_input_params(app) if self.float_in else (1.0, 0)

    def invoke(self, values: np.ndarray) -> np.ndarray:
        """int8 preprocessed values -> the model -> int8 scores (flat)."""
        model_input: np.ndarray = values
        if self.float_in:
            model_input = np.frombuffer(_app.float_input(np.ascontiguousarray(values, np.int8), self.input_scale,
                                                         self.input_zero_point), np.float32)
        raw = np.asarray(self.model.invoke(model_input.reshape(self.input.shape))).reshape(-1)
        if self.float_out:
            return np.frombuffer(_app.scores_from_float(np.ascontiguousarray(raw, np.float32)), np.int8)
        return raw


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
        io = ModelIO(app, model)
        self.app, self.model, self.feeder, self.model_path, self.io = app, model, feeder, str(path), io
        self.post = PostProcessor(app)
        self._score_scale, self._score_zero_point = score_quantization(model.outputs[0])

    @staticmethod
    def _check_model(app: App, model: Any, feeder: Any) -> None:
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            raise ModelError(f"app {app.name!r} needs a model with one input and one output; "
                             f"this one has {len(model.inputs)} and {len(model.outputs)}")
        tensor_in, tensor_out = model.inputs[0], model.outputs[0]
        if np.dtype(tensor_in.dtype) not in APP_IO_TYPES or np.dtype(tensor_out.dtype) not in APP_IO_TYPES:
            raise ModelError(f"app {app.name!r} needs a model with int8 or float32 input and output (input "
                             f"{np.dtype(tensor_in.dtype).name}, output {np.dtype(tensor_out.dtype).name})")
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
                raw = self.io.invoke(features)
            events.append(InferenceEvent.from_raw(t_ms, raw, self.app.labels, self._score_scale,
                                                  self._score_zero_point))
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
