"""The App definition: sensor -> preprocess -> infer -> postprocess, declared once.

An app is data, not code: every target (host, emulator, Renode, device) reads
the same App and runs the same C kernels, so the definition never changes
between targets.  Kernel names and parameters are plain strings and numbers
that the firmware can receive too.

Usage (apps/wake_word.py, minus its comments and examples):

    from edgesim.app import App, Sensor, Stage
    from edgesim.constants import AUDIO_FEATURE_FRAMES, AUDIO_SAMPLE_RATE_HZ

    APP = App(
        name="wake_word",
        description='Keyword spotting: detects "yes" and "no" in 16 kHz audio.',
        sensor=Sensor(kind="audio", rate_hz=AUDIO_SAMPLE_RATE_HZ, shape=(1,), format="int16"),
        preprocess=Stage("audio_frontend", {"window_frames": AUDIO_FEATURE_FRAMES, "infer_every_frames": 2}),
        model="micro_speech_quantized",
        labels=("silence", "unknown", "yes", "no"),
        postprocess=Stage("recognize_commands", {"average_window_ms": 1000, "detection_threshold": 160,
                                                 "suppression_ms": 1500, "minimum_count": 3,
                                                 "report": ["yes", "no"]}),
        default_source="mic",
    )

Preprocess kernels (the C app layer, edgesim/kernels/app/, runs them the same
way on every target; ``edgesim new`` writes an App for a model of your own):
  ``audio_frontend``  int16 audio -> ``num_channels`` (1..64, default 40) int8
                      features per ``window_ms`` (17..32, default 30) window
                      every ``step_ms`` (1..window_ms, default 20), mel bands from ``lower_band_hz`` (125) to
                      ``upper_band_hz`` (7500); an inference on the newest
                      ``window_frames`` frames every ``infer_every_frames`` new
                      frames once the window is full.  ``noise_reduction``,
                      ``pcan`` and ``log_scale`` (default True) skip those
                      stages when False.
  ``image``           camera frame (any size/pixel format) -> size x size int8,
                      gray or RGB; one inference per frame.  Params: ``resize``
                      ("area"|"bilinear"), ``size`` (default 96), ``channels``
                      (1 gray, default, or 3 RGB).
  ``imu_stroke``      IMU samples -> segmented strokes -> raster_size x raster_size x 3
                      int8 raster (``raster_size`` 1..32, default 32); one inference
                      per completed stroke.  Already segmented
                      strokes (mouse, stroke CSV) are rasterized directly.
  Every preprocess kernel makes int8 values q.  A model with a float32 input
  takes them as ``input_scale`` * (q - ``input_zero_point``) (defaults: audio
  0.1017, -128, the micro_speech training features 0..26; image 1/255, -128,
  pixels in [0, 1]; imu_stroke 1, -128, raster values 0..255).  A float32
  output is read as probabilities (int8 scores round(p * 256) - 128).

Postprocess kernels (C, edgesim/kernels/post/):
  ``recognize_commands``  TFLM RecognizeCommands semantics; detections for the
                          labels in ``report``.
  ``hysteresis``          one class score with on/off thresholds (0..255 scale)
                          and consecutive-frame counts; detections on change.
  ``classify``            top label with a minimum score; a detection per
                          inference whose top score reaches ``min_score``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from edgesim.errors import EdgesimError

SENSOR_KINDS = ("audio", "camera", "imu")
PREPROCESS_KERNELS = ("audio_frontend", "image", "imu_stroke")
POSTPROCESS_KERNELS = ("recognize_commands", "hysteresis", "classify")


class AppError(EdgesimError):
    """An app definition is inconsistent (unknown kernel, missing label, bad parameter)."""


@dataclass(frozen=True)
class Sensor:
    """What the app consumes.

    kind:     "audio" (int16 mono samples), "camera" (frames) or "imu" (6-axis samples).
    rate_hz:  samples per second (audio, imu) or nominal frames per second (camera).
    shape:    one sample or frame as the preprocessing expects it: (1,) for
              mono audio, (6,) for accel xyz [g] + gyro xyz [deg/s], (H, W) or
              (H, W, C) for camera frames (any size is accepted and cropped).
    format:   sample format: "int16", "float32", or a pixel format such as
              "gray8", "bgr888", "rgb888", "rgb565", "yuv422".
    accepts:  other chunk kinds the preprocessing takes directly, e.g.
              ("stroke",) for gesture so mouse-drawn strokes skip segmentation.
    resolution: camera only, optional (width, height) of the frames the
              camera module delivers, e.g. (320, 240) for an ArduCAM at QVGA;
              format must then be "gray8".  Every source's frames are
              converted to it once on the host (edgesim.sources.frames) so
              every target receives the same bytes.  None: frames as the
              source gives them.
    """

    kind: str
    rate_hz: float
    shape: tuple[int, ...]
    format: str
    accepts: tuple[str, ...] = ()
    resolution: tuple[int, int] | None = None


@dataclass(frozen=True)
class Stage:
    """A kernel by name plus its parameters (plain JSON-able values)."""

    kernel: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


def _convert_param(name: str, text: str, declared: Any) -> Any:
    """``text`` as a value of the declared value's type, or AppError saying what was expected."""
    if isinstance(declared, bool):
        words = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False,
                 "0": False}
        if text.lower() not in words:
            raise AppError(f"--param {name}={text}: expected true or false")
        return words[text.lower()]
    if isinstance(declared, (list, tuple)):
        items = [item.strip() for item in text.split(",") if item.strip()]
        first = declared[0] if declared else ""
        return [_convert_param(name, item, first) for item in items]
    kinds: tuple[tuple[type, str], ...] = ((int, "an integer"), (float, "a number"))
    for kind, what in kinds:
        if isinstance(declared, kind):
            try:
                value = kind(text)
            except ValueError:
                raise AppError(f"--param {name}={text}: expected {what} (default {declared})") from None
            if isinstance(value, float) and not math.isfinite(value):
                raise AppError(f"--param {name}={text}: expected a finite number")
            return value
    return text


@dataclass(frozen=True)
class App:
    """A complete, target-independent application definition.

    model is a model-store name ("micro_speech_quantized", resolved through
    edgesim.store, EDGESIM_MODELS or the download cache) or a path to a
    .tflite file.  labels are the model's output classes in output order.
    default_source is what ``edgesim run APP`` reads without --source.
    deadline_ms, when set, is the processing budget per inference; otherwise
    the runner uses each chunk's own duration (keep up with the sensor).
    """

    name: str
    description: str
    sensor: Sensor
    preprocess: Stage
    model: str
    labels: tuple[str, ...]
    postprocess: Stage
    default_source: str = "synthetic:silence"
    deadline_ms: float | None = None
    examples: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise AppError naming the first inconsistency."""
        where = f"app {self.name!r}"
        if not self.name.isidentifier():
            raise AppError(f"{where}: name must be a Python identifier (it is also the file name)")
        if self.sensor.kind not in SENSOR_KINDS:
            raise AppError(f"{where}: sensor kind {self.sensor.kind!r} is not one of {', '.join(SENSOR_KINDS)}")
        if self.sensor.rate_hz <= 0:
            raise AppError(f"{where}: sensor rate must be positive, got {self.sensor.rate_hz}")
        if self.sensor.resolution is not None:
            from edgesim.sources.frames import check_resolution

            check_resolution(where, self.sensor)
        if self.preprocess.kernel not in PREPROCESS_KERNELS:
            raise AppError(f"{where}: preprocess kernel {self.preprocess.kernel!r} is not one of "
                           f"{', '.join(PREPROCESS_KERNELS)}")
        if self.postprocess.kernel not in POSTPROCESS_KERNELS:
            raise AppError(f"{where}: postprocess kernel {self.postprocess.kernel!r} is not one of "
                           f"{', '.join(POSTPROCESS_KERNELS)}")
        if len(self.labels) < 2 or len(set(self.labels)) != len(self.labels):
            raise AppError(f"{where}: labels must be at least two distinct names, got {self.labels}")
        for stage_name, stage in (("preprocess", self.preprocess), ("postprocess", self.postprocess)):
            if not isinstance(stage.params, Mapping) or not all(isinstance(key, str) for key in stage.params):
                raise AppError(f"{where}: {stage_name} parameters must be a mapping of names to values, "
                               f"got {type(stage.params).__name__}")
        for key in ("report", "label"):
            named = self.postprocess.params.get(key)
            if named is not None and not isinstance(named, (str, list, tuple)):
                raise AppError(f"{where}: postprocess {key} must be a label or a list of labels, got {named!r}")
            for label in ([named] if isinstance(named, str) else list(named or [])):
                if label not in self.labels:
                    raise AppError(f"{where}: postprocess {key} names {label!r}, which is not one of the "
                                   f"labels {', '.join(self.labels)}")

    def label_index(self, label: str) -> int:
        try:
            return self.labels.index(label)
        except ValueError:
            raise AppError(f"app {self.name!r} has no label {label!r} (labels: {', '.join(self.labels)})") from None

    def with_model(self, model: str | Path) -> "App":
        """The same app with another model (``--model PATH``)."""
        from dataclasses import replace

        return replace(self, model=str(model))

    def with_params(self, assignments: Sequence[str]) -> "App":
        """The same app with stage parameters overridden (``--param NAME=VALUE``, repeatable).

        NAME is a parameter the app declares, bare (``detection_threshold``) or
        with its stage (``postprocess.detection_threshold``); VALUE is converted
        to the declared value's type (int, float, bool, text, or a comma list).
        The new app is validated like any other; the kernels check ranges when
        a target opens it.
        """
        stages = {"preprocess": dict(self.preprocess.params), "postprocess": dict(self.postprocess.params)}
        for assignment in assignments:
            name, equals, text = assignment.partition("=")
            name = name.strip()
            if not equals or not name:
                raise AppError(f"--param {assignment!r}: expected NAME=VALUE, e.g. --param detection_threshold=180")
            stage_name, dot, bare = name.rpartition(".")
            owners = [stage for stage in ([stage_name] if dot else list(stages)) if bare in stages.get(stage, {})]
            if not owners:
                declared = ", ".join(f"{stage}.{param}" for stage, params in stages.items() for param in params)
                raise AppError(f"--param {name}: app {self.name!r} has no parameter {name!r}; its parameters are "
                               f"{declared}")
            if len(owners) > 1:
                raise AppError(f"--param {name}: both stages have it; say {' or '.join(f'{o}.{bare}' for o in owners)}")
            stages[owners[0]][bare] = _convert_param(name, text.strip(), stages[owners[0]][bare])
        from dataclasses import replace

        return replace(self, preprocess=Stage(self.preprocess.kernel, stages["preprocess"]),
                       postprocess=Stage(self.postprocess.kernel, stages["postprocess"]))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description (used by `edgesim apps --json` and by targets that ship the config)."""
        return {
            "name": self.name,
            "description": self.description,
            "sensor": {"kind": self.sensor.kind, "rate_hz": self.sensor.rate_hz, "shape": list(self.sensor.shape),
                       "format": self.sensor.format, "accepts": list(self.sensor.accepts),
                       **({"resolution": list(self.sensor.resolution)} if self.sensor.resolution else {})},
            "preprocess": {"kernel": self.preprocess.kernel, "params": dict(self.preprocess.params)},
            "model": self.model,
            "labels": list(self.labels),
            "postprocess": {"kernel": self.postprocess.kernel, "params": dict(self.postprocess.params)},
            "default_source": self.default_source,
            "deadline_ms": self.deadline_ms,
        }


@dataclass(frozen=True)
class AudioFrontendConfig:
    """The audio front end an app asks for (its ``window_ms``, ``step_ms``, ``noise_reduction``, ``pcan``,
    ``log_scale``, ``num_channels``, ``lower_band_hz``, ``upper_band_hz``)."""

    hop_samples: int
    noise_reduction: bool
    pcan: bool
    log_scale: bool
    channels: int = 40
    # None: the built-in filter bank (40 channels, 125..7500 Hz); else the app's own.
    filterbank: "FilterbankTable | None" = None
    window_samples: int = 480
    # None: the built-in 30 ms Hann window; else the app's (planar Q12 coefficients).
    window_coeffs: tuple[int, ...] | None = None


@dataclass(frozen=True)
class FilterbankTable:
    """An app's own mel filter bank in the form es_audio_filterbank_table reads (audio_frontend.h)."""

    channels: int
    start: int
    end: int
    weights: tuple[int, ...]
    unweights: tuple[int, ...]
    channel_ends: tuple[int, ...]


def audio_frontend_config(app: App) -> AudioFrontendConfig:
    """The app's audio front-end parameters, checked (AppError naming the bad one)."""
    from edgesim.constants import AUDIO_FEATURE_CHANNELS, AUDIO_SAMPLE_RATE_HZ, AUDIO_WINDOW_SAMPLES, config_value

    default_window_ms = AUDIO_WINDOW_SAMPLES * 1000 // AUDIO_SAMPLE_RATE_HZ
    # Upstream's FFT is the window rounded up to a power of two; edgesim's is 512 samples (32 ms),
    # so windows of 17..32 ms (more than 256 samples) run the same FFT as upstream.
    fft_ms = int(config_value("ES_AUDIO_FFT_LENGTH")) * 1000 // AUDIO_SAMPLE_RATE_HZ
    window_ms = _whole_number(app, "window_ms", default_window_ms, fft_ms // 2 + 1, fft_ms)
    step_ms = app.preprocess.param("step_ms", 20)
    if isinstance(step_ms, bool) or not isinstance(step_ms, (int, float)) or int(step_ms) != step_ms or \
            not 1 <= step_ms <= window_ms:
        raise AppError(f"app {app.name!r}: step_ms must be a whole number of milliseconds from 1 to {window_ms} "
                       f"(the window), got {step_ms!r}")
    flags = {}
    for name in ("noise_reduction", "pcan", "log_scale"):
        value = app.preprocess.param(name, True)
        if not isinstance(value, bool):
            raise AppError(f"app {app.name!r}: {name} must be True or False, got {value!r}")
        flags[name] = value
    if flags["pcan"] and not flags["noise_reduction"]:
        raise AppError(f"app {app.name!r}: pcan needs noise_reduction (it scales by the noise estimate); "
                       f"set both to False or keep noise_reduction")
    channels = _whole_number(app, "num_channels", AUDIO_FEATURE_CHANNELS, 1, int(config_value("ES_AUDIO_MAX_CHANNELS")))
    nyquist = AUDIO_SAMPLE_RATE_HZ // 2
    bands = {}
    for name, default in (("lower_band_hz", config_value("ES_AUDIO_LOWER_BAND_HZ")),
                          ("upper_band_hz", config_value("ES_AUDIO_UPPER_BAND_HZ"))):
        value = app.preprocess.param(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < nyquist:
            raise AppError(f"app {app.name!r}: {name} must be a frequency from 0 to below {nyquist} Hz "
                           f"(half the sample rate), got {value!r}")
        bands[name] = value
    lower, upper = bands["lower_band_hz"], bands["upper_band_hz"]
    if not lower < upper:
        raise AppError(f"app {app.name!r}: lower_band_hz ({lower}) must be below upper_band_hz ({upper})")
    window_samples = window_ms * AUDIO_SAMPLE_RATE_HZ // 1000
    window_coeffs = None
    if window_samples != AUDIO_WINDOW_SAMPLES:
        from edgesim.compute.frontend_tables import hann_window, planar

        window_coeffs = tuple(planar(hann_window(window_samples, int(config_value("ES_AUDIO_WINDOW_SHIFT")))))
    return AudioFrontendConfig(int(step_ms) * AUDIO_SAMPLE_RATE_HZ // 1000, flags["noise_reduction"], flags["pcan"],
                               flags["log_scale"], channels, _filterbank(app, channels, lower, upper),
                               window_samples, window_coeffs)


def _filterbank(app: App, channels: int, lower: float, upper: float) -> FilterbankTable | None:
    """The app's filter bank table; None for the built-in one."""
    from edgesim.compute.frontend_tables import filter_bank
    from edgesim.constants import AUDIO_FEATURE_CHANNELS, AUDIO_SAMPLE_RATE_HZ, config_value

    default = (AUDIO_FEATURE_CHANNELS, config_value("ES_AUDIO_LOWER_BAND_HZ"), config_value("ES_AUDIO_UPPER_BAND_HZ"))
    if (channels, lower, upper) == default:
        return None
    try:
        bank = filter_bank(int(config_value("ES_AUDIO_FFT_LENGTH")), AUDIO_SAMPLE_RATE_HZ, channels, lower, upper,
                           int(config_value("ES_AUDIO_FILTERBANK_WEIGHT_BITS")),
                           int(config_value("ES_AUDIO_FILTERBANK_ALIGNMENT")),
                           int(config_value("ES_AUDIO_FILTERBANK_BLOCK")))
    except ValueError as error:
        raise AppError(f"app {app.name!r}: no filter bank of {channels} channels from {lower} to {upper} Hz: "
                       f"{error}") from None
    return FilterbankTable(channels, int(bank["start"]), int(bank["end"]), tuple(bank["bin_weights"]),
                           tuple(bank["bin_unweights"]), tuple(bank["channel_ends"]))


# The float meaning of each preprocess kernel's int8 values (scale, zero point) for float-input models:
# the audio front end's int8 features quantize the micro_speech training features (0..26) this way,
# gray - 128 is pixels / 255, and the raster's -128..127 is its 0..255 as int8.
FLOAT_INPUT_DEFAULTS = {"audio_frontend": (0.1017156839, -128), "image": (1 / 255, -128), "imu_stroke": (1.0, -128)}


def float_input_params(app: App) -> tuple[float, int]:
    """(input_scale, input_zero_point): how a float32 model input takes the app's int8 values, checked."""
    default_scale, default_zero_point = FLOAT_INPUT_DEFAULTS[app.preprocess.kernel]
    scale = app.preprocess.param("input_scale", default_scale)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 < scale < 1e30:
        raise AppError(f"app {app.name!r}: input_scale must be a positive number (the float input is "
                       f"input_scale * (q - input_zero_point)), got {scale!r}")
    zero_point = _whole_number(app, "input_zero_point", default_zero_point, -128, 127)
    return float(scale), zero_point


def _whole_number(app: App, name: str, default: int, low: int, high: int) -> int:
    value = app.preprocess.param(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise AppError(f"app {app.name!r}: {name} must be a whole number from {low} to {high}, got {value!r}")
    return value


def image_output(app: App) -> tuple[int, int]:
    """(side, channels) of an image app's model input, checked: ``size`` 1..1024 (default 96),
    ``channels`` 1 (gray, default) or 3 (RGB)."""
    side = _whole_number(app, "size", 96, 1, 1024)
    channels = _whole_number(app, "channels", 1, 1, 3)
    if channels == 2:
        raise AppError(f"app {app.name!r}: channels must be 1 (gray) or 3 (RGB), got 2")
    return side, channels


def raster_side(app: App) -> int:
    """The stroke raster's side of an IMU app (``raster_size`` 1..32, default 32)."""
    return _whole_number(app, "raster_size", 32, 1, 32)
