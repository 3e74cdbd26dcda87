"""Hostile models: the runtime never crashes, hangs or reads outside its buffers.

tests/c/model_harness.c is built with ASan + UBSan (-fno-sanitize-recover) and
run on every truncated prefix and on 10,000 random byte mutations of each
shared model: each case must load and run, or fail with a status and a detail
line.  Arenas are malloc'ed at exactly the size the runtime asks for, so the
planner's arithmetic is checked too.  The libFuzzer target
tests/fuzz/fuzz_model.c runs for 20 s, seeded with the shared models.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from native_build import build_harness, kernel_sources, sanitizer_env

MODELS = ["micro_speech_quantized", "person_detect", "magic_wand"]
MUTATIONS = 10_000
RUNTIME_SOURCES = ("common", "runtime", "ops", "quant")


@pytest.fixture(scope="module")
def harness() -> Path:
    return build_harness("model_harness", ["tests/c/model_harness.c", *kernel_sources(*RUNTIME_SOURCES)])


def run_harness(harness: Path, *args: str, cwd: Path, timeout: float) -> dict[str, int]:
    result = subprocess.run([str(harness), *args], capture_output=True, text=True, timeout=timeout,
                            env=sanitizer_env(), cwd=cwd)
    assert result.returncode == 0, f"model_harness {' '.join(args)} failed ({result.returncode}):\n" \
                                   f"{result.stdout}\n{result.stderr[-4000:]}"
    summary = result.stdout.strip().splitlines()[-1]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", summary)}


@pytest.mark.parametrize("name", MODELS)
def test_every_truncated_prefix_fails_cleanly(harness: Path, name: str, tmp_path: Path) -> None:
    model = shared_path("models", f"{name}.tflite")
    counts = run_harness(harness, "truncate", str(model), cwd=tmp_path, timeout=600)
    assert counts["cases"] == model.stat().st_size
    assert counts["missing_detail"] == 0
    # A prefix of a TFLite file cuts off data the root table points at.
    assert counts["load_errors"] + counts["loaded"] == counts["cases"]


@pytest.mark.parametrize("name", MODELS)
def test_random_mutations_load_and_run_or_fail_cleanly(harness: Path, name: str, tmp_path: Path) -> None:
    model = shared_path("models", f"{name}.tflite")
    counts = run_harness(harness, "mutate", str(model), str(MUTATIONS), "1", cwd=tmp_path, timeout=900)
    assert counts["cases"] == MUTATIONS
    assert counts["missing_detail"] == 0 and counts["bad_plans"] == 0
    assert counts["loaded"] + counts["load_errors"] == MUTATIONS
    # Both paths were exercised: some mutants load and run, many are rejected.
    assert counts["loaded"] > 0 and counts["invoke_ok"] > 0 and counts["load_errors"] > 0


@pytest.mark.parametrize("name", MODELS)
def test_arena_too_small_is_reported_with_the_size_needed(harness: Path, name: str, tmp_path: Path) -> None:
    model = shared_path("models", f"{name}.tflite")
    result = subprocess.run([str(harness), "arena", str(model)], capture_output=True, text=True, timeout=120,
                            env=sanitizer_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "arena too small" in result.stdout
    assert "failures=0" in result.stdout
    # The greedy plan is within 2% of the bytes alive at the busiest node.
    plan = {k: int(v) for k, v in re.findall(r"(activations|lower_bound)=(\d+)", result.stdout)}
    assert plan["lower_bound"] <= plan["activations"] <= plan["lower_bound"] * 1.02, plan


@pytest.mark.parametrize("name", MODELS)
def test_unaligned_model_buffer_gives_identical_output(harness: Path, name: str, tmp_path: Path) -> None:
    import edgesim

    model = edgesim.Model(shared_path("models", f"{name}.tflite"))
    info = model.inputs[0]
    x = np.random.default_rng(7).integers(-128, 128, size=info.shape, dtype=np.int8)
    (tmp_path / "in.bin").write_bytes(x.tobytes())
    subprocess.run([str(harness), "run", str(shared_path("models", f"{name}.tflite")), "in.bin", "out.bin"],
                   check=True, capture_output=True, timeout=120, env=sanitizer_env(), cwd=tmp_path)
    out = np.frombuffer((tmp_path / "out.bin").read_bytes(), np.int8).reshape(model.outputs[0].shape)
    np.testing.assert_array_equal(out, model.invoke(x))


def test_libfuzzer_target_runs_clean(tmp_path: Path) -> None:
    # Seeds: the shared models plus the ToyCar autoencoder (QUANTIZE, DEQUANTIZE).
    models = [shared_path("models", f"{name}.tflite") for name in [*MODELS, NEW_OP_MODELS[0]]]
    fuzzer = build_harness("fuzz_model", ["tests/fuzz/fuzz_model.c", *kernel_sources(*RUNTIME_SOURCES)], fuzzer=True)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for model in models:  # seeds are copied at test time, never committed
        shutil.copy(model, corpus / model.name)
    result = subprocess.run([str(fuzzer), "-max_total_time=20", "-timeout=10", "-rss_limit_mb=2048",
                             "-max_len=400000", str(corpus)],
                            capture_output=True, text=True, timeout=180, env=sanitizer_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Done" in result.stderr


# Models with the elementwise and QUANTIZE/DEQUANTIZE kernels: the MLPerf Tiny
# ResNet-8 (ADD) and ToyCar autoencoder (float I/O), and single-op models of
# every new op written at test time (never committed).
NEW_OP_MODELS = ["mlperf_tiny/model_ToyCar_quant_fullint_micro", "mlperf_tiny/pretrainedResnet_quant"]


@pytest.mark.parametrize("name", NEW_OP_MODELS)
def test_new_op_models_truncated_or_mutated_fail_cleanly(harness: Path, name: str, tmp_path: Path) -> None:
    model = shared_path("models", f"{name}.tflite")
    step = max(1, model.stat().st_size // 4000)  # ~4,000 prefixes spread over the whole file
    counts = run_harness(harness, "truncate", str(model), str(step), cwd=tmp_path, timeout=600)
    assert counts["missing_detail"] == 0 and counts["load_errors"] + counts["loaded"] == counts["cases"]
    if "ToyCar" in name:  # cheap to invoke: every mutant that loads also runs
        counts = run_harness(harness, "mutate", str(model), "2000", "3", cwd=tmp_path, timeout=600)
        assert counts["missing_detail"] == 0 and counts["bad_plans"] == 0
        assert counts["loaded"] > 0 and counts["invoke_ok"] > 0 and counts["load_errors"] > 0


def test_elementwise_single_op_models_survive_truncation_and_mutation(harness: Path, tmp_path: Path) -> None:
    from oplib.cases import CASES

    rng = np.random.default_rng(11)
    ops = [f"{op}{suffix}" for op in ("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE")
           for suffix in ("", "/float32")] + ["QUANTIZE", "DEQUANTIZE"]
    for op in ops:
        path = tmp_path / f"{op.replace('/', '_')}.tflite"
        path.write_bytes(CASES[op](rng).model)
        counts = run_harness(harness, "truncate", str(path), cwd=tmp_path, timeout=300)
        assert counts["missing_detail"] == 0 and counts["load_errors"] + counts["loaded"] == counts["cases"], op
        counts = run_harness(harness, "mutate", str(path), "300", "5", cwd=tmp_path, timeout=300)
        assert counts["missing_detail"] == 0 and counts["bad_plans"] == 0, op
        assert counts["loaded"] + counts["load_errors"] == 300, op
