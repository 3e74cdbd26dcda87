"""`edgesim calibrate`: post-processing sweep on labelled streams, recommendation, DET plot, app file update."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from edgesim.apps import APPS_DIR, load_app
from edgesim.cli import main
from test_cli_run import build_stream


@pytest.fixture(autouse=True)
def local_models(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGESIM_MODELS", str(models_dir))


@pytest.fixture
def stream(testdata_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "long.wav"
    words = build_stream(testdata_dir, path)
    (tmp_path / "long.csv").write_text("label,start_ms,end_ms\n" + "".join(f"{l},{a},{b}\n" for l, a, b in words))
    return path


def test_sweep_replay_equals_a_real_run_and_write(stream: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    app_file = tmp_path / "my_words.py"
    shutil.copy(APPS_DIR / "wake_word.py", app_file)
    app_file.write_text(app_file.read_text().replace('name="wake_word"', 'name="my_words"')
                        .replace('"detection_threshold": 160', '"detection_threshold": 60'))
    plot = tmp_path / "det.png"
    assert main(["calibrate", str(app_file), str(stream), "--threshold", "60,160,250", "--min-count", "1,3",
                 "--max-fa-per-hour", "0", "--plot", str(plot), "--write", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    table = {(s["detection_threshold"], s["minimum_count"]): s for s in result["settings"]}
    assert len(table) == 6 and result["written"]
    # Threshold 60 of 255 accepts noise, 250 misses words; the shipped 160 is clean on this stream.
    assert table[(60, 3)]["false_accepts"] > 0 and table[(250, 3)]["false_rejects"] > 0
    assert (table[(160, 3)]["false_rejects"], table[(160, 3)]["false_accepts"]) == (0, 0)
    assert result["current"]["detection_threshold"] == 60
    recommended = result["recommended"]
    assert recommended["false_accepts"] == 0 and recommended["false_rejects"] == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 5000
    # --write changed the numbers in the app file, comments and all else kept.
    rewritten = load_app(str(app_file)).postprocess.params
    assert {k: rewritten[k] for k in ("detection_threshold", "minimum_count")} == \
        {"detection_threshold": recommended["detection_threshold"], "minimum_count": recommended["minimum_count"]}
    assert "Upstream uses 200" in app_file.read_text()
    # The replay over recorded scores gives exactly what a real run of that setting gives.
    app_file.write_text(app_file.read_text().replace(f'"detection_threshold": {recommended["detection_threshold"]}',
                                                     '"detection_threshold": 60')
                        .replace(f'"minimum_count": {recommended["minimum_count"]}', '"minimum_count": 3'))
    assert main(["eval", str(app_file), str(stream), "--json"]) == 0
    real = json.loads(capsys.readouterr().out)
    assert (real["false_rejects"], real["false_accepts"]) == (table[(60, 3)]["false_rejects"],
                                                              table[(60, 3)]["false_accepts"])


def test_table_recommendation_and_refusals(stream: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calibrate", "wake_word", str(stream), "--threshold", "100:200:50"]) == 0
    out = capsys.readouterr().out
    assert "wake_word on host: 3 settings over 1 stream(s)" in out
    assert "<- recommended" in out and "(current)" not in out  # 160 is not in the sweep
    assert "recommended for <= 1.0 false accepts/hour: detection_threshold=" in out
    assert main(["calibrate", "person_detection", str(stream)]) == 1
    assert "calibrate sweeps the recognize_commands post-processing" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["calibrate", "wake_word", str(stream), "--threshold", "9:1:1"])
    assert "expected numbers like 100,150,200 or 100:200:10" in capsys.readouterr().err
