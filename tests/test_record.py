"""`edgesim record`: labelled takes in the layouts eval reads, from the ALSA file device through PortAudio."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edgesim.apps import load_app
from edgesim.cli import main
from edgesim.evaluation.datasets import find_labelled_files
from edgesim.sources.base import IMU_RATE_HZ
from edgesim.sources.files import read_imu_csv, read_stroke_csv, write_imu_csv, write_stroke_csv
from edgesim.sources.wav import read_wav, write_wav
from test_mic import DEVICE, _portaudio_or_skip, file_capture_device, isolated_env


def test_mic_takes_through_portaudio_land_in_label_folders(tmp_path: Path) -> None:
    _portaudio_or_skip()
    pattern = np.random.default_rng(5).integers(-12000, 12000, 16000 * 4).astype(np.int16)
    file_capture_device(tmp_path, pattern)
    out = tmp_path / "clips"
    completed = subprocess.run([sys.executable, "-m", "edgesim", "record", "wake_word", "--label", "yes",
                                "--out", str(out), "--source", f"mic:{DEVICE}", "--count", "2",
                                "--seconds", "0.5", "--countdown", "0.3"],
                               env=isolated_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "take 1/2: speak in 1..." in completed.stderr and "RMS" in completed.stderr
    files = find_labelled_files(out, load_app("wake_word"))
    assert [f.label for f in files] == ["yes", "yes"] and all(f.path.parent == out / "yes" for f in files)
    # The countdown runs on the device's own clock: 0.3 s of its samples before each take, discarded.
    takes = [read_wav(f.path).samples for f in files]
    assert np.array_equal(takes[0], pattern[4800:12800])
    assert np.array_equal(takes[1], pattern[12800 + 4800:12800 + 4800 + 8000])


def test_file_source_csv_layout_and_meter(testdata_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = read_wav(testdata_dir / "micro_speech" / "yes_1000ms.wav").samples
    source = tmp_path / "two.wav"
    write_wav(source, np.concatenate([clip, clip // 64]))
    out = tmp_path / "set"
    assert main(["record", "wake_word", "--label", "yes", "--out", str(out), "--source", str(source),
                 "--count", "2", "--countdown", "0", "--layout", "csv"]) == 0
    err = capsys.readouterr().err
    saved = [line for line in err.splitlines() if ".wav  [" in line]
    assert len(saved) == 2 and "very quiet" not in saved[0] and "very quiet" in saved[1]
    rows = list(csv.reader((out / "labels.csv").open()))
    assert rows[0] == ["file", "label"] and [r[1] for r in rows[1:]] == ["yes", "yes"]
    files = find_labelled_files(out, load_app("wake_word"))
    assert np.array_equal(read_wav(files[0].path).samples, clip)
    # A third take runs past the end of the source: reported, not saved, exit 1.
    assert main(["record", "wake_word", "--label", "no", "--out", str(out), "--source", str(source),
                 "--count", "3", "--countdown", "0", "--layout", "csv"]) == 1
    assert "the source ended" in capsys.readouterr().err
    assert len(find_labelled_files(out, load_app("wake_word"))) == 4


def test_camera_frames_and_refusals(testdata_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("cv2")
    photo = testdata_dir / "person_detection" / "person_96x96.bmp"
    out = tmp_path / "photos"
    assert main(["record", "person_detection", "--label", "person", "--out", str(out), "--source", str(photo),
                 "--countdown", "0"]) == 0
    (saved,) = find_labelled_files(out, load_app("person_detection"))
    assert saved.label == "person" and saved.path.suffix == ".png"
    import cv2

    assert np.array_equal(cv2.imread(str(saved.path), cv2.IMREAD_UNCHANGED).reshape(-1),
                          cv2.imread(str(photo), cv2.IMREAD_UNCHANGED).reshape(-1))
    capsys.readouterr()
    assert main(["record", "wake_word", "--label", "cat", "--out", str(out)]) == 1
    assert "'cat' is not a label of app 'wake_word'" in capsys.readouterr().err


def test_gesture_takes_from_a_drawing_source_are_one_stroke_each(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(11)
    drawn = tmp_path / "drawn"
    drawn.mkdir()
    strokes = [rng.integers(-128, 128, (n, 2)) for n in (17, 40)]
    for index, points in enumerate(strokes):
        write_stroke_csv(drawn / f"s{index}.csv", points)
    out = tmp_path / "strokes"
    assert main(["record", "gesture", "--label", "3", "--out", str(out), "--source", str(drawn),
                 "--count", "2", "--countdown", "0"]) == 0
    assert "draw the gesture now" in capsys.readouterr().err
    files = find_labelled_files(out, load_app("gesture"))
    assert [f.label for f in files] == ["3", "3"] and all(f.path.parent == out / "3" for f in files)
    assert [read_stroke_csv(f.path).tolist() for f in files] == [s.tolist() for s in strokes]
    # The saved takes are a dataset eval reads: both strokes are classified.
    assert main(["eval", "gesture", str(out), "--json"]) in (0, 1)
    assert json.loads(capsys.readouterr().out)["files"] == 2


def test_gesture_takes_from_imu_samples_follow_the_countdown_on_the_source_clock(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rate = IMU_RATE_HZ
    samples = np.random.default_rng(12).normal(0, 1.5, (rate * 4, 6)).astype(np.float32)
    recording = tmp_path / "wrist.csv"
    write_imu_csv(recording, samples)
    assert np.array_equal(read_imu_csv(recording), samples)  # the CSV writer round-trips float32 exactly
    out = tmp_path / "imu"
    assert main(["record", "gesture", "--label", "7", "--out", str(out), "--source", str(recording),
                 "--count", "2", "--seconds", "1", "--countdown", "0.5", "--layout", "csv"]) == 0
    assert "take 1/2: move in 1..." in capsys.readouterr().err
    files = find_labelled_files(out, load_app("gesture"))
    half = int(round(0.5 * rate))  # the countdown's samples
    assert np.array_equal(read_imu_csv(files[0].path), samples[half:half + rate])
    assert np.array_equal(read_imu_csv(files[1].path), samples[2 * half + rate:2 * half + 2 * rate])
    # A take past the end of the samples is reported, not saved, and the command fails.
    assert main(["record", "gesture", "--label", "7", "--out", str(out), "--source", str(recording),
                 "--count", "5", "--seconds", "1", "--countdown", "0"]) == 1
    assert "the source ended after 0.00 s; not saved" in capsys.readouterr().err
