"""Bit-exact comparison of edgesim with an oracle, for any output dtype.

TFLite Micro is the oracle; for the few ops it lacks (RELU_N1_TO_1) TFLite's
own reference kernels (ai-edge-litert with the BUILTIN_REF resolver) are.
Float outputs are compared as bytes, so -0.0 differs from 0.0 as it should.

Usage::

    assert_cases_equal([case, ...])            # TFLM
    assert_cases_equal(cases, oracle=run_litert_reference)
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from oplib.runners import run_edgesim, run_tflm


def run_litert_reference(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Outputs of TFLite's reference kernels (RuntimeError when it rejects the model)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    try:
        interpreter = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
        interpreter.allocate_tensors()
    except ValueError as e:
        raise RuntimeError(str(e)) from e
    for detail, x in zip(interpreter.get_input_details(), inputs):
        interpreter.set_tensor(detail["index"], np.ascontiguousarray(x))
    interpreter.invoke()
    return [np.array(interpreter.get_tensor(d["index"]), copy=True) for d in interpreter.get_output_details()]


def bytes_mismatch(model: bytes, inputs: Sequence[np.ndarray], description: str,
                   oracle: Callable[[bytes, Sequence[np.ndarray]], list[np.ndarray]] = run_tflm) -> str | None:
    """None when edgesim's outputs equal the oracle's byte for byte (or both reject the model)."""
    from edgesim.errors import ModelError

    try:
        expected = oracle(model, inputs)
    except RuntimeError:
        expected = None
    try:
        actual = run_edgesim(model, inputs)
    except ModelError as e:
        return None if expected is None else f"{description}: edgesim rejected it: {e}"
    if expected is None:
        return f"{description}: the oracle rejects this model but edgesim ran it"
    if len(expected) != len(actual):
        return f"{description}: {len(actual)} outputs, the oracle gives {len(expected)}"
    for i, (e, a) in enumerate(zip(expected, actual)):
        if e.shape != a.shape or e.dtype != a.dtype:
            return f"{description}: output {i} is {a.dtype}{a.shape}, the oracle gives {e.dtype}{e.shape}"
        if e.size == 0:
            continue
        differ = e.reshape(-1).view(np.uint8).reshape(e.size, -1) != a.reshape(-1).view(np.uint8).reshape(a.size, -1)
        count = int(differ.any(axis=1).sum())
        if count:
            first = int(np.flatnonzero(differ.any(axis=1))[0])
            return (f"{description}: output {i} differs in {count} of {e.size} values "
                    f"(first at {first}: {a.reshape(-1)[first]!r}, oracle {e.reshape(-1)[first]!r})")
    return None


def assert_cases_equal(cases: Sequence, oracle: Callable = run_tflm) -> None:
    """Every case (oplib.cases.Case) equal to the oracle; the message lists the first ten that are not."""
    failures = [f for f in (bytes_mismatch(c.model, c.inputs, c.description, oracle) for c in cases) if f]
    assert not failures, f"{len(failures)} of {len(cases)} cases differ:\n" + "\n".join(failures[:10])
