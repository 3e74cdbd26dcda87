"""`edgesim run` on files: the shared clips, images and strokes give their labels; a long stream gives every word.

"Gives its label" for a 1 s clip means: the clip yields exactly one inference
(over the full 49-frame window, at t_ms 990) whose top label is the clip's
label; its raw int8 scores equal the reference table in testdata/README.md.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT
from edgesim.cli import main

# testdata/README.md: [silence, unknown, yes, no] int8 outputs.
CLIPS = {
    "micro_speech/yes_1000ms.wav": ("yes", [-128, -128, 127, -128]),
    "micro_speech/no_1000ms.wav": ("no", [-128, -114, -128, 114]),
    "micro_speech/silence_1000ms.wav": ("silence", [-42, -68, -68, -78]),
    "micro_speech/noise_1000ms.wav": ("silence", [120, -125, -126, -125]),
    "tts/yes_en-us.wav": ("yes", [-128, -128, 127, -127]),
    "tts/yes_en_f2.wav": ("yes", [-128, -127, 126, -127]),
    "tts/yes_en_m3.wav": ("yes", [-128, -127, 126, -127]),
    "tts/no_en-us.wav": ("no", [-128, -128, -128, 127]),
    "tts/no_en_f2.wav": ("no", [-128, -73, -126, 71]),
    "tts/no_en_m3.wav": ("no", [-128, -34, -128, 34]),
    "tts/up_en-us.wav": ("unknown", [-123, 115, -123, -125]),
    "tts/stop_en-us.wav": ("unknown", [-128, 127, -128, -127]),
    "tts/tree_en-us.wav": ("unknown", [-128, 127, -128, -128]),
}
# ([notperson, person] int8 for gray - 128 inputs, from testdata/README.md)
IMAGES = {
    "person_detection/person_96x96.bmp": ("person", [-113, 113]),
    "person_detection/no_person_96x96.bmp": ("notperson", [94, -94]),
    "person_detection/no_person.bmp": ("notperson", [77, -77]),
    "person_detection/person.jpg": ("person", None),
    "person_detection/no_person.jpg": ("notperson", None),
}
STROKES = {
    "magic_wand/stroke_digit0.csv": ("0", [49, -128, -124, -126, -128, -127, -82, -128, -102, -128]),
    "magic_wand/stroke_digit1.csv": ("1", [-124, 106, -127, -123, -126, -127, -124, -127, -126, -125]),
    "magic_wand/stroke_digit3.csv": ("3", [-128, -128, -127, 117, -128, -119, -128, -128, -128, -128]),
    "magic_wand/stroke_digit7.csv": ("7", [-117, -127, -81, -76, -107, -107, -125, -46, -124, -114]),
}


@pytest.fixture(autouse=True)
def local_models(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGESIM_MODELS", str(models_dir))


def expected_inferences(stream_ms: float) -> int:
    """Inferences of the wake word app on a stream: one when 49 frames (30 ms windows, 20 ms hop) are in,
    then one every 2 frames."""
    frames = (int(stream_ms * 16) - 480) // 320 + 1
    return (frames - 49) // 2 + 1


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict]:
    assert main(["run", *argv, "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("clip", sorted(CLIPS))
def test_wake_word_clips_give_their_labels(clip: str, testdata_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    label, raw = CLIPS[clip]
    events = run_json(capsys, "wake_word", "--source", str(testdata_dir / clip), "--tail-ms", "0")
    inferences = [e for e in events if e["type"] == "inference"]
    assert len(inferences) == 1 and inferences[0]["t_ms"] == 990
    assert inferences[0]["top"] == label and inferences[0]["raw"] == raw
    assert inferences[0]["scores"][label] == (raw[("silence", "unknown", "yes", "no").index(label)] + 128) / 256
    assert events[-1]["type"] == "summary" and events[-1]["inferences"] == 1
    assert not any(e["type"] == "detection" for e in events)  # one result never reaches the minimum count
    assert "add --tail-ms 1000" in events[-1]["notes"][-1]


@pytest.mark.parametrize("clip", sorted(CLIPS))
def test_a_clip_ends_with_its_tail_and_gives_its_label_as_the_only_detection(
        clip: str, testdata_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    label, raw = CLIPS[clip]
    events = run_json(capsys, "wake_word", "--source", str(testdata_dir / clip))
    first = next(e for e in events if e["type"] == "inference")
    assert first["t_ms"] == 990 and first["raw"] == raw  # the tail comes after the clip, never inside it
    detections = [e["label"] for e in events if e["type"] == "detection"]
    assert detections == ([label] if label in ("yes", "no") else [])
    summary = events[-1]
    assert summary["stream_ms"] == 1000.0 and summary["tail_ms"] == 1000.0
    assert summary["inferences"] == expected_inferences(2000)
    assert "shorter than the 1.99 s the recognizer needs" in summary["notes"][-1]


def test_tail_length_and_params_change_the_run(testdata_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = str(testdata_dir / "micro_speech/yes_1000ms.wav")
    events = run_json(capsys, "wake_word", "--source", clip, "--tail-ms", "500")
    assert events[-1]["tail_ms"] == 500.0 and events[-1]["inferences"] == expected_inferences(1500)
    strict = run_json(capsys, "wake_word", "--source", clip, "--param", "detection_threshold=255")
    assert not any(e["type"] == "detection" for e in strict)  # an averaged score never reaches 255
    words = run_json(capsys, "wake_word", "--source", str(testdata_dir / "tts/tree_en-us.wav"),
                     "--param", "postprocess.report=unknown,yes,no")
    assert [e["label"] for e in words if e["type"] == "detection"] == ["unknown"]  # a list parameter
    assert main(["run", "wake_word", "--source", clip, "--param", "report=maybe", "--json"]) == 1
    assert "names 'maybe', which is not one of the labels" in capsys.readouterr().err
    assert main(["run", "wake_word", "--source", clip, "--param", "threshold=3", "--json"]) == 1
    assert "has no parameter 'threshold'" in capsys.readouterr().err
    assert main(["run", "wake_word", "--source", clip, "--param", "detection_threshold=high", "--json"]) == 1
    assert "expected an integer" in capsys.readouterr().err
    assert main(["run", "wake_word", "--source", clip, "--tail-ms", "-5", "--json"]) == 1
    assert "--tail-ms -5" in capsys.readouterr().err


def test_a_folder_is_one_stream_per_file(testdata_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    names = ["a_yes.wav", "b_silence.wav", "c_no.wav"]
    for name, clip in zip(names, ["yes_1000ms.wav", "silence_1000ms.wav", "no_1000ms.wav"]):
        (folder / name).symlink_to(testdata_dir / "micro_speech" / clip)
    events = run_json(capsys, "wake_word", "--source", str(folder))
    detections = [(Path(e["file"]).name, e["label"], e["t_ms"]) for e in events if e["type"] == "detection"]
    assert detections == [("a_yes.wav", "yes", 1270), ("c_no.wav", "no", 1270)]  # each file starts at 0
    assert all(Path(e["file"]).name in names for e in events if e["type"] == "inference")
    summary = events[-1]
    assert [(Path(f["file"]).name, f["detections"], f["inferences"]) for f in summary["files"]] == [
        ("a_yes.wav", ["yes"], 26), ("b_silence.wav", [], 26), ("c_no.wav", ["no"], 26)]
    assert summary["stream_ms"] == 3000.0 and summary["tail_ms"] == 3000.0
    assert main(["run", "wake_word", "--source", str(folder)]) == 0  # the human summary lists the files too
    out = capsys.readouterr().out
    assert "per file (3):\n  a_yes.wav      yes\n  b_silence.wav  -\n  c_no.wav       no\n" in out
    assert "detected 'yes'  score 0.996  a_yes.wav" in out


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_person_images_give_their_labels(image: str, testdata_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    label, raw = IMAGES[image]
    events = run_json(capsys, "person_detection", "--source", str(testdata_dir / image))
    [inference] = [e for e in events if e["type"] == "inference"]
    assert inference["top"] == label
    if raw is not None:
        assert inference["raw"] == raw
    detections = [e for e in events if e["type"] == "detection"]
    # Hysteresis starts "absent": a person appearing is an event, an empty scene is not.
    assert [d["label"] for d in detections] == (["person"] if label == "person" else [])


@pytest.mark.parametrize("stroke", sorted(STROKES))
def test_shared_strokes_give_their_digits(stroke: str, testdata_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    label, raw = STROKES[stroke]
    events = run_json(capsys, "gesture", "--source", str(testdata_dir / stroke))
    [inference] = [e for e in events if e["type"] == "inference"]
    assert inference["top"] == label and inference["raw"] == raw
    [detection] = [e for e in events if e["type"] == "detection"]
    assert detection["label"] == label and detection["score"] == (raw[int(label)] + 128) / 256


def test_imu_recording_of_a_drawn_zero_gives_one_gesture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from edgesim.sources.files import IMU_CHUNK_ROWS
    from imu_reference import synthetic_circle_stream

    samples = synthetic_circle_stream()
    recording = tmp_path / "wand.csv"
    recording.write_text("ax,ay,az,gx,gy,gz\n" + "".join(",".join(f"{v:.6f}" for v in row) + "\n" for row in samples))
    events = run_json(capsys, "gesture", "--source", str(recording))
    [inference] = [e for e in events if e["type"] == "inference"]
    [detection] = [e for e in events if e["type"] == "detection"]
    assert inference["top"] == detection["label"] == "0"
    # The stroke ends after the circle (2 s still + 1.5 s drawing) and before the recording ends.
    assert 3500 < detection["t_ms"] <= len(samples) * 1000 / 119 + 1
    assert events[-1]["chunks"] == -(-len(samples) // IMU_CHUNK_ROWS)


def test_a_folder_of_images_runs_in_name_order_one_stream_per_photo(testdata_dir: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, name in enumerate(["no_person_96x96.bmp", "person_96x96.bmp", "person.jpg", "no_person.jpg",
                              "no_person_96x96.bmp"]):
        (folder / f"{i}_{name}").symlink_to(testdata_dir / "person_detection" / name)
    events = run_json(capsys, "person_detection", "--source", str(folder))
    tops = [e["top"] for e in events if e["type"] == "inference"]
    assert tops == ["notperson", "person", "person", "notperson", "notperson"]
    # Every photo is its own stream (hysteresis starts "absent" for each): a person appears in 1_ and 2_ only.
    detections = [(Path(e["file"]).name[:2], e["label"], e["event"]) for e in events if e["type"] == "detection"]
    assert detections == [("1_", "person", "enter"), ("2_", "person", "enter")]
    assert [len(f["detections"]) for f in events[-1]["files"]] == [0, 1, 1, 0, 0]


def test_video_file_person_enters_and_leaves(testdata_dir: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    import cv2

    person = cv2.imread(str(testdata_dir / "person_detection/person_96x96.bmp"))
    empty = cv2.imread(str(testdata_dir / "person_detection/no_person_96x96.bmp"))
    video = tmp_path / "scene.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"FFV1"), 5.0, (96, 96))
    for frame in [empty] * 3 + [person] * 4 + [empty] * 4:
        writer.write(frame)
    writer.release()
    events = run_json(capsys, "person_detection", "--source", str(video))
    assert [e["top"] for e in events if e["type"] == "inference"] == ["notperson"] * 3 + ["person"] * 4 + \
        ["notperson"] * 4
    detections = [(e["label"], e["event"], e["t_ms"]) for e in events if e["type"] == "detection"]
    assert detections == [("person", "enter", 600), ("notperson", "leave", 1600)]  # 5 fps; leave needs 2 frames


# --------------------------------------------------------------------------------------------- long stream
def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as handle:
        return np.frombuffer(handle.readframes(handle.getnframes()), np.int16)


def build_stream(testdata: Path, out: Path) -> list[tuple[str, float, float]]:
    """Noise and silence, then each shared TTS clip and upstream yes/no clip at a known time, 2 s of
    silence apart.  Returns (label, start_ms, end_ms) of each word (its 1 s clip)."""
    silence = read_wav(testdata / "micro_speech/silence_1000ms.wav")
    noise = read_wav(testdata / "micro_speech/noise_1000ms.wav")
    words = [("yes", "tts/yes_en-us.wav"), ("no", "micro_speech/no_1000ms.wav"), ("unknown", "tts/tree_en-us.wav"),
             ("yes", "micro_speech/yes_1000ms.wav"), ("no", "tts/no_en-us.wav"), ("yes", "tts/yes_en_f2.wav"),
             ("unknown", "tts/up_en-us.wav"), ("no", "tts/no_en_f2.wav"), ("yes", "tts/yes_en_m3.wav"),
             ("no", "tts/no_en_m3.wav"), ("unknown", "tts/stop_en-us.wav")]
    parts, times, position = [silence, noise], [], 2 * 16000
    for label, clip in words:
        parts += [silence, silence]
        position += 2 * 16000
        samples = read_wav(testdata / clip)
        parts.append(samples)
        times.append((label, position / 16.0, (position + len(samples)) / 16.0))
        position += len(samples)
    parts += [silence, silence]
    with wave.open(str(out), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(np.concatenate(parts).tobytes())
    return times


def test_long_stream_detects_every_word_in_its_window_without_false_accepts(
        testdata_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stream = tmp_path / "stream.wav"
    words = build_stream(testdata_dir, stream)
    events = run_json(capsys, "wake_word", "--source", str(stream))
    detections = [e for e in events if e["type"] == "detection"]
    expected = [w for w in words if w[0] in ("yes", "no")]
    assert len(expected) == 8
    # Each yes/no word is detected once, with its own label, after it starts and at most 1 s after its clip ends.
    assert len(detections) == len(expected), detections
    for (label, start, end), detection in zip(expected, detections):
        assert detection["label"] == label and start <= detection["t_ms"] <= end + 1000, (label, start, detection)
    summary = events[-1]
    assert summary["detections_by_label"] == {"yes": 4, "no": 4}
    assert not [w for w in summary["warnings"] if w.startswith("recognizer")] and summary["dropped_chunks"] == 0
    assert summary["inferences"] == expected_inferences(summary["stream_ms"] + summary["tail_ms"])


def test_slow_inference_loop_is_reported_in_the_summary(testdata_dir: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    app = tmp_path / "slow_wake_word.py"
    app.write_text(Path(REPO_ROOT / "apps" / "wake_word.py").read_text()
                   .replace('name="wake_word"', 'name="slow_wake_word"')
                   .replace('"infer_every_frames": 2', '"infer_every_frames": 50'))  # 1 inference per second
    stream = tmp_path / "stream.wav"
    build_stream(testdata_dir, stream)
    events = run_json(capsys, str(app), "--source", str(stream))
    assert not any(e["type"] == "detection" for e in events)
    [warning] = [w for w in events[-1]["warnings"] if w.startswith("recognizer")]
    assert "fewer than 3 results in the 1000 ms window" in warning and "1.0/s" in warning


def test_plain_output_names_the_label_and_summarizes(testdata_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "gesture", "--source", str(testdata_dir / "magic_wand/stroke_digit3.csv")]) == 0
    out = capsys.readouterr().out
    assert "detected '3'" in out and "1 inferences, 1 detections (3 x1)" in out
    assert "latency (ms)" in out and "deadline misses" in out


def test_bad_inputs_give_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk")
    assert main(["run", "wake_word", "--source", str(corrupt)]) == 1
    assert "corrupt.wav" in capsys.readouterr().err
    assert main(["run", "wake_word", "--source", str(tmp_path / "photo.png")]) == 1
    assert "photo.png" in capsys.readouterr().err
    assert main(["run", "nope"]) == 1
    assert "unknown app 'nope'" in capsys.readouterr().err
    assert main(["run", "wake_word", "--model", str(tmp_path / "none.tflite"), "--source", "synthetic:silence"]) == 1
    assert "none.tflite" in capsys.readouterr().err
    truncated = tmp_path / "truncated.tflite"
    truncated.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(20))
    assert main(["run", "wake_word", "--model", str(truncated), "--source", "synthetic:silence"]) == 1
    assert "truncated.tflite" in capsys.readouterr().err
    assert main(["run", "person_detection", "--model", "magic_wand", "--source", "synthetic:silence"]) == 1
    assert "edgesim:" in capsys.readouterr().err


def test_synthetic_source_and_the_console_entry_point(models_dir: Path) -> None:
    env = {**os.environ, "EDGESIM_MODELS": str(models_dir), "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([sys.executable, "-m", "edgesim", "run", "wake_word", "--source",
                             "synthetic:tone:1000,duration=2", "--json"], capture_output=True, text=True,
                            timeout=120, env=env, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["type"] for e in lines].count("inference") == expected_inferences(2000 + 1000)  # + the tail
    assert lines[-1]["type"] == "summary" and lines[-1]["stream_ms"] == 2000.0


def test_microphone_through_portaudio_and_an_alsa_file_device(testdata_dir: Path, models_dir: Path,
                                                              tmp_path: Path) -> None:
    from test_mic import DEVICE, _portaudio_or_skip, file_capture_device, isolated_env

    _portaudio_or_skip()
    clip = read_wav(testdata_dir / "micro_speech/yes_1000ms.wav")
    file_capture_device(tmp_path, np.concatenate([clip, np.zeros(16000, np.int16)]))
    env = {**isolated_env(tmp_path), "EDGESIM_MODELS": str(models_dir)}
    result = subprocess.run([sys.executable, "-m", "edgesim", "run", "wake_word", "--source", f"mic:{DEVICE}",
                             "--seconds", "1", "--json"], capture_output=True, text=True, timeout=120, env=env,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    [inference] = [e for e in events if e["type"] == "inference"]
    assert inference["t_ms"] == 990 and inference["raw"] == CLIPS["micro_speech/yes_1000ms.wav"][1]
    summary = events[-1]
    assert DEVICE in summary["source"] and summary["dropped_chunks"] == 0 and summary["chunks"] == 50
    assert "queue" in summary["latency_ms"]  # went through the live ring buffer


def test_help_teaches_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("run", "eval", "apps"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = capsys.readouterr().out
        assert "examples:" in out and f"edgesim {command}" in out
