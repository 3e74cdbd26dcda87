"""`edgesim eval`: labelled folders -> accuracy and confusion matrix; a long stream -> false accepts/rejects."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgesim.cli import main
from edgesim.errors import SourceError
from edgesim.evaluation import Word, read_word_times, score_stream
from edgesim.events import DetectionEvent
from test_cli_run import build_stream


@pytest.fixture(autouse=True)
def local_models(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGESIM_MODELS", str(models_dir))


def eval_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["eval", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_wake_word_folder_by_parent_name(testdata_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layout = {"yes": ["micro_speech/yes_1000ms.wav", "tts/yes_en-us.wav", "tts/yes_en_f2.wav", "tts/yes_en_m3.wav"],
              "no": ["micro_speech/no_1000ms.wav", "tts/no_en-us.wav", "tts/no_en_f2.wav", "tts/no_en_m3.wav"],
              "silence": ["micro_speech/silence_1000ms.wav", "micro_speech/noise_1000ms.wav"],
              "unknown": ["tts/up_en-us.wav", "tts/stop_en-us.wav", "tts/tree_en-us.wav"]}
    for label, clips in layout.items():
        (tmp_path / label).mkdir()
        for clip in clips:
            (tmp_path / label / Path(clip).name).symlink_to(testdata_dir / clip)
    (tmp_path / "README.txt").write_text("not a clip")
    report = eval_json(capsys, "wake_word", str(tmp_path))
    assert report["files"] == 13 and report["correct"] == 13 and report["accuracy"] == 1.0
    assert report["confusion"]["yes"] == {"silence": 0, "unknown": 0, "yes": 4, "no": 0, "(none)": 0}
    assert report["confusion"]["silence"]["silence"] == 2
    # Each file is an independent stream: the raw scores equal the single-clip reference.
    no = next(r for r in report["results"] if r["file"].endswith("no_1000ms.wav"))
    assert no["raw"] == [-128, -114, -128, 114]


def test_gesture_real_strokes_from_labels_csv(testdata_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = eval_json(capsys, "gesture", str(testdata_dir / "magic_wand/real"))
    assert report["files"] == 100 and report["accuracy"] == 1.0  # testdata README: all 100 right
    assert all(report["confusion"][str(d)][str(d)] == 10 for d in range(10))


def test_confusion_matrix_shows_errors_and_min_accuracy_fails(testdata_dir: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "labels.csv").write_text("file,label\n# comment\nperson.bmp,person\nno_person.bmp,notperson\n"
                                         "p96.bmp,person\n")
    for name, target in (("person.bmp", "person.bmp"), ("no_person.bmp", "no_person.bmp"),
                         ("p96.bmp", "person_96x96.bmp")):
        (tmp_path / name).symlink_to(testdata_dir / "person_detection" / target)
    assert main(["eval", "person_detection", str(tmp_path), "--min-accuracy", "0.9"]) == 1
    captured = capsys.readouterr()
    # person.bmp stores gray-128 bytes (testdata README), so read as an image it is not a person.
    assert "accuracy 66.7% (2/3 files)" in captured.out
    assert "person.bmp: person -> notperson" in captured.out
    assert "below --min-accuracy 0.9" in captured.err


def test_stream_false_accepts_and_rejects(testdata_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stream = tmp_path / "long.wav"
    words = build_stream(testdata_dir, stream)
    (tmp_path / "long.csv").write_text("label,start_ms,end_ms\n" + "".join(f"{l},{a},{b}\n" for l, a, b in words))
    report = eval_json(capsys, "wake_word", str(stream), "--max-false-accepts", "0")
    assert (report["words"], report["hits"], report["false_rejects"], report["false_accepts"]) == (8, 8, 0, 0)
    assert report["false_accepts_per_hour"] == 0.0 and 0 < report["mean_delay_after_word_ms"] < 1000
    # Mislabel one word in the truth: one miss and one false accept, and the CLI exits 1.
    wrong = [("no" if i == 0 else l, a, b) for i, (l, a, b) in enumerate(words)]
    (tmp_path / "wrong.json").write_text(json.dumps([{"label": l, "start_ms": a, "end_ms": b} for l, a, b in wrong]))
    assert main(["eval", "wake_word", str(stream), "--words", str(tmp_path / "wrong.json"),
                 "--max-false-accepts", "0"]) == 1
    out = capsys.readouterr()
    assert "7/8 words detected; 1 false rejects, 1 false accepts" in out.out
    assert "1 false accepts, more than --max-false-accepts 0" in out.err


def test_score_stream_matching_rules() -> None:
    words = [Word("yes", 1000, 2000), Word("no", 5000, 6000), Word("up", 8000, 9000)]
    detections = [DetectionEvent(2400, "yes", 0.9), DetectionEvent(2500, "yes", 0.9),  # second one is spurious
                  DetectionEvent(7600, "no", 0.9),  # too late for "no" (tolerance 1500)
                  DetectionEvent(8500, "up", 0.9)]  # "up" is not a reported label: a false accept
    report = score_stream(detections, words, {"yes", "no"}, tolerance_ms=1500, stream_ms=3_600_000)
    assert [w.label for w, _ in report.hits] == ["yes"]
    assert [w.label for w in report.false_rejects] == ["no"]
    assert [(e.label, e.t_ms) for e in report.false_accepts] == [("yes", 2500), ("no", 7600), ("up", 8500)]
    assert report.to_dict()["false_accepts_per_hour"] == 3.0


def test_dataset_and_word_time_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "a.wav").write_bytes(b"")
    assert main(["eval", "wake_word", str(tmp_path)]) == 1
    assert "label(s) cat are not labels of app 'wake_word'" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["eval", "wake_word", str(empty)]) == 1
    assert "no labelled files" in capsys.readouterr().err
    assert main(["eval", "wake_word", str(tmp_path / "x.wav")]) == 1
    assert "no such folder or file" in capsys.readouterr().err
    lone = tmp_path / "lone.wav"
    lone.write_bytes(b"")
    assert main(["eval", "wake_word", str(lone)]) == 1
    assert "no word times found" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("yes,100\n")
    with pytest.raises(SourceError, match="line 1 must be label,start_ms,end_ms"):
        read_word_times(bad)
    bad.write_text("yes,200,100\n")
    with pytest.raises(SourceError, match="ends"):
        read_word_times(bad)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"words": [{"label": "yes"}]}')
    with pytest.raises(SourceError, match="word 0 needs label, start_ms and end_ms"):
        read_word_times(bad_json)
