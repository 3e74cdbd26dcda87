"""The new op kernels under ASan + UBSan, through the whole runtime.

tests/c/model_runner.c (built with -DES_RUNNER_MAIN) runs every case with
the model in a heap block of its exact size and an arena of exactly the size
the plan needs, so a read past a constant or past the arena, a misaligned
access or a signed overflow aborts the run; the outputs must equal edgesim's
on the host (which the other test_ops_* files check against TFLite Micro).
Cases of every family, int8 and float32, and SVDF over several steps, go
through one process.
"""
from __future__ import annotations

import struct
import subprocess

import numpy as np
import pytest

from edgesim.errors import ModelError
from native_build import build_harness, kernel_sources, sanitizer_env
from oplib import run_edgesim

pytest.importorskip("tflite_micro")
from oplib.activation_cases import ACTIVATION_CASES  # noqa: E402
from oplib.matmul_cases import MATMUL_CASES  # noqa: E402
from oplib.reduce_cases import RESIZE_REDUCE_CASES  # noqa: E402
from oplib.sequence_cases import run_steps_edgesim, svdf_case  # noqa: E402
from oplib.shape_cases import SHAPE_CASES  # noqa: E402

CASES_PER_OP = 8


def _jobs() -> list[tuple[str, bytes, list[np.ndarray], bytes]]:
    """(description, model, step inputs, expected outputs) for every case the host accepts."""
    rng = np.random.default_rng(31337)
    jobs = []
    for table in (ACTIVATION_CASES, SHAPE_CASES, RESIZE_REDUCE_CASES, MATMUL_CASES):
        for op, make in table.items():
            for dtype in ("int8", "float32"):
                for _ in range(CASES_PER_OP):
                    case = make(rng, dtype)
                    try:
                        host = run_edgesim(case.model, case.inputs)
                    except ModelError:
                        continue
                    steps = [b"".join(np.ascontiguousarray(x).tobytes() for x in case.inputs)]
                    jobs.append((case.description, case.model, steps, b"".join(h.tobytes() for h in host)))
    for dtype in ("int8", "int8_state", "float32"):
        for _ in range(CASES_PER_OP):
            case = svdf_case(rng, dtype)
            host = run_steps_edgesim(case.model, case.inputs)
            jobs.append((case.description, case.model, [x.tobytes() for x in case.inputs], b"".join(h.tobytes() for h in host)))
    return jobs


def test_new_kernels_are_clean_under_sanitizers_and_equal_the_host(tmp_path) -> None:
    exe = build_harness("model_runner", ["tests/c/model_runner.c", *kernel_sources("common", "runtime", "ops", "quant")],
                        sanitize=True, extra_flags=["-DES_RUNNER_MAIN"])
    jobs = _jobs()
    job_file = tmp_path / "jobs.bin"
    with job_file.open("wb") as f:
        for _, model, steps, _ in jobs:
            inputs = b"".join(steps)
            f.write(struct.pack("<I", len(model)) + model + struct.pack("<II", len(steps), len(inputs)) + inputs)
    result = subprocess.run([str(exe), str(job_file)], capture_output=True, timeout=600, env=sanitizer_env())
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]
    out, pos, failures = result.stdout, 0, []
    for description, _, _, expected in jobs:
        status, size = struct.unpack_from("<iI", out, pos)
        actual = out[pos + 8:pos + 8 + size]
        pos += 8 + size
        if status != 0 or actual != expected:
            failures.append(f"{description}: status {status}, outputs {'equal' if actual == expected else 'differ'}")
    assert pos == len(out)
    assert not failures, f"{len(failures)} of {len(jobs)} cases:\n" + "\n".join(failures[:10])
