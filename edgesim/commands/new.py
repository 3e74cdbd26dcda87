"""`edgesim new NAME --model M.tflite --sensor audio|camera|imu --labels a,b,c`: an app file for your model.

The preprocessing is derived from the model's input tensor and checked
against what edgesim's preprocessing kernels produce, so the written app
runs at once on the host and the emulator (`edgesim run NAME.py`), or the
command says exactly which property of the model does not fit.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgesim.app import FLOAT_INPUT_DEFAULTS, AppError

HELP = """\
Write an app file (NAME.py) that runs your .tflite model like the bundled
apps: sensor -> preprocess -> your model -> postprocess -> detections.

The model needs one input and one output with one score per label (a
softmax), each int8 or float32: full-integer int8, int8 with float I/O, or
plain float32 models all work.  A float input gets the preprocessing's int8
values as floats (input_scale * (q - input_zero_point), written in the file:
audio the micro_speech features 0..26, camera pixels / 255, imu the raster
0..255); float scores are read as probabilities.  What the input must look
like for each sensor (the quantization applies to int8 inputs):
  audio   window_frames x num_channels micro-frontend features (16 kHz, 30 ms
          windows every step_ms, TFLM micro_speech front end) quantized as
          that front end does (scale 0.1017, zero point -128); any number of
          frames.  A (1, frames, channels[, 1]) input names the channel count
          (1..64; a flat input is 40 per frame).  The written file sets
          the whole front end: window_ms (30), step_ms (20), num_channels,
          lower_band_hz (125), upper_band_hz (7500), noise_reduction, pcan
          and log_scale (on): edit them to the settings the model was
          trained with
  camera  N x N x 1 (gray) or N x N x 3 (RGB), any N up to 1024, pixels in
          [0, 1] (scale 1/255, zero point -128) or [-1, 1] (scale 2/255,
          zero point -1 or 0)
  imu     N x N x 3 stroke raster (the magic wand's, N up to 32; scale 1,
          zero point -128)

Postprocessing: audio apps get the command recognizer (detections for every
label but silence/unknown-like ones), camera apps with two labels a
hysteresis on the second label (enter/leave), other apps the top label of
each inference.  Every parameter is in the written file: edit it there.
"""

EXAMPLES = """\
examples:
  edgesim new my_kws --model kws.tflite --sensor audio --labels silence,unknown,up,down
  edgesim run my_kws.py --source clip.wav
  edgesim run my_kws.py --source clip.wav --target emulator
  edgesim new cats --model cat.tflite --sensor camera --labels other,cat --out apps/
"""

# The preprocessing kernels' outputs (edgesim/kernels/include/edgesim/config.h).
AUDIO_CHANNELS = 40  # micro_speech's; num_channels makes 1..ES_AUDIO_MAX_CHANNELS
MAX_AUDIO_CHANNELS = 64
# The front end's int8 features (dsp/audio/feature_quantize.c) are the micro_speech training
# pipeline's float features (0..26) quantized as that model's input states it.
AUDIO_INPUT_SCALE, AUDIO_INPUT_ZERO_POINT = 0.1017156839, -128
MAX_IMAGE_SIDE = 1024  # ES_IMAGE_MAX_OUT_SIDE
# gray - 128 (dsp/image/quantize.c) is the input of a model taking pixels / 255 (scale 1/255, zero
# point -128) or pixels / 127.5 - 1 (scale 2/255, zero point -1; 0 is within rounding).
IMAGE_QUANTIZATIONS = ((1 / 255, (-128,)), (2 / 255, (-1, 0)))
MAX_RASTER_SIDE = 32  # ES_RASTER_SIDE
RASTER_QUANTIZATION = (1.0, -128)
# Labels that name "no event": the recognizer does not report them.
NON_EVENT_LABELS = {"silence", "_silence_", "unknown", "_unknown_", "background", "noise", "none", "other"}
SENSORS = ("audio", "camera", "imu")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("new", help="write an app file for your own .tflite model",
                                   description=HELP, epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", metavar="NAME", help="app name, a Python identifier (the file is NAME.py)")
    parser.add_argument("--model", "-m", required=True, metavar="PATH", help="the .tflite model")
    parser.add_argument("--sensor", required=True, choices=SENSORS, help="what the model listens to / looks at")
    parser.add_argument("--labels", required=True, metavar="A,B,...",
                        help="the model's output classes in output order, comma separated")
    parser.add_argument("--out", metavar="DIR", default=".", help="folder for NAME.py (default: here)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing NAME.py")
    parser.set_defaults(func=run)


@dataclass(frozen=True)
class Derived:
    """What the model's input says about the app: its stages and how that was decided."""

    sensor: str
    preprocess: str
    pre_params: dict[str, Any]
    postprocess: str
    post_params: dict[str, Any]
    notes: tuple[str, ...]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-3 * abs(b)


def _quantization(tensor: Any) -> str:
    return f"scale {tensor.scale:.6g}, zero point {tensor.zero_point}"


def _float_input(float_input: bool, kernel: str) -> dict[str, Any]:
    """The input_scale / input_zero_point parameters a float-input model's app states (edgesim.app)."""
    if not float_input:
        return {}
    scale, zero_point = FLOAT_INPUT_DEFAULTS[kernel]
    return {"input_scale": scale, "input_zero_point": zero_point}


def derive(model: Any, sensor: str, labels: tuple[str, ...], model_name: str) -> Derived:
    """The app's stages for `model` on `sensor`; AppError naming what does not fit."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise AppError(f"{model_name}: apps run models with one input and one output; this one has "
                       f"{len(model.inputs)} inputs and {len(model.outputs)} outputs")
    tensor_in, tensor_out = model.inputs[0], model.outputs[0]
    for role, tensor in (("input", tensor_in), ("output", tensor_out)):
        if np.dtype(tensor.dtype) not in (np.int8, np.float32):
            raise AppError(f"{model_name}: the {role} is {np.dtype(tensor.dtype).name}; apps take int8 or float32 "
                           f"inputs and outputs (a float32, full-integer int8, or int8 with float I/O model)")
    float_input = np.dtype(tensor_in.dtype) == np.float32
    outputs = int(np.prod(tensor_out.shape))
    if outputs != len(labels):
        raise AppError(f"{model_name}: the model has {outputs} output scores but {len(labels)} labels were given "
                       f"({', '.join(labels)})")
    elements = int(np.prod(tensor_in.shape))
    shape = tuple(int(d) for d in tensor_in.shape)
    inner = shape[1:] if len(shape) == 4 and shape[0] == 1 else shape
    if sensor == "audio":
        # (1, frames, channels[, 1]) names the channel count; a flat input is micro_speech's 40 per frame.
        sized = [d for d in inner if d != 1]
        channels = sized[-1] if len(sized) >= 2 else AUDIO_CHANNELS
        if not 1 <= channels <= MAX_AUDIO_CHANNELS:
            raise AppError(f"{model_name}: the input {shape} has {channels} feature channels per frame; the audio "
                           f"front end makes 1 to {MAX_AUDIO_CHANNELS}")
        if elements % channels:
            raise AppError(f"{model_name}: the input {shape} holds {elements} values, not a whole number of "
                           f"{channels}-channel audio feature frames")
        if not float_input and not (_close(tensor_in.scale, AUDIO_INPUT_SCALE)
                                    and tensor_in.zero_point == AUDIO_INPUT_ZERO_POINT):
            raise AppError(f"{model_name}: the input is quantized with {_quantization(tensor_in)}; the audio front "
                           f"end's int8 features have scale {AUDIO_INPUT_SCALE:.4f}, zero point "
                           f"{AUDIO_INPUT_ZERO_POINT} (train on the TFLM micro_speech front end's features)")
        frames = elements // channels
        report = [label for label in labels if label.lower() not in NON_EVENT_LABELS] or list(labels)
        # The front end's settings the model was trained with (micro_speech's by default): edit them in the file.
        # The whole front end configuration, micro_speech's except the model's channel count.
        pre = {"window_frames": frames, "infer_every_frames": 2, "window_ms": 30, "step_ms": 20,
               "num_channels": channels, "lower_band_hz": 125, "upper_band_hz": 7500, "noise_reduction": True,
               "pcan": True, "log_scale": True, **_float_input(float_input, "audio_frontend")}
        notes = (f"input {shape}: {frames} frames x {channels} features "
                 f"(~{(frames - 1) * 20 + 30} ms of audio at the default 20 ms step_ms; set step_ms to "
                 f"the step the model was trained with)",)
        if float_input:
            notes += ("float input: the features as the micro_speech training pipeline's floats 0..26 "
                      "(input_scale * (q - input_zero_point))",)
        return Derived("audio", "audio_frontend", pre,
                       "recognize_commands", {"average_window_ms": 1000, "detection_threshold": 160,
                                              "suppression_ms": 1500, "minimum_count": 3, "report": report},
                       notes)
    if sensor == "camera":
        if len(inner) != 3 or inner[0] != inner[1] or inner[2] not in (1, 3) or not 1 <= inner[0] <= MAX_IMAGE_SIDE:
            raise AppError(f"{model_name}: the input is {shape}; the image preprocessing makes square "
                           f"(1, N, N, 1) gray or (1, N, N, 3) RGB inputs, N up to {MAX_IMAGE_SIDE}")
        side, channels = inner[0], inner[2]
        colour = "gray" if channels == 1 else "RGB"
        fits = float_input or any(_close(tensor_in.scale, scale) and tensor_in.zero_point in zero_points
                                  for scale, zero_points in IMAGE_QUANTIZATIONS)
        if not fits:
            raise AppError(f"{model_name}: the input is quantized with {_quantization(tensor_in)}; the image "
                           f"preprocessing's gray - 128 fits pixels / 255 (scale 1/255, zero point -128) or "
                           f"pixels / 127.5 - 1 (scale 2/255, zero point -1)")
        pre = {"resize": "area", "size": side, "channels": channels, **_float_input(float_input, "image")}
        notes = (f"input {shape}: {side}x{side} {colour}, {_quantization(tensor_in)}",)
        if float_input:
            notes = (f"input {shape}: {side}x{side} {colour}, float: pixels / 255 in [0, 1] (for [-1, 1] set "
                     f"input_scale to 2 / 255 and input_zero_point to -1)",)
        if len(labels) == 2:
            return Derived("camera", "image", pre, "hysteresis",
                           {"label": labels[1], "on_threshold": 160, "off_threshold": 96, "on_count": 1,
                            "off_count": 2}, notes)
        return Derived("camera", "image", pre, "classify", {"min_score": 160}, notes)
    if len(inner) != 3 or inner[0] != inner[1] or inner[2] != 3 or not 1 <= inner[0] <= MAX_RASTER_SIDE:
        raise AppError(f"{model_name}: the input is {shape}; the IMU preprocessing makes the magic wand's "
                       f"(1, N, N, 3) stroke raster, N up to {MAX_RASTER_SIDE}")
    side = inner[0]
    if not float_input and not (_close(tensor_in.scale, RASTER_QUANTIZATION[0])
                                and tensor_in.zero_point == RASTER_QUANTIZATION[1]):
        raise AppError(f"{model_name}: the input is quantized with {_quantization(tensor_in)}; the stroke raster "
                       f"is raw int8 (scale 1, zero point -128)")
    return Derived("imu", "imu_stroke", {"raster_size": side, **_float_input(float_input, "imu_stroke")},
                   "classify", {"min_score": 0},
                   (f"input {shape}: {side}x{side}x3 stroke raster" + (", float 0..255" if float_input else ""),))


_SENSOR_LINES = {
    "audio": 'Sensor(kind="audio", rate_hz=AUDIO_SAMPLE_RATE_HZ, shape=(1,), format="int16")',
    "camera": 'Sensor(kind="camera", rate_hz=5, shape=(IMAGE_SIDE, IMAGE_SIDE), format="bgr888")',
    "imu": 'Sensor(kind="imu", rate_hz=IMU_SAMPLE_RATE_HZ, shape=(6,), format="float32", accepts=("stroke",))',
}
_IMPORTS = {"audio": "AUDIO_SAMPLE_RATE_HZ", "camera": "IMAGE_SIDE", "imu": "IMU_SAMPLE_RATE_HZ"}
_DEFAULT_SOURCES = {"audio": "mic", "camera": "camera", "imu": "mouse"}


def app_source(name: str, model_expr: str, model_shown: str, labels: tuple[str, ...], derived: Derived) -> str:
    """The text of NAME.py."""
    def params(values: dict[str, Any]) -> str:
        if not values:
            return "{}"
        return "{\n" + "".join(f"        {key!r}: {value!r},\n" for key, value in values.items()) + "    }"

    notes = "".join(f"  {note}\n" for note in derived.notes)
    return f'''"""{name}: {derived.sensor} app for {model_shown} (written by `edgesim new`; edit freely).

Derived from the model:
{notes}
Run it:  edgesim run {name}.py --source ...   (add --target emulator for the Cortex-M4)
"""
{"from pathlib import Path" + chr(10) + chr(10) if "Path(" in model_expr else ""}from edgesim.app import App, Sensor, Stage
from edgesim.constants import {_IMPORTS[derived.sensor]}

APP = App(
    name={name!r},
    description={f"{derived.sensor} classifier: {', '.join(labels)}"!r},
    sensor={_SENSOR_LINES[derived.sensor]},
    preprocess=Stage({derived.preprocess!r}, {params(derived.pre_params)}),
    model={model_expr},
    labels={labels!r},
    postprocess=Stage({derived.postprocess!r}, {params(derived.post_params)}),
    default_source={_DEFAULT_SOURCES[derived.sensor]!r},
)
'''


def run(args: argparse.Namespace) -> int:
    from edgesim.apps import load_app
    from edgesim.compute.model import Model
    from edgesim.errors import ModelError

    name = str(args.name)
    if not name.isidentifier():
        raise AppError(f"app name {name!r} must be a Python identifier (letters, digits, _; it is also the file name)")
    labels = tuple(label.strip() for label in str(args.labels).split(","))
    if len(labels) < 2 or len(set(labels)) != len(labels) or not all(labels):
        raise AppError(f"--labels needs at least two distinct, non-empty names, got {args.labels!r}")
    model_path = Path(args.model)
    if not model_path.is_file():
        raise ModelError(f"model file {model_path} not found")
    model = Model(str(model_path))
    derived = derive(model, args.sensor, labels, str(model_path))
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.py"
    if target.exists() and not args.force:
        raise AppError(f"{target} exists; pass --force to overwrite it")
    # A model beside the app file is found from the app file wherever it runs from.
    if model_path.resolve().parent == out_dir.resolve():
        model_expr = f"str(Path(__file__).with_name({model_path.name!r}))"
    else:
        model_expr = repr(str(model_path.resolve()))
    target.write_text(app_source(name, model_expr, model_path.name, labels, derived))
    load_app(str(target))  # the written file must load: a failure here is edgesim's bug, said now
    print(f"wrote {target}")
    for note in derived.notes:
        print(f"  {note}")
    print(f"  {derived.preprocess} -> {model_path.name} -> {derived.postprocess}")
    print(f"run it: edgesim run {target} --source ...   (--target emulator for the Cortex-M4)")
    return 0
