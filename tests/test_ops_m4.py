"""The same single-op cases and MLPerf Tiny models on the emulated Cortex-M4
give exactly the host's outputs (floats bit for bit).

The M4 side is tests/m4_model_runner.py (the runtime and op kernels built
with the firmware's flags, run under unicorn's Cortex-M4); the host side is
edgesim.Model, itself checked against TFLM by tests/test_ops_*.py and
tests/test_mlperf_tiny.py.
"""
from __future__ import annotations

import numpy as np
import pytest

import edgesim
from conftest import shared_path
from m4_model_runner import M4ModelRunner
from oplib import bitwise_equal
from oplib.cases import CASES

CASES_PER_OP = 6


@pytest.fixture(scope="module")
def m4() -> M4ModelRunner:
    return M4ModelRunner()


def run_m4(m4: M4ModelRunner, model: bytes, inputs: list[np.ndarray],
           outputs: list[edgesim.TensorInfo]) -> list[np.ndarray]:
    """One inference on the M4, its outputs shaped as the host model's."""
    raw = m4.run(model, [b"".join(np.ascontiguousarray(x).tobytes() for x in inputs)])
    results, pos = [], 0
    for o in outputs:
        n = int(np.prod(o.shape)) * o.dtype.itemsize
        results.append(np.frombuffer(raw[pos:pos + n], o.dtype).reshape(o.shape))
        pos += n
    return results


def test_single_op_cases_equal_the_host(m4: M4ModelRunner) -> None:
    rng = np.random.default_rng(4)
    failures = []
    for op in CASES:
        for _ in range(CASES_PER_OP):
            case = CASES[op](rng)
            try:
                model = edgesim.Model(case.model)
            except edgesim.ModelError:
                continue  # rejected on the host: nothing to compare
            host = model.invoke(*case.inputs)
            host = [host] if isinstance(host, np.ndarray) else host
            device = run_m4(m4, case.model, case.inputs, model.outputs)
            if not all(bitwise_equal(h, d) for h, d in zip(host, device)):
                failures.append(case.description)
    assert not failures, f"{len(failures)} cases differ between host and M4:\n" + "\n".join(failures[:10])


@pytest.mark.parametrize("name", ["kws_ref_model.tflite", "pretrainedResnet_quant.tflite", "ad01_int8.tflite",
                                  "model_ToyCar_quant_fullint_micro.tflite", "str_ww_ref_model.tflite",
                                  "vww_96_int8.tflite"])
def test_mlperf_tiny_models_equal_the_host(m4: M4ModelRunner, name: str) -> None:
    data = shared_path("models", "mlperf_tiny", name).read_bytes()
    model = edgesim.Model(data)
    rng = np.random.default_rng(5)
    for _ in range(3):
        inputs = [rng.normal(0, 2, i.shape).astype(np.float32) if i.dtype == np.float32
                  else rng.integers(-128, 128, i.shape).astype(i.dtype) for i in model.inputs]
        host = model.invoke(*inputs)
        host = [host] if isinstance(host, np.ndarray) else host
        device = run_m4(m4, data, inputs, model.outputs)
        assert all(bitwise_equal(h, d) for h, d in zip(host, device)), name
