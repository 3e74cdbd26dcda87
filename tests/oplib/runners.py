"""Run a model on the oracle (TFLite Micro's reference kernels) or on edgesim.

Usage::

    expected = run_tflm(model_bytes, [x])      # list of output arrays
    actual = run_edgesim(model_bytes, [x])
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def run_tflm(model: bytes, inputs: Sequence[np.ndarray], arena_size: int | None = None) -> list[np.ndarray]:
    """Outputs of `tflite_micro.runtime.Interpreter` (reference kernels)."""
    from tflite_micro import runtime

    Interpreter = runtime.Interpreter

    if arena_size is None:
        arena_size = 2 * len(model) + 4 * sum(int(x.nbytes) for x in inputs) + (1 << 20)
    interpreter = Interpreter.from_bytes(model, arena_size=arena_size)
    for i, x in enumerate(inputs):
        interpreter.set_input(np.ascontiguousarray(x), i)
    interpreter.invoke()
    return [np.array(interpreter.get_output(i), copy=True) for i in range(_output_count(model))]


def _output_count(model: bytes) -> int:
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    return schema.Model.GetRootAsModel(model, 0).Subgraphs(0).OutputsLength()


def run_edgesim(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Outputs of edgesim.Model: the whole path (parser, planner, interpreter, kernels)."""
    from edgesim import Model

    m = Model(model)
    outputs = m.invoke(*inputs) if len(inputs) != 1 else m.invoke(inputs[0])
    if isinstance(outputs, np.ndarray):
        return [outputs]
    return list(outputs)


def bitwise_equal(expected: np.ndarray, actual: np.ndarray) -> bool:
    """Same shape, dtype and bits (floats: the same NaNs and signed zeros)."""
    if expected.shape != actual.shape or expected.dtype != actual.dtype:
        return False
    if expected.dtype.kind == "f":
        kind = f"u{expected.dtype.itemsize}"
        return bool(np.array_equal(np.ascontiguousarray(expected).view(kind), np.ascontiguousarray(actual).view(kind)))
    return bool(np.array_equal(expected, actual))


def mismatch(model: bytes, inputs: Sequence[np.ndarray], description: str = "") -> str | None:
    """None when edgesim reproduces TFLM exactly (or both reject the model),
    else a one-line explanation for the test report."""
    from edgesim.errors import ModelError

    try:
        expected = run_tflm(model, inputs)
    except RuntimeError:
        expected = None  # TFLM rejected the model at prepare time
    try:
        actual = run_edgesim(model, inputs)
    except ModelError as e:
        return None if expected is None else f"{description}: edgesim rejected it: {e}"
    if expected is None:
        return f"{description}: TFLM rejects this model but edgesim ran it"
    for i, (e, a) in enumerate(zip(expected, actual)):
        if e.shape != a.shape or e.dtype != a.dtype:
            return f"{description}: output {i} is {a.dtype}{a.shape}, TFLM gives {e.dtype}{e.shape}"
        if e.dtype.kind == "f":
            # Bit-identical floats: equal values, the same NaNs and signed zeros.
            kind = f"u{e.dtype.itemsize}"
            differ = np.ascontiguousarray(e).view(kind) != np.ascontiguousarray(a).view(kind)
            if differ.any():
                first = int(np.flatnonzero(differ)[0])
                return (f"{description}: output {i} differs in {int(differ.sum())} of {differ.size} values "
                        f"(first at {first}: {a.ravel()[first]!r}, TFLM {e.ravel()[first]!r})")
        elif not np.array_equal(e, a):
            diff = np.abs(e.astype(np.int64) - a.astype(np.int64))
            return f"{description}: output {i} differs in {int((diff > 0).sum())} of {diff.size} values (max {diff.max()})"
    return None


def assert_random_cases_equal_tflm(op: str, seed: int, count: int) -> None:
    """Run `count` random single-op models of `op` (oplib.cases.CASES) on both runtimes; assert equal outputs.

    The seed fixes the cases, so a failure is reproducible; the message lists the first ten that differ.
    """
    from oplib.cases import CASES

    rng = np.random.default_rng(seed)
    failures = [f for f in (mismatch(c.model, c.inputs, c.description) for c in (CASES[op](rng) for _ in range(count)))
                if f]
    assert not failures, f"{len(failures)} of {count} cases differ:\n" + "\n".join(failures[:10])
