"""Run the op kernels of a single-op model through tests/c/op_harness.c.

The harness binds tensors straight to one kernel, bypassing the parser and
planner, so a sanitizer build (ASan + UBSan) checks every kernel read and
write against the exact extent of each tensor.  Cases are batched into one
process run.

Usage::

    results = run_harness([(model_bytes, [x]), ...])   # sanitizer build
    for r in results:
        r.status, r.detail, r.outputs, r.persistent_bytes, r.scratch_bytes
"""
from __future__ import annotations

import struct
import subprocess
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from native_build import build_harness, kernel_sources, sanitizer_env

_OP_NAMES = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
_ITEM_SIZE = {schema.TensorType.INT8: 1, schema.TensorType.UINT8: 1, schema.TensorType.INT16: 2,
              schema.TensorType.INT32: 4, schema.TensorType.FLOAT32: 4, schema.TensorType.INT64: 8,
              schema.TensorType.BOOL: 1}


@dataclass
class HarnessResult:
    status: int
    detail: str
    outputs: list[np.ndarray]
    persistent_bytes: int
    scratch_bytes: int


def harness_executable(sanitize: bool = True, mcu_loops: bool = False) -> str:
    """mcu_loops: compile the kernels' microcontroller loop orders
    (ES_OPS_FORCE_MCU_LOOPS) so the host tests them too."""
    sources = ["tests/c/op_harness.c", *kernel_sources("common", "ops", "quant")]
    name = "op_harness" + ("" if sanitize else "_fast") + ("_mcu" if mcu_loops else "")
    flags = ["-DES_OPS_FORCE_MCU_LOOPS"] if mcu_loops else []
    return str(build_harness(name, sources, sanitize=sanitize, extra_flags=flags))


def _tensor_record(t: schema.TensorT, data: bytes, constant: bool) -> bytes:
    shape = [] if t.shape is None else [int(d) for d in t.shape]
    q = t.quantization
    scales = [] if q is None or q.scale is None else [float(s) for s in q.scale]
    zps = [] if q is None or q.zeroPoint is None else [int(z) for z in q.zeroPoint]
    count = len(scales)
    rec = struct.pack("<BB", t.type, len(shape)) + struct.pack(f"<{len(shape)}i", *shape)
    rec += struct.pack("<B", int(constant))
    rec += struct.pack("<fiii", scales[0] if scales else 0.0, zps[0] if zps else 0, count,
                       q.quantizedDimension if q is not None else 0)
    per_channel = scales if count > 1 else []
    rec += struct.pack("<I", len(per_channel)) + struct.pack(f"<{len(per_channel)}f", *per_channel)
    return rec + struct.pack("<I", len(data)) + data


def _options_record(options: object | None) -> bytes:
    """Options as (field id, kind, value): the object API assigns its fields in
    schema order, so a field's id is its position in vars()."""
    if options is None:
        return struct.pack("<B", 0)
    entries = []
    for field_id, value in enumerate(vars(options).values()):
        if value is None:
            continue
        if isinstance(value, (bool, int, np.integer)):
            entries.append(struct.pack("<BBi", field_id, 0, int(value)))
        elif isinstance(value, (float, np.floating)):
            entries.append(struct.pack("<BBf", field_id, 1, float(value)))
        else:
            vec = [int(v) for v in value]
            entries.append(struct.pack(f"<BBI{len(vec)}i", field_id, 2, len(vec), *vec))
    return struct.pack("<B", len(entries)) + b"".join(entries)


def encode_case(model: bytes, inputs: Sequence[np.ndarray], alias_output: bool = False) -> tuple[bytes, list[int]]:
    """The harness record of the model's only operator, and its output sizes."""
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    g = m.subgraphs[0]
    op = g.operators[0]
    code = m.operatorCodes[op.opcodeIndex]
    name = _OP_NAMES[max(code.builtinCode, code.deprecatedBuiltinCode)].encode()
    graph_inputs = {int(i): x for i, x in zip(g.inputs, inputs)}
    rec = struct.pack("<IB", 0x45534143, len(name)) + name + struct.pack("<i", code.version)
    rec += struct.pack("<B", len(op.inputs))
    for index in op.inputs:
        if index < 0:
            rec += struct.pack("<B", 0)
            continue
        t = g.tensors[index]
        buf = m.buffers[t.buffer].data if t.buffer < len(m.buffers) else None
        constant = buf is not None and len(buf) > 0
        data = bytes(np.asarray(buf, dtype=np.uint8)) if constant else np.ascontiguousarray(graph_inputs[int(index)]).tobytes()
        rec += struct.pack("<B", 1) + _tensor_record(t, data, constant)
    rec += struct.pack("<B", len(op.outputs))
    sizes = []
    for index in op.outputs:
        t = g.tensors[index]
        size = int(np.prod(t.shape)) * _ITEM_SIZE[t.type]
        sizes.append(size)
        rec += _tensor_record(t, b"\xa5" * size, False)
    rec += struct.pack("<B", int(alias_output))
    return rec + _options_record(op.builtinOptions), sizes


def run_harness(cases: Sequence[tuple[bytes, Sequence[np.ndarray]]], sanitize: bool = True,
                alias_output: bool = False, mcu_loops: bool = False, timeout: float = 300) -> list[HarnessResult]:
    exe = harness_executable(sanitize, mcu_loops)
    blobs, shapes = [], []
    for model, inputs in cases:
        blob, _ = encode_case(model, inputs, alias_output)
        blobs.append(blob)
        m = schema.Model.GetRootAsModel(model, 0)
        g = m.Subgraphs(0)
        op = g.Operators(0)
        shapes.append([(tuple(g.Tensors(op.Outputs(i)).ShapeAsNumpy()), g.Tensors(op.Outputs(i)).Type())
                       for i in range(op.OutputsLength())])
    proc = subprocess.run([exe], input=b"".join(blobs), capture_output=True, timeout=timeout,
                          env=sanitizer_env())
    if proc.returncode != 0:
        raise AssertionError(f"op harness failed (exit {proc.returncode}):\n{proc.stderr.decode(errors='replace')[-4000:]}")
    out, pos, results = proc.stdout, 0, []
    dtypes = {schema.TensorType.INT8: np.int8, schema.TensorType.INT32: np.int32, schema.TensorType.INT16: np.int16,
              schema.TensorType.UINT8: np.uint8, schema.TensorType.FLOAT32: np.float32}
    for case_shapes in shapes:
        status, detail_len = struct.unpack_from("<iH", out, pos)
        pos += 6
        detail = out[pos:pos + detail_len].decode()
        pos += detail_len
        persistent, scratch = struct.unpack_from("<II", out, pos)
        pos += 8
        outputs = []
        for shape, ttype in case_shapes:
            (n,) = struct.unpack_from("<I", out, pos)
            pos += 4
            outputs.append(np.frombuffer(out[pos:pos + n], dtype=dtypes[ttype]).reshape(shape))
            pos += n
        results.append(HarnessResult(status, detail, outputs, persistent, scratch))
    return results
