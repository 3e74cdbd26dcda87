"""Every kind of bad model or bad input gives a ModelError that names the problem.

Bad models are made by editing a shared model with the flatbuffers object API
of the schema module shipped in tflite-micro, then repacking it.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pytest
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

import edgesim
from conftest import shared_path
from edgesim.errors import ModelError


def micro_speech_bytes() -> bytes:
    return shared_path("models", "micro_speech_quantized.tflite").read_bytes()


def edited(data: bytes, edit: Callable[[schema.ModelT], None]) -> bytes:
    """The model `data` after `edit` changed its object tree, repacked."""
    import flatbuffers

    model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    edit(model)
    builder = flatbuffers.Builder(len(data) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def op_code(model: schema.ModelT, name: str) -> schema.OperatorCodeT:
    code = getattr(schema.BuiltinOperator, name)
    return next(c for c in model.operatorCodes if max(c.builtinCode, c.deprecatedBuiltinCode) == code)


def load_error(data: bytes) -> str:
    with pytest.raises(ModelError) as info:
        edgesim.Model(data, name="bad.tflite")
    return str(info.value)


def test_repacked_model_still_loads() -> None:
    """The editing route itself does not break the model (so the errors below are the edits')."""
    model = edgesim.Model(edited(micro_speech_bytes(), lambda m: None))
    assert model.ops == edgesim.Model(micro_speech_bytes()).ops


def test_unsupported_custom_op_is_named() -> None:
    message = load_error(shared_path("models", "audio_preprocessor_int8.tflite").read_bytes())
    assert "bad.tflite" in message
    assert "unsupported op CUSTOM 'SignalWindow'" in message


def test_unsupported_builtin_op_is_named_with_version() -> None:
    def to_lsh(m: schema.ModelT) -> None:  # an op outside the TFLM set edgesim implements
        code = op_code(m, "SOFTMAX")
        code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.LSH_PROJECTION
        code.version = 3
    assert "operator 3: unsupported op LSH_PROJECTION version 3" in load_error(edited(micro_speech_bytes(), to_lsh))


def test_op_version_above_kernel_is_refused() -> None:
    def bump(m: schema.ModelT) -> None:
        op_code(m, "FULLY_CONNECTED").version = 99
    message = load_error(edited(micro_speech_bytes(), bump))
    assert "FULLY_CONNECTED version 99 not supported (max" in message


def test_builtin_code_is_the_larger_of_both_fields() -> None:
    """Schema 3.x writers fill builtin_code; old ones only the int8 field: TFLM takes the max."""
    def old_style(m: schema.ModelT) -> None:
        for code in m.operatorCodes:
            code.deprecatedBuiltinCode, code.builtinCode = max(code.builtinCode, code.deprecatedBuiltinCode), 0
    assert edgesim.Model(edited(micro_speech_bytes(), old_style)).ops == edgesim.Model(micro_speech_bytes()).ops


def test_bad_identifier() -> None:
    data = bytearray(micro_speech_bytes())
    data[4:8] = b"ABCD"
    assert "file identifier is 'ABCD', expected 'TFL3'" in load_error(bytes(data))


@pytest.mark.parametrize("length", [0, 7, 8, 100, 1000, 18000])
def test_truncated(length: int) -> None:
    message = load_error(micro_speech_bytes()[:length])
    assert "truncated" in message or "malformed flatbuffer" in message


def test_buffer_smaller_than_shape() -> None:
    def shrink(m: schema.ModelT) -> None:
        buffer = next(b for b in m.buffers if b.data is not None and len(b.data) > 100)
        buffer.data = buffer.data[:-5]
    message = load_error(edited(micro_speech_bytes(), shrink))
    assert "bytes, shape needs" in message and "tensor" in message and "buffer" in message


def test_schema_version_other_than_3() -> None:
    def version_2(m: schema.ModelT) -> None:
        m.version = 2
    assert "schema version 2 not supported (expected 3)" in load_error(edited(micro_speech_bytes(), version_2))


def test_tensor_index_out_of_range() -> None:
    def bad_index(m: schema.ModelT) -> None:
        m.subgraphs[0].operators[1].inputs[0] = 500
    assert "tensor index 500 out of range" in load_error(edited(micro_speech_bytes(), bad_index))


def test_invalid_scale() -> None:
    def negative(m: schema.ModelT) -> None:
        m.subgraphs[0].tensors[m.subgraphs[0].inputs[0]].quantization.scale = [-1.0]
    assert "scale 0 is not a positive finite number" in load_error(edited(micro_speech_bytes(), negative))


def test_output_written_twice() -> None:
    def twice(m: schema.ModelT) -> None:
        ops = m.subgraphs[0].operators
        ops[3].outputs = list(ops[1].outputs)
    assert "already written by another operator" in load_error(edited(micro_speech_bytes(), twice))


def test_operator_reading_its_own_output() -> None:
    def self_loop(m: schema.ModelT) -> None:
        ops = m.subgraphs[0].operators
        ops[3].inputs = list(ops[3].outputs)
    assert "is both an input and an output" in load_error(edited(micro_speech_bytes(), self_loop))


def test_float_op_with_an_int8_output_gets_a_clear_kernel_error() -> None:
    def int8_output(model: schema.ModelT) -> None:
        graph = model.subgraphs[0]
        graph.tensors[graph.operators[0].outputs[0]].type = schema.TensorType.INT8

    message = load_error(edited(shared_path("models", "magic_wand_legacy_accel.tflite").read_bytes(), int8_output))
    assert "operator 0" in message and "float32 input needs float32 filter" in message


def test_missing_file() -> None:
    with pytest.raises(ModelError, match="cannot read model file"):
        edgesim.Model("/nonexistent/model.tflite")


def test_input_shape_and_dtype_checks() -> None:
    model = edgesim.Model(micro_speech_bytes())
    with pytest.raises(ModelError, match=r"needs shape \(1, 1960\), got \(1960,\)"):
        model.invoke(np.zeros(1960, np.int8))
    with pytest.raises(ModelError, match="do not fit"):
        model.invoke(np.full((1, 1960), 300, np.int32))
    with pytest.raises(ModelError, match="do not fit"):
        model.invoke(np.full((1, 1960), 0.5))
    with pytest.raises(ModelError, match="input"):
        model.invoke()
    # Lossless conversions are accepted and give the same answer.
    x = np.random.default_rng(0).integers(-128, 128, (1, 1960))
    np.testing.assert_array_equal(model.invoke(x), model.invoke(x.astype(np.int8)))
    np.testing.assert_array_equal(model.invoke(x.tolist()), model.invoke(x.astype(np.int8)))


def test_options_of_the_wrong_type() -> None:
    def pool_options(m: schema.ModelT) -> None:
        op = m.subgraphs[0].operators[1]  # DEPTHWISE_CONV_2D
        op.builtinOptionsType = schema.BuiltinOptions.Pool2DOptions
        op.builtinOptions = schema.Pool2DOptionsT()
    message = load_error(edited(micro_speech_bytes(), pool_options))
    assert "operator 1 (DEPTHWISE_CONV_2D): builtin options of type 5, expected type 2" in message
