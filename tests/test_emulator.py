"""Host and emulated Cortex-M4 agree bit for bit: features, scores and detections
for every shared test vector, through the UART path (end to end, every app) and
the semihosting bulk channel; firmware errors come back as clear exceptions."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path

pytestmark = pytest.mark.usefixtures("firmware_models")


def load(name: str):
    from edgesim.apps import load_app

    return load_app(name)


def run_streams(target_name: str, app, streams: list[list], **options) -> tuple[list[list[dict]], object]:
    """Events (as dicts) of each stream, one target, reset between streams.  With
    features=True the emulator's model inputs of each stream end up in target.stream_features."""
    from edgesim.targets import create_target

    results = []
    target = create_target(target_name, **options)
    target.stream_features = []
    with target:
        target.open(app)
        for i, chunks in enumerate(streams):
            if i:
                target.reset()
            events = []
            for chunk in chunks:
                events += target.process(chunk)
            events += target.finish()
            results.append([e.to_dict() for e in events])
            target.stream_features.append(list(getattr(target, "features", [])))
    return results, target


def host_inputs(app, chunks: list) -> list[np.ndarray]:
    """The model inputs the host target computes for a stream (its feeders)."""
    from edgesim.targets.host import FEEDERS

    feeder = FEEDERS[app.preprocess.kernel](app)
    return [np.asarray(f).reshape(-1) for chunk in chunks for _, f in feeder.push(chunk)]


def assert_same_inputs(emulated: list[np.ndarray], host: list[np.ndarray]) -> None:
    assert len(emulated) == len(host) > 0
    assert all(np.array_equal(a, b.astype(np.int8)) for a, b in zip(emulated, host))


def chunks_of(path: Path, kind: str) -> list:
    from edgesim.sources import open_source

    with open_source(str(path), kind) as source:
        return list(source)


def audio_clips() -> list[Path]:
    return sorted(shared_path("testdata", "micro_speech").glob("*.wav")) + sorted(
        shared_path("testdata", "tts").glob("*.wav"))


def long_audio_stream() -> list:
    """Every clip back to back with noise and silence between: state carries over, words get detected."""
    from edgesim.sources.base import AudioChunk

    rng = np.random.default_rng(7)
    parts = []
    for path in audio_clips():
        samples = np.concatenate([c.samples for c in chunks_of(path, "audio")])
        parts += [samples, (rng.normal(0, 300, 8000)).astype(np.int16), np.zeros(4000, np.int16)]
    stream = np.concatenate(parts)
    step = 1600
    return [AudioChunk(start, stream[start:start + step]) for start in range(0, len(stream), step)]


def test_wake_word_features_scores_and_detections_match_on_every_clip() -> None:
    app = load("wake_word")
    clips = audio_clips()
    streams = [chunks_of(path, "audio") for path in clips] + [long_audio_stream()]
    host, _ = run_streams("host", app, streams)
    emulated, target = run_streams("emulator", app, streams, channel="semihosting", features=True)
    assert emulated == host
    assert sum(e["type"] == "detection" for e in host[-1]) >= 3  # the long stream hears words
    assert_same_inputs(target.stream_features[-1], host_inputs(app, streams[-1]))
    # the firmware's 49x40 features of each full clip are the reference feature files, byte for byte
    reference = shared_path("testdata", "micro_speech", "features")
    checked = 0
    for path, features in zip(clips, target.stream_features):
        expected = reference / f"{path.stem}.features.int8"
        if expected.exists():
            assert features[0].tobytes() == expected.read_bytes(), path.name
            checked += 1
    assert checked == 4
    assert target.stats()["instructions_per_inference"]["invoke"] > 0


def test_wake_word_over_the_uart_end_to_end() -> None:
    app = load("wake_word")
    streams = [chunks_of(shared_path("testdata", "tts", "yes_en-us.wav"), "audio"),
               chunks_of(shared_path("testdata", "micro_speech", "no_1000ms.wav"), "audio")]
    host, _ = run_streams("host", app, streams)
    emulated, target = run_streams("emulator", app, streams)
    assert emulated == host and [e["top"] for s in host for e in s] == ["yes", "no"]
    stats = target.stats()
    assert stats["channel"] == "uart" and 0 < stats["stack_high_water_bytes"] < 16384


def test_person_detection_matches_on_every_image_and_over_the_uart() -> None:
    from edgesim.sources.base import ImageFrame

    app = load("person_detection")
    images = sorted(shared_path("testdata", "person_detection").glob("*.bmp"), reverse=True)  # persons first
    frames = [chunk for path in images for chunk in chunks_of(path, "camera")]
    stream = [ImageFrame(1000.0 * i, f.pixels, f.pixel_format) for i, f in enumerate(frames)]
    host, _ = run_streams("host", app, [stream])
    bulk, target = run_streams("emulator", app, [stream], channel="semihosting", features=True)
    uart, _ = run_streams("emulator", app, [stream[:1]])
    assert bulk == host
    assert_same_inputs(target.stream_features[0], host_inputs(app, stream))
    assert uart[0] == [e for e in host[0] if e["t_ms"] == stream[0].t_ms]
    assert {e.get("event") for e in host[0] if e["type"] == "detection"} == {"enter", "leave"}


def test_person_detection_frames_too_big_for_the_device_get_a_clear_error() -> None:
    from edgesim.errors import EdgesimError
    from edgesim.sources.base import ImageFrame

    app = load("person_detection")
    frame = ImageFrame(0.0, np.zeros((480, 640), np.uint8), "gray8")
    with pytest.raises(EdgesimError, match="76800-byte frame buffer"):
        run_streams("emulator", app, [[frame]], channel="semihosting")


def test_gesture_strokes_match_synthetic_and_real_and_over_the_uart() -> None:
    from edgesim.sources.base import StrokeChunk
    from edgesim.sources.files import read_stroke_csv

    app = load("gesture")
    synthetic = sorted(shared_path("testdata", "magic_wand").glob("stroke_digit*.csv"))
    real = sorted(shared_path("testdata", "magic_wand", "real").glob("digit*.csv"))
    stream = [StrokeChunk(1000.0 * i, read_stroke_csv(path)) for i, path in enumerate(synthetic + real)]
    host, _ = run_streams("host", app, [stream])
    bulk, target = run_streams("emulator", app, [stream], channel="semihosting", features=True)
    uart, _ = run_streams("emulator", app, [stream[:4]])
    assert bulk == host
    assert_same_inputs(target.stream_features[0], host_inputs(app, stream))
    assert uart[0] == [e for e in host[0] if e["t_ms"] < 4000]
    assert [e["top"] for e in host[0][:8:2]] == ["0", "1", "3", "7"]


def synthetic_imu_stream(seconds_still: float = 2.0) -> list:
    """Still board, a circle drawn with the gyroscope, still again: one stroke."""
    from edgesim.sources.base import ImuChunk

    rate = 119.0
    still = np.tile(np.array([0, 0, 1, 0, 0, 0], np.float32), (int(rate * seconds_still), 1))
    t = np.arange(int(rate * 1.2)) / rate
    move = np.zeros((len(t), 6), np.float32)
    move[:, 2] = 1.0
    move[:, 0] = 0.3 * np.sin(2 * np.pi * t)
    move[:, 3] = 200 * np.sin(2 * np.pi * t / 1.2)
    move[:, 4] = 200 * np.cos(2 * np.pi * t / 1.2)
    samples = np.concatenate([still, move, still])
    step = 30
    return [ImuChunk(1000.0 * i / rate, samples[i:i + step]) for i in range(0, len(samples), step)]


def test_gesture_imu_stream_matches() -> None:
    app = load("gesture")
    stream = synthetic_imu_stream()
    host, _ = run_streams("host", app, [stream])
    emulated, target = run_streams("emulator", app, [stream], channel="semihosting", features=True)
    assert emulated == host
    assert any(e["type"] == "inference" for e in host[0])
    assert_same_inputs(target.stream_features[0], host_inputs(app, stream))


def test_a_model_the_app_cannot_use_is_reported_by_the_firmware() -> None:
    from edgesim.errors import ModelError

    app = load("wake_word").with_model(shared_path("models", "magic_wand.tflite"))
    with pytest.raises(ModelError,
                       match="firmware .*error.*model input must be int8 or float32 window_frames x num_channels"):
        run_streams("emulator", app, [[]], timeout=20)
