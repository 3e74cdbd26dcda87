"""Dataset layouts eval reads: Speech Commands (with its lists and --split) and CSV manifests."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgesim.apps import load_app
from edgesim.cli import main
from edgesim.errors import SourceError
from edgesim.evaluation.datasets import find_labelled_files


@pytest.fixture(autouse=True)
def local_models(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGESIM_MODELS", str(models_dir))


CLIPS = {"yes": ["micro_speech/yes_1000ms.wav", "tts/yes_en-us.wav", "tts/yes_en_f2.wav"],
         "no": ["micro_speech/no_1000ms.wav", "tts/no_en-us.wav", "tts/no_en_f2.wav"],
         "up": ["tts/up_en-us.wav"], "tree": ["tts/tree_en-us.wav"]}


def speech_commands(testdata: Path, root: Path) -> Path:
    """A miniature Speech Commands v0.02 folder: word folders, background noise, the two lists."""
    for word, clips in CLIPS.items():
        (root / word).mkdir(parents=True)
        for number, clip in enumerate(clips):
            (root / word / f"0000{number}abc_nohash_0.wav").symlink_to(testdata / clip)
    (root / "_background_noise_").mkdir()
    (root / "_background_noise_" / "white_noise.wav").symlink_to(testdata / "micro_speech/noise_1000ms.wav")
    (root / "testing_list.txt").write_text("yes/00000abc_nohash_0.wav\nno/00000abc_nohash_0.wav\n"
                                           "up/00000abc_nohash_0.wav\ntree/00000abc_nohash_0.wav\n")
    (root / "validation_list.txt").write_text("yes/00001abc_nohash_0.wav\nno/00001abc_nohash_0.wav\n")
    return root


def test_speech_commands_splits_and_unknown_words(testdata_dir: Path, tmp_path: Path) -> None:
    root = speech_commands(testdata_dir, tmp_path / "sc")
    app = load_app("wake_word")
    names = lambda split: [(f.path.parent.name + "/" + f.path.name, f.label)
                           for f in find_labelled_files(root, app, split)]
    assert names(None) == names("testing") == [("no/00000abc_nohash_0.wav", "no"), ("tree/00000abc_nohash_0.wav", "unknown"),
                                              ("up/00000abc_nohash_0.wav", "unknown"), ("yes/00000abc_nohash_0.wav", "yes")]
    assert [n for n, _ in names("validation")] == ["no/00001abc_nohash_0.wav", "yes/00001abc_nohash_0.wav"]
    assert [n for n, _ in names("train")] == ["no/00002abc_nohash_0.wav", "yes/00002abc_nohash_0.wav"]
    assert len(names("all")) == 8  # every word clip, never the background noise


def test_eval_speech_commands_testing_split(testdata_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = speech_commands(testdata_dir, tmp_path / "sc")
    assert main(["eval", "wake_word", str(root), "--split", "testing", "--workers", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["files"] == 4 and report["accuracy"] == 1.0
    assert report["confusion"]["unknown"]["unknown"] == 2


def test_csv_manifest_relative_to_itself(testdata_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "clips").mkdir()
    for clip in ("yes_1000ms.wav", "no_1000ms.wav", "silence_1000ms.wav"):
        (tmp_path / "clips" / clip).symlink_to(testdata_dir / "micro_speech" / clip)
    manifest = tmp_path / "set.csv"
    manifest.write_text("file,label,speaker\nclips/yes_1000ms.wav,yes,a\nclips/no_1000ms.wav,no,b\n"
                        f"{tmp_path / 'clips' / 'silence_1000ms.wav'},silence,c\n")
    assert main(["eval", "wake_word", str(manifest), "--workers", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(Path(r["file"]).name, r["prediction"]) for r in report["results"]] == [
        ("yes_1000ms.wav", "yes"), ("no_1000ms.wav", "no"), ("silence_1000ms.wav", "silence")]


def test_dataset_errors(testdata_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = load_app("wake_word")
    manifest = tmp_path / "set.csv"
    manifest.write_text("missing.wav,yes\n")
    with pytest.raises(SourceError, match="line 1 names missing.wav, which is not a file"):
        find_labelled_files(manifest, app)
    (tmp_path / "yes").mkdir()
    (tmp_path / "yes" / "a.wav").symlink_to(testdata_dir / "micro_speech/yes_1000ms.wav")
    assert main(["eval", "wake_word", str(tmp_path / "yes"), "--split", "testing"]) == 1
    assert "--split needs the Speech Commands layout" in capsys.readouterr().err
    root = speech_commands(testdata_dir, tmp_path / "sc")
    assert main(["eval", "wake_word", str(root), "--split", "dev"]) == 1
    assert "split must be one of testing, validation, train, all, not 'dev'" in capsys.readouterr().err
    (root / "validation_list.txt").unlink()
    with pytest.raises(SourceError, match="split 'validation' needs validation_list.txt"):
        find_labelled_files(root, app, "validation")
    assert main(["eval", "wake_word", str(tmp_path / "yes"), "--min-class-accuracy", "cat=0.5"]) == 1
    assert "'cat' is not a label of the app" in capsys.readouterr().err
