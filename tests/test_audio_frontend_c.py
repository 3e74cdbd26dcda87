"""kernels/dsp/audio in C: sanitizer harness, reference clips, libFuzzer, cross-compile."""
from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import pytest

from conftest import REPO_ROOT, shared_path
from native_build import build_harness, kernel_sources, require_compiler, sanitizer_env

CLIPS_1S = ["yes_1000ms", "no_1000ms", "silence_1000ms", "noise_1000ms"]
STRICT_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2"]
M4_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]


def harness() -> Path:
    return build_harness("test_audio", ["tests/c/test_audio.c", *kernel_sources("dsp/audio")])


def test_audio_kernels_pass_the_c_harness_under_sanitizers() -> None:
    result = subprocess.run([harness()], capture_output=True, text=True, timeout=120, env=sanitizer_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok audio"


@pytest.mark.parametrize("clip", CLIPS_1S)
def test_c_front_end_reproduces_the_feature_files(clip: str, tmp_path: Path) -> None:
    with wave.open(str(shared_path("testdata", "micro_speech", f"{clip}.wav"))) as w:
        pcm = w.readframes(w.getnframes())
    raw = tmp_path / f"{clip}.raw"
    raw.write_bytes(pcm)
    expected = shared_path("testdata", "micro_speech", "features", f"{clip}.features.int8")
    result = subprocess.run([harness(), raw, expected], capture_output=True, text=True, timeout=60,
                            env=sanitizer_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok audio"


def test_audio_fuzzer_runs_clean_for_a_bounded_time(tmp_path: Path) -> None:
    require_compiler("clang-14", "clang")
    fuzzer = build_harness("fuzz_audio", ["tests/fuzz/fuzz_audio.c", *kernel_sources("dsp/audio")], fuzzer=True)
    result = subprocess.run([fuzzer, "-max_total_time=20", "-max_len=8192", "-timeout=10"],
                            capture_output=True, text=True, timeout=180, env=sanitizer_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Done" in result.stderr


@pytest.mark.parametrize("compiler, flags", [("gcc", STRICT_FLAGS), ("arm-none-eabi-gcc", STRICT_FLAGS + M4_FLAGS)])
def test_audio_kernels_compile_warning_free(compiler: str, flags: list[str], tmp_path: Path) -> None:
    cc = require_compiler(compiler)
    include = REPO_ROOT / "edgesim" / "kernels" / "include"
    for source in kernel_sources("dsp/audio"):
        cmd = [cc, *flags, f"-I{include}", "-c", str(source), "-o", str(tmp_path / (source.stem + ".o"))]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0 and not result.stderr, f"{' '.join(cmd)}\n{result.stderr}"
