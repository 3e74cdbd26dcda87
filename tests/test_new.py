"""`edgesim new`: app files from any model, derived from its input tensor, run on the host and the emulator.

The models are single FULLY_CONNECTED layers (tests/oplib) with the input each
sensor's preprocessing produces, so no TensorFlow is needed.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from edgesim.cli import main
from firmware_support import require_firmware_tools
from oplib import TensorSpec, fully_connected_options, single_op_model

# Input quantizations the preprocessing kernels produce (edgesim/commands/new.py says why).
AUDIO_Q = (0.1017156839, -128)
IMAGE_Q = (2 / 255, -1)
RASTER_Q = (1.0, -128)


def classifier(path: Path, input_shape: tuple[int, ...], quant: tuple[float, int], labels: int, seed: int = 0,
               dtype: type = np.int8) -> Path:
    """A one-layer int8 classifier: scores with scale 1/256, zero point -128 like a softmax's."""
    rng = np.random.default_rng(seed)
    depth = int(np.prod(input_shape))
    weights = rng.integers(-127, 128, (labels, depth)).astype(np.int8)
    weight_scale = 4.0 / depth
    specs = [TensorSpec(input_shape, dtype=dtype, scale=quant[0], zero_point=quant[1]),
             TensorSpec((labels, depth), data=weights, scale=weight_scale),
             TensorSpec((labels,), dtype=np.int32, data=np.zeros(labels, np.int32), scale=quant[0] * weight_scale)]
    out = TensorSpec((1, labels), scale=1 / 256, zero_point=-128)
    path.write_bytes(single_op_model("FULLY_CONNECTED", specs, [out], fully_connected_options()))
    return path


def new(tmp_path: Path, *args: str) -> Path:
    assert main(["new", *args, "--out", str(tmp_path)]) == 0
    return tmp_path / f"{args[0]}.py"


def audio_stream(seconds: float = 2.0, seed: int = 1) -> list:
    from edgesim.sources.base import AudioChunk

    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    audio = (5000 * np.sin(2 * np.pi * 440 * t * (1 + t)) * (np.sin(2 * np.pi * 2 * t) > 0)
             + rng.normal(0, 300, t.size)).astype(np.int16)
    return [AudioChunk(start, audio[start:start + 1600]) for start in range(0, audio.size, 1600)]


def events(target_name: str, app, chunks: list) -> list[dict]:
    from edgesim.targets import create_target

    with create_target(target_name) as target:
        target.open(app)
        found = [e for chunk in chunks for e in target.process(chunk)]
        found += target.finish()
    return [e.to_dict() for e in found]


def test_audio_app_from_a_model_runs_on_the_host_from_the_cli(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from edgesim.apps import load_app
    from edgesim.sources.wav import write_wav

    model = classifier(tmp_path / "kws.tflite", (1, 12 * 40), AUDIO_Q, 3)
    app_file = new(tmp_path, "my_kws", "--model", str(model), "--sensor", "audio", "--labels", "silence,up,down")
    app = load_app(str(app_file))
    assert app.preprocess.params == {"window_frames": 12, "infer_every_frames": 2, "window_ms": 30, "step_ms": 20,
                                     "num_channels": 40, "lower_band_hz": 125, "upper_band_hz": 7500,
                                     "noise_reduction": True, "pcan": True, "log_scale": True}
    assert app.postprocess.kernel == "recognize_commands" and app.postprocess.params["report"] == ["up", "down"]
    assert app.model == str(model)  # beside the app file: found from the file's own folder
    chunks = audio_stream()
    wav = tmp_path / "clip.wav"
    write_wav(wav, np.concatenate([c.samples for c in chunks]), 16000)
    capsys.readouterr()
    assert main(["run", str(app_file), "--source", str(wav), "--json", "--verbose", "--tail-ms", "0"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    inferences = [line for line in lines if line["type"] == "inference"]
    # 2 s of audio = 99 frames; the first input after 12, then every 2nd frame.
    assert len(inferences) == (99 - 12) // 2 + 1
    assert inferences == [e for e in events("host", app, chunks) if e["type"] == "inference"]


@pytest.mark.parametrize("sensor", ["audio", "audio_config", "audio_channels", "camera", "camera_rgb", "imu",
                                    "imu_small"])
def test_new_apps_give_the_same_events_on_the_host_and_the_emulator(tmp_path: Path, sensor: str) -> None:
    require_firmware_tools()
    from edgesim.apps import load_app
    from edgesim.sources.base import ImageFrame, StrokeChunk

    rng = np.random.default_rng(3)
    if sensor == "audio_channels":  # a (1, frames, channels, 1) input names another channel count
        model = classifier(tmp_path / "m.tflite", (1, 10, 32, 1), AUDIO_Q, 4, seed=4)
        labels, chunks = "unknown,a,b,c", audio_stream(1.5)
    elif sensor.startswith("audio"):
        model = classifier(tmp_path / "m.tflite", (1, 10 * 40), AUDIO_Q, 4, seed=4)
        labels, chunks = "unknown,a,b,c", audio_stream(1.5)
    elif sensor == "camera":
        model = classifier(tmp_path / "m.tflite", (1, 96, 96, 1), IMAGE_Q, 2, seed=5)
        labels = "empty,full"
        chunks = [ImageFrame(200.0 * i, (rng.random((120, 160)) * 255 * (i % 3) / 2).astype(np.uint8), "gray8")
                  for i in range(8)]
    elif sensor == "camera_rgb":
        model = classifier(tmp_path / "m.tflite", (1, 40, 40, 3), (1 / 255, -128), 3, seed=7)
        labels = "red,green,blue"
        chunks = [ImageFrame(200.0 * i, (rng.random((90, 120, 3)) * 255).astype(np.uint8), "bgr888")
                  for i in range(6)]
    else:
        side = 32 if sensor == "imu" else 20
        model = classifier(tmp_path / "m.tflite", (1, side, side, 3), RASTER_Q, 3, seed=6)
        labels = "o,l,z"
        chunks = [StrokeChunk(100.0 * i, rng.integers(-100, 100, (int(rng.integers(5, 60)), 2)).astype(np.int8))
                  for i in range(6)]
    kind = sensor.split("_")[0]
    app = load_app(str(new(tmp_path, f"my_{sensor}", "--model", str(model), "--sensor", kind, "--labels", labels)))
    if sensor == "camera_rgb":
        assert app.preprocess.params == {"resize": "area", "size": 40, "channels": 3}
    if sensor == "imu_small":
        assert app.preprocess.params == {"raster_size": 20}
    if sensor == "audio_channels":
        assert app.preprocess.params["num_channels"] == 32 and app.preprocess.params["window_frames"] == 10
        from dataclasses import replace

        from edgesim.app import Stage

        app = replace(app, preprocess=Stage("audio_frontend", {**app.preprocess.params, "lower_band_hz": 60,
                                                               "upper_band_hz": 6000, "window_ms": 25}))
    if sensor == "audio_config":  # the front end the model was trained with, edited in the app file
        from dataclasses import replace

        from edgesim.app import Stage

        app = replace(app, preprocess=Stage("audio_frontend", {**app.preprocess.params, "step_ms": 10,
                                                               "pcan": False, "log_scale": False}))
    host = events("host", app, chunks)
    assert any(e["type"] == "inference" for e in host)
    if not sensor.startswith("audio"):
        assert any(e["type"] == "detection" for e in host)
    if sensor == "audio_config":  # 1.5 s: 148 frames every 10 ms, an input after 10 and then every 2
        assert sum(e["type"] == "inference" for e in host) == (148 - 10) // 2 + 1
    assert events("emulator", app, chunks) == host


@pytest.mark.parametrize("sensor, shape, quant, labels, message", [
    ("audio", (1, 410), AUDIO_Q, 3, "not a whole number of 40-channel audio feature frames"),
    ("audio", (1, 400), (0.05, 0), 3, "audio front end's int8 features have scale 0.1017"),
    ("audio", (1, 400), AUDIO_Q, 4, "4 output scores but 3 labels"),
    ("camera", (1, 64, 48, 3), IMAGE_Q, 3, "square (1, N, N, 1) gray or (1, N, N, 3) RGB"),
    ("camera", (1, 64, 64, 2), IMAGE_Q, 3, "square (1, N, N, 1) gray or (1, N, N, 3) RGB"),
    ("camera", (1, 96, 96, 1), (0.5, 3), 3, "fits pixels / 255"),
    ("imu", (1, 96, 96, 1), RASTER_Q, 3, "(1, N, N, 3) stroke raster, N up to 32"),
    ("imu", (1, 48, 48, 3), RASTER_Q, 3, "(1, N, N, 3) stroke raster, N up to 32"),
])
def test_models_that_do_not_fit_the_sensor_are_refused_naming_why(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  sensor: str, shape: tuple, quant: tuple,
                                                                  labels: int, message: str) -> None:
    model = classifier(tmp_path / "m.tflite", shape, quant, labels)
    assert main(["new", "x", "--model", str(model), "--sensor", sensor, "--labels", "a,b,c",
                 "--out", str(tmp_path)]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.py").exists()


def test_bad_names_labels_files_and_overwrites_are_refused(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    model = classifier(tmp_path / "m.tflite", (1, 400), AUDIO_Q, 3)
    base = ["--model", str(model), "--sensor", "audio", "--out", str(tmp_path)]
    for argv, message in ((["my-app", *base, "--labels", "a,b,c"], "must be a Python identifier"),
                          (["x", *base, "--labels", "a,a,b"], "at least two distinct"),
                          (["x", "--model", str(tmp_path / "none.tflite"), "--sensor", "audio", "--labels", "a,b"],
                           "not found")):
        assert main(["new", *argv]) == 1
        assert message in capsys.readouterr().err
    assert main(["new", "x", *base, "--labels", "a,b,c"]) == 0
    assert main(["new", "x", *base, "--labels", "a,b,c"]) == 1
    assert "pass --force" in capsys.readouterr().err
    assert main(["new", "x", *base, "--labels", "a,b,c", "--force"]) == 0
