"""`edgesim new` with models converted the usual way from Keras: plain float32, and int8 with float I/O.

The app layer makes int8 values; a float32 input takes them as input_scale *
(q - input_zero_point) and float32 scores are read back as int8 (kernels/app/
model_io.c), the same C on the host and in the firmware, so the events agree
on both targets.  TensorFlow (dev extra) converts the models in the test.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgesim.cli import main
from firmware_support import require_firmware_tools
from test_new import audio_stream, events, new

tf = pytest.importorskip("tensorflow", reason="tensorflow-cpu (dev extra) converts the Keras test models")

SEED = 11


def keras_classifier(input_shape: tuple[int, ...], labels: int, conv: bool) -> "tf.keras.Model":
    """A small untrained softmax classifier with fixed random weights."""
    tf.keras.utils.set_random_seed(SEED)
    layers = [tf.keras.Input(shape=input_shape, batch_size=1)]  # static shapes: no SHAPE ops for Flatten
    if conv:
        layers += [tf.keras.layers.Conv2D(4, 3, activation="relu"), tf.keras.layers.MaxPooling2D(2),
                   tf.keras.layers.Flatten()]
    layers += [tf.keras.layers.Dense(labels, activation="softmax")]
    return tf.keras.Sequential(layers)


def convert(model: "tf.keras.Model", kind: str, value_range: tuple[float, float], path: Path) -> Path:
    """float32, or int8 weights and activations with float I/O (the converter's default for int8)."""
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if kind == "int8_float_io":
        shape = (1, *model.input_shape[1:])
        rng = np.random.default_rng(SEED)

        def representative():
            for _ in range(20):
                yield [rng.uniform(*value_range, shape).astype(np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    path.write_bytes(converter.convert())
    return path


def io_types(path: Path) -> tuple[str, str]:
    from edgesim.compute.model import Model

    model = Model(str(path))
    return np.dtype(model.inputs[0].dtype).name, np.dtype(model.outputs[0].dtype).name


@pytest.mark.parametrize("kind", ["float32", "int8_float_io"])
@pytest.mark.parametrize("sensor", ["audio", "imu", "camera"])
def test_keras_models_make_apps_with_the_same_events_on_the_host_and_the_emulator(tmp_path: Path, sensor: str,
                                                                                  kind: str) -> None:
    require_firmware_tools()
    from edgesim.apps import load_app
    from edgesim.sources.base import ImageFrame, StrokeChunk

    if sensor == "audio":
        model = convert(keras_classifier((10 * 40,), 4, conv=False), kind, (0.0, 26.0), tmp_path / "m.tflite")
        labels, chunks = "unknown,a,b,c", audio_stream(1.5)
    elif sensor == "camera":
        model = convert(keras_classifier((24, 24, 1), 3, conv=True), kind, (0.0, 1.0), tmp_path / "m.tflite")
        labels = "a,b,c"
        rng = np.random.default_rng(7)
        chunks = [ImageFrame(200.0 * i, (rng.random((60, 80)) * 255 * (1 + i % 3) / 3).astype(np.uint8), "gray8")
                  for i in range(6)]
    else:
        model = convert(keras_classifier((16, 16, 3), 3, conv=True), kind, (0.0, 255.0), tmp_path / "m.tflite")
        labels = "o,l,z"
        rng = np.random.default_rng(6)
        chunks = [StrokeChunk(100.0 * i, rng.integers(-100, 100, (int(rng.integers(5, 60)), 2)).astype(np.int8))
                  for i in range(6)]
    assert io_types(model) == ("float32", "float32")  # both conversions keep float I/O
    app = load_app(str(new(tmp_path, f"my_{sensor}", "--model", str(model), "--sensor", sensor, "--labels", labels)))
    assert app.preprocess.params["input_scale"] == {"audio": 0.1017156839, "imu": 1.0, "camera": 1 / 255}[sensor]
    assert app.preprocess.params["input_zero_point"] == -128
    host = events("host", app, chunks)
    inferences = [e for e in host if e["type"] == "inference"]
    assert inferences and all(len(e["raw"]) == len(labels.split(",")) for e in inferences)
    # The inputs differ, so the scores do: the model ran on the features, not on constants.
    assert len({tuple(e["raw"]) for e in inferences}) > 1
    assert events("emulator", app, chunks) == host


def test_float_scores_are_the_models_probabilities_read_as_int8(tmp_path: Path) -> None:
    """The host's events from a float32 model are its own float output, quantized as the C reads it."""
    from edgesim.apps import load_app
    from edgesim.compute.model import Model

    path = convert(keras_classifier((10 * 40,), 3, conv=False), "float32", (0, 26), tmp_path / "m.tflite")
    app = load_app(str(new(tmp_path, "kws", "--model", str(path), "--sensor", "audio", "--labels", "x,y,z")))
    chunks = audio_stream(1.0)
    host = [e for e in events("host", app, chunks) if e["type"] == "inference"]
    # The same inputs through the model directly: the app layer's features (kernels/app/audio_feed.c) as floats.
    from edgesim import _app

    feed = _app.AudioFeed(10, 2, 320, True, True)
    features = [np.frombuffer(values, np.int8) for chunk in chunks for _, values in feed.push(chunk.samples)]
    model = Model(str(path))
    expected = []
    for q in features:
        floats = (np.float32(0.1017156839) * (q.astype(np.float32) + np.float32(128))).reshape(1, -1)
        p = np.asarray(model.invoke(floats)).reshape(-1)
        expected.append([int(np.clip(np.round(v * 256) - 128, -128, 127)) for v in p])
    assert [e["raw"] for e in host] == expected
    assert all(abs(e["scores"][label] - (raw + 128) / 256) < 1e-9 for e in host
               for label, raw in zip("xyz", e["raw"]))


def test_unsupported_and_malformed_models_get_one_clear_error(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    good = convert(keras_classifier((400,), 3, conv=False), "float32", (0, 26), tmp_path / "good.tflite")
    # A model converted with an op outside edgesim's set names the op.
    tf.keras.utils.set_random_seed(SEED)
    inputs = tf.keras.Input(shape=(400,))
    cumulative = tf.keras.layers.Lambda(lambda x: tf.math.cumsum(x, axis=-1))(inputs)
    outputs = tf.keras.layers.Dense(3, activation="softmax")(cumulative)
    unsupported = convert(tf.keras.Model(inputs, outputs), "float32", (0, 26), tmp_path / "cumsum.tflite")
    truncated = tmp_path / "truncated.tflite"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    for model, message in ((unsupported, "CUMSUM"), (truncated, "truncated.tflite")):
        assert main(["new", "x", "--model", str(model), "--sensor", "audio", "--labels", "a,b,c",
                     "--out", str(tmp_path)]) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert not (tmp_path / "x.py").exists()
