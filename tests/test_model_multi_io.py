"""Models with several inputs and outputs, float or int8 I/O: edgesim.Model,
`edgesim invoke` (one file per tensor or one .npz) and `edgesim info`.

The test model is built here (two operators sharing two float inputs:
ADD -> output 0, MUL -> output 1) and checked against TFLite Micro.
"""
from __future__ import annotations

from pathlib import Path

import flatbuffers
import numpy as np
import pytest
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

import edgesim
from edgesim.cli import main
from oplib import binary_options, bitwise_equal, run_tflm

pytest.importorskip("tflite_micro")
SHAPE = (2, 3)


def two_in_two_out_model() -> bytes:
    model = schema.ModelT()
    model.version = 3
    model.buffers = [schema.BufferT()]
    codes = []
    for op in ("ADD", "MUL"):
        code = schema.OperatorCodeT()
        code.builtinCode = code.deprecatedBuiltinCode = getattr(schema.BuiltinOperator, op)
        code.version = 1
        codes.append(code)
    model.operatorCodes = codes
    graph = schema.SubGraphT()
    graph.tensors = []
    for name in ("a", "b", "sum", "product"):
        t = schema.TensorT()
        t.shape, t.type, t.name, t.buffer = list(SHAPE), schema.TensorType.FLOAT32, name, 0
        graph.tensors.append(t)
    graph.inputs, graph.outputs = [0, 1], [2, 3]
    graph.operators = []
    for index, (op, options_type) in enumerate((("ADD", schema.BuiltinOptions.AddOptions),
                                                ("MUL", schema.BuiltinOptions.MulOptions))):
        operator = schema.OperatorT()
        operator.opcodeIndex, operator.inputs, operator.outputs = index, [0, 1], [2 + index]
        operator.builtinOptionsType, operator.builtinOptions = options_type, binary_options(op)
        graph.operators.append(operator)
    model.subgraphs = [graph]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def test_model_with_two_float_inputs_and_outputs_equals_tflm() -> None:
    data = two_in_two_out_model()
    model = edgesim.Model(data)
    assert [t.name for t in model.inputs] == ["a", "b"] and [t.name for t in model.outputs] == ["sum", "product"]
    assert all(t.dtype == np.float32 for t in model.inputs + model.outputs)
    rng = np.random.default_rng(1)
    a, b = (rng.normal(0, 3, SHAPE).astype(np.float32) for _ in range(2))
    actual = model.invoke(a, b)
    expected = run_tflm(data, [a, b])
    assert len(actual) == 2 and all(bitwise_equal(e, x) for e, x in zip(expected, actual))


def test_cli_invoke_with_several_inputs_and_an_npz_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_path = tmp_path / "two.tflite"
    model_path.write_bytes(two_in_two_out_model())
    a = np.arange(6, dtype=np.float32).reshape(SHAPE)
    b = np.full(SHAPE, 0.5, np.float32)
    np.save(tmp_path / "a.npy", a)
    (tmp_path / "b.bin").write_bytes(b.tobytes())
    out = tmp_path / "out.npz"
    assert main(["invoke", str(model_path), "--input", str(tmp_path / "a.npy"), "--input", str(tmp_path / "b.bin"),
                 "--output", str(out)]) == 0
    with np.load(out) as results:
        np.testing.assert_array_equal(results["sum"], a + b)
        np.testing.assert_array_equal(results["product"], a * b)
    assert "sum [2, 3] float32" in capsys.readouterr().out

    # One .npz for the inputs (by tensor name) and one file per output.
    np.savez(tmp_path / "in.npz", b=b, a=a)
    assert main(["invoke", str(model_path), "--input", str(tmp_path / "in.npz"),
                 "--output", str(tmp_path / "s.npy"), "--output", str(tmp_path / "p.bin")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "s.npy"), a + b)
    np.testing.assert_array_equal(np.frombuffer((tmp_path / "p.bin").read_bytes(), np.float32).reshape(SHAPE), a * b)


def test_cli_invoke_names_a_missing_npz_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_path = tmp_path / "two.tflite"
    model_path.write_bytes(two_in_two_out_model())
    np.savez(tmp_path / "in.npz", a=np.zeros(SHAPE, np.float32))
    assert main(["invoke", str(model_path), "--input", str(tmp_path / "in.npz"), "--output",
                 str(tmp_path / "o.npz")]) != 0
    assert "no array for input 1 'b'" in capsys.readouterr().err


def test_cli_info_lists_every_input_and_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_path = tmp_path / "two.tflite"
    model_path.write_bytes(two_in_two_out_model())
    assert main(["info", str(model_path)]) == 0
    out = capsys.readouterr().out
    for line in ("a [2, 3] float32 not quantized", "b [2, 3] float32", "sum [2, 3] float32",
                 "product [2, 3] float32", "ADD x1", "MUL x1"):
        assert line in out
