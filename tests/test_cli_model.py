"""`edgesim info` and `edgesim invoke` on the shared models."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from edgesim.cli import main


def micro_speech() -> Path:
    return shared_path("models", "micro_speech_quantized.tflite")


def yes_features() -> bytes:
    return shared_path("testdata", "micro_speech", "features", "yes_1000ms.features.int8").read_bytes()


def test_info_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(shared_path("models", "person_detect.tflite"))]) == 0
    out = capsys.readouterr().out
    assert "89 tensors, 31 operators" in out
    assert "CONV_2D x14" in out and "DEPTHWISE_CONV_2D x14" in out and "AVERAGE_POOL_2D x1" in out
    assert "[1, 96, 96, 1] int8 scale=0.00784314 zp=-1" in out
    assert "arena:" in out and "weights:" in out


def test_info_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(micro_speech()), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["ops"] == {"RESHAPE": 1, "DEPTHWISE_CONV_2D": 1, "FULLY_CONNECTED": 1, "SOFTMAX": 1}
    assert info["inputs"][0]["shape"] == [1, 1960] and info["inputs"][0]["zero_point"] == -128
    assert info["outputs"][0]["scale"] == pytest.approx(0.00390625)
    assert 0 < info["arena_bytes"] <= 7584
    weights = sum(t["bytes"] for t in info["tensors"] if t["constant"])
    assert info["weight_bytes"] == weights > 0


def test_info_unsupported_model_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(shared_path("models", "audio_preprocessor_int8.tflite"))]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unsupported op CUSTOM 'SignalWindow'" in err


@pytest.mark.parametrize("in_kind,out_kind", [(".bin", ".npy"), (".npy", ".bin")])
def test_invoke_files(tmp_path: Path, in_kind: str, out_kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    features = np.frombuffer(yes_features(), np.int8).reshape(1, 1960)
    source, target = tmp_path / f"in{in_kind}", tmp_path / f"out{out_kind}"
    if in_kind == ".bin":
        source.write_bytes(features.tobytes())
    else:
        np.save(source, features)
    assert main(["invoke", str(micro_speech()), "--input", str(source), "--output", str(target)]) == 0
    result = np.load(target) if out_kind == ".npy" else np.frombuffer(target.read_bytes(), np.int8).reshape(1, 4)
    assert result.tolist() == [[-128, -128, 127, -128]]
    assert "-128 -128  127 -128" in capsys.readouterr().out


def test_invoke_bin_of_wrong_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(yes_features()[:1000])
    assert main(["invoke", str(micro_speech()), "--input", str(source), "--output", str(tmp_path / "o.npy")]) == 1
    err = capsys.readouterr().err
    assert "has 1000 bytes, input" in err and "needs exactly 1960" in err


def test_invoke_npy_of_wrong_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.npy"
    np.save(source, np.zeros((49, 40), np.int8))
    assert main(["invoke", str(micro_speech()), "--input", str(source), "--output", str(tmp_path / "o.npy")]) == 1
    assert "needs shape (1, 1960), got (49, 40)" in capsys.readouterr().err


def test_invoke_rejects_unknown_extension(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.txt"
    source.write_text("1 2 3")
    assert main(["invoke", str(micro_speech()), "--input", str(source), "--output", str(tmp_path / "o.npy")]) == 1
    assert "must end in .npy" in capsys.readouterr().err
