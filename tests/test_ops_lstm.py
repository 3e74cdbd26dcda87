"""UNIDIRECTIONAL_SEQUENCE_LSTM, float32 and int8 (int16 cell state), byte-equal
to TFLite Micro over many invocations (the hidden and cell states carried
between them), the same on the emulated Cortex-M4 and clean under ASan/UBSan.

Two sources of models: Keras LSTM layers converted the usual way (float32,
full-integer int8), which TensorFlow and tf_keras (installed by tools/bootstrap.sh dev) convert once
per test session in a child process (oplib/keras_lstm.py); and random
single-op models (oplib/lstm_cases.py) for what the converter never makes:
time-major batches, cell clipping that bites, other cell scales, weight
zero points.  Nothing generated is committed.
"""
from __future__ import annotations

import functools
import importlib.util
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from edgesim.errors import ModelError

pytest.importorskip("tflite_micro")
from oplib.keras_lstm import LstmSpec, convert, random_specs  # noqa: E402
from oplib.lstm_cases import lstm_case  # noqa: E402
from oplib.model import pack_model  # noqa: E402
from oplib.sequence_cases import run_steps_edgesim, run_steps_tflm  # noqa: E402
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema  # noqa: E402

MODELS_PER_TYPE = 5
INVOKES = 40  # per Keras model, on one interpreter: the states carry over
RANDOM_CASES = 40  # random single-op models per type, RANDOM_INVOKES invokes each
RANDOM_INVOKES = 6
DTYPES = ("float32", "int8")
SOURCES = ("keras", "random")


@functools.cache
def keras_models(dtype: str) -> tuple[tuple[LstmSpec, bytes], ...]:
    """The converted models of one type, once per session."""
    for module in ("tensorflow", "tf_keras"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} (tools/bootstrap.sh dev installs it) converts the Keras LSTM test models")
    specs = random_specs(np.random.default_rng(20261206 + DTYPES.index(dtype)), MODELS_PER_TYPE, dtype)
    # The first model of each type has batch 2: the batch-major walk over rows.
    specs[0] = LstmSpec(**{**specs[0].__dict__, "batch": 2, "return_sequences": True})
    if dtype == "int8":  # the converter's default int8 model: float I/O around the int8 LSTM
        specs[-1] = LstmSpec(**{**specs[-1].__dict__, "float_io": True})
    with tempfile.TemporaryDirectory(prefix=f"edgesim_lstm_{dtype}_") as out_dir:  # read back, then removed
        return tuple(zip(specs, convert(specs, Path(out_dir))))


def random_inputs(rng: np.random.Generator, spec: LstmSpec, count: int) -> list[np.ndarray]:
    shape = (spec.batch, spec.time_steps, spec.input_size)
    if spec.dtype == "int8" and not spec.float_io:
        return [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(count)]
    # Mostly the trained range, sometimes far beyond it (saturated gates).
    return [(rng.normal(0, 1, shape) * (8.0 if rng.random() < 0.2 else 1.5)).astype(np.float32) for _ in range(count)]


def fused_lstm_count(model: bytes) -> int:
    m = schema.ModelT.InitFromPackedBuf(model, 0)
    codes = [m.operatorCodes[op.opcodeIndex].builtinCode for op in m.subgraphs[0].operators]
    return codes.count(schema.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM)


@pytest.mark.parametrize("dtype", DTYPES)
def test_keras_lstm_equals_tflm(dtype: str) -> None:
    rng = np.random.default_rng(7 + DTYPES.index(dtype))
    failures, compared = [], 0
    for spec, model in keras_models(dtype):
        assert fused_lstm_count(model) == 1, f"{spec.description}: the converter did not fuse the LSTM"
        inputs = random_inputs(rng, spec, INVOKES)
        expected, actual = run_steps_tflm(model, inputs), run_steps_edgesim(model, inputs)
        for step, (e, a) in enumerate(zip(expected, actual)):
            compared += 1
            if e.dtype != a.dtype or e.shape != a.shape or e.tobytes() != a.tobytes():
                failures.append(f"{spec.description}: invoke {step} differs: {a.ravel()[:6]} vs TFLM {e.ravel()[:6]}")
                break
    assert compared == MODELS_PER_TYPE * INVOKES
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_lstm_equals_tflm(dtype: str) -> None:
    rng = np.random.default_rng(31 + DTYPES.index(dtype))
    failures = []
    for _ in range(RANDOM_CASES):
        case = lstm_case(rng, dtype, RANDOM_INVOKES)
        expected, actual = run_steps_tflm(case.model, case.inputs), run_steps_edgesim(case.model, case.inputs)
        for step, (e, a) in enumerate(zip(expected, actual)):
            if e.dtype != a.dtype or e.shape != a.shape or e.tobytes() != a.tobytes():
                failures.append(f"{case.description}: invoke {step} differs: {a.ravel()[:6]} vs TFLM {e.ravel()[:6]}")
                break
    assert not failures, f"{len(failures)} of {RANDOM_CASES} cases differ:\n" + "\n".join(failures[:10])


def _jobs(source: str, seed: int, invokes: int) -> list[tuple[str, bytes, list[np.ndarray]]]:
    """(description, model, one input per invoke) of both types from `source`."""
    rng = np.random.default_rng(seed)
    if source == "keras":
        return [(spec.description, model, random_inputs(rng, spec, invokes))
                for dtype in DTYPES for spec, model in keras_models(dtype)]
    return [(case.description, case.model, case.inputs)
            for dtype in DTYPES for case in (lstm_case(rng, dtype, invokes) for _ in range(8))]


@pytest.mark.parametrize("source", SOURCES)
def test_lstm_on_m4_equals_host(source: str) -> None:
    from m4_model_runner import M4ModelRunner  # skips without unicorn or arm-none-eabi-gcc

    runner = M4ModelRunner()
    for description, model, inputs in _jobs(source, 11, 5):
        expected = b"".join(h.tobytes() for h in run_steps_edgesim(model, inputs))
        actual = runner.run(model, [x.tobytes() for x in inputs])
        assert actual[:len(expected)] == expected, description


@pytest.mark.parametrize("source", SOURCES)
def test_lstm_clean_under_sanitizers(source: str, tmp_path) -> None:
    """tests/c/model_runner.c under ASan/UBSan (exact-size model and arena
    blocks, as tests/test_ops_new_sanitized.py) gives the host's outputs."""
    from native_build import build_harness, kernel_sources, sanitizer_env

    jobs = [(description, model, [x.tobytes() for x in inputs],
             b"".join(h.tobytes() for h in run_steps_edgesim(model, inputs)))
            for description, model, inputs in _jobs(source, 13, 4)]
    exe = build_harness("model_runner", ["tests/c/model_runner.c", *kernel_sources("common", "runtime", "ops", "quant")],
                        sanitize=True, extra_flags=["-DES_RUNNER_MAIN"])
    job_file = tmp_path / "jobs.bin"
    with job_file.open("wb") as f:
        for _, model, steps, _ in jobs:
            data = b"".join(steps)
            f.write(struct.pack("<I", len(model)) + model + struct.pack("<II", len(steps), len(data)) + data)
    result = subprocess.run([str(exe), str(job_file)], capture_output=True, timeout=600, env=sanitizer_env())
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]
    out, pos = result.stdout, 0
    for description, _, _, expected in jobs:
        status, size = struct.unpack_from("<iI", out, pos)
        assert status == 0 and out[pos + 8:pos + 8 + size] == expected, description
        pos += 8 + size
    assert pos == len(out)


def _edited(model: bytes, edit) -> bytes:
    """`model` with edit(model_object, subgraph, lstm_operator) applied."""
    m = schema.ModelT.InitFromPackedBuf(model, 0)
    graph = m.subgraphs[0]
    op = next(o for o in graph.operators
              if m.operatorCodes[o.opcodeIndex].builtinCode == schema.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM)
    edit(m, graph, op)
    return pack_model(m)


def _relu_cell(model, graph, op) -> None:
    op.builtinOptions.fusedActivationFunction = schema.ActivationFunctionType.RELU


def _int16_activations(model, graph, op) -> None:
    for i in (op.inputs[0], op.inputs[18], op.outputs[0]):
        graph.tensors[i].type = schema.TensorType.INT16


def _peephole(model, graph, op) -> None:
    inputs = list(op.inputs)
    inputs[10] = inputs[13]  # a constant of shape [units] where the forget gate's peephole weights go
    op.inputs = inputs


def _hybrid(model, graph, op) -> None:
    """int8 weights under float activations: the converter's dynamic-range
    quantization (TFLM would read the int8 bytes as floats)."""
    for i in op.inputs[1:9]:
        tensor = graph.tensors[i]
        tensor.type = schema.TensorType.INT8
        model.buffers[tensor.buffer].data = np.zeros(int(np.prod(tensor.shape)), np.uint8)
        q = schema.QuantizationParametersT()
        q.scale, q.zeroPoint = [0.01], [0]
        tensor.quantization = q


@pytest.mark.parametrize("dtype,edit,message", [
    ("float32", _hybrid, "UNIDIRECTIONAL_SEQUENCE_LSTM: float32 models need float32 weights and biases"),
    ("float32", _relu_cell, "UNIDIRECTIONAL_SEQUENCE_LSTM: only the tanh cell activation is supported"),
    ("int8", _int16_activations, "UNIDIRECTIONAL_SEQUENCE_LSTM: input must be float32 or int8"),
    ("float32", _peephole, "UNIDIRECTIONAL_SEQUENCE_LSTM: peephole connections are not supported"),
])
def test_unsupported_variant_fails_at_load_naming_it(dtype: str, edit, message: str) -> None:
    from edgesim import Model

    model = _edited(lstm_case(np.random.default_rng(3), dtype).model, edit)
    with pytest.raises(ModelError, match=message):
        Model(model)


def test_lstm_models_truncated_or_mutated_fail_cleanly(tmp_path) -> None:
    """Every prefix and random byte mutations of small LSTM models, float32 and
    int8, load and run or fail with a detail, under ASan/UBSan
    (tests/c/model_harness.c, as tests/test_model_robustness.py)."""
    from native_build import build_harness, kernel_sources
    from test_model_robustness import run_harness

    harness = build_harness("model_harness", ["tests/c/model_harness.c", *kernel_sources("common", "runtime", "ops", "quant")])
    rng = np.random.default_rng(17)
    for dtype in DTYPES:
        path = tmp_path / f"lstm_{dtype}.tflite"
        path.write_bytes(lstm_case(rng, dtype).model)
        counts = run_harness(harness, "truncate", str(path), cwd=tmp_path, timeout=300)
        assert counts["missing_detail"] == 0 and counts["load_errors"] + counts["loaded"] == counts["cases"], dtype
        counts = run_harness(harness, "mutate", str(path), "500", "5", cwd=tmp_path, timeout=300)
        assert counts["missing_detail"] == 0 and counts["bad_plans"] == 0, dtype
        assert counts["loaded"] + counts["load_errors"] == 500, dtype
        assert counts["loaded"] > 0 and counts["invoke_ok"] > 0 and counts["load_errors"] > 0, dtype


def test_profile_counts_lstm_macs(tmp_path, capsys) -> None:
    """`edgesim profile` names the op and counts four gates' input and
    recurrent multiply-accumulates per output value."""
    from edgesim.cli import main

    path = tmp_path / "lstm.tflite"
    path.write_bytes(lstm_case(np.random.default_rng(5), "int8", sizes=(2, 3, 5, 4)).model)
    assert main(["profile", str(path), "--target", "host"]) == 0
    table = capsys.readouterr().out
    row = next(line for line in table.splitlines() if "UNIDIRECTIONAL_SEQUENCE_LSTM" in line)
    assert f"{2 * 3 * 4 * 4 * (5 + 4):,}" in row.split(), row
