"""The new op kernels on the emulated Cortex-M4 equal the host, byte for byte.

tests/c/model_runner.c links the runtime and every op kernel with the
firmware's compiler and flags (hard-float FPU, -ffp-contract=off) and runs in
unicorn: random single-op models of every family (int8 and float32; SVDF over
several steps) give the same outputs there as edgesim on the host, which the
other test_ops_* files check against TFLite Micro.  Float LOGISTIC, TANH
and SVDF's tanh use edgesim's own glibc-exact expf/tanhf (quant/), not the
firmware's newlib, so they too match the host bit for bit.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from oplib import run_edgesim
from unicorn_m4 import KERNELS, RAM, RAM_SIZE, STOP, build_m4_elf, elf_segments, elf_symbols

pytest.importorskip("tflite_micro")
unicorn = pytest.importorskip("unicorn")
from unicorn import arm_const  # noqa: E402

from oplib.activation_cases import ACTIVATION_CASES  # noqa: E402
from oplib.matmul_cases import MATMUL_CASES  # noqa: E402
from oplib.reduce_cases import RESIZE_REDUCE_CASES  # noqa: E402
from oplib.sequence_cases import run_steps_edgesim, svdf_case  # noqa: E402
from oplib.shape_cases import SHAPE_CASES  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BIG, BIG_SIZE = 0x60000000, 16 << 20  # model, arena and I/O buffers
CASES_PER_OP = 6
# Float LOGISTIC/TANH get more cases: a C library's expf/tanhf slipping back
# in (newlib on the M4) differs from glibc's in only a few values per model.
TRANSCENDENTAL_CASES = 30
TRANSCENDENTAL = {("LOGISTIC", "float32"), ("TANH", "float32")}


@pytest.fixture(scope="module")
def m4_runner() -> tuple[Path, dict[str, int]]:
    sources = [REPO / "tests" / "c" / "model_runner.c",
               *sorted(p for d in ("common", "runtime", "ops", "quant") for p in (KERNELS / d).rglob("*.c"))]
    headers = sorted(p for d in ("runtime", "ops") for p in (KERNELS / d).rglob("*.h"))
    elf = build_m4_elf("model_runner", sources, headers, ["-Wl,-e,m4_run_job"])
    return elf, elf_symbols(elf)


def run_m4(runner: tuple[Path, dict[str, int]], model: bytes, steps: list[bytes]) -> bytes:
    """Concatenated outputs of every step (see tests/c/model_runner.c)."""
    elf, symbols = runner
    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB | unicorn.UC_MODE_MCLASS)
    uc.mem_map(0, 1 << 20)
    uc.mem_map(RAM, RAM_SIZE)
    uc.mem_map(BIG, BIG_SIZE)
    for address, data in elf_segments(elf):
        uc.mem_write(address, data)
    uc.mem_write(STOP, b"\xfe\xe7")  # b .
    model_at, inputs_at, outputs_at, arena_at = BIG, BIG + (4 << 20), BIG + (6 << 20), BIG + (8 << 20)
    inputs = b"".join(steps)
    uc.mem_write(model_at, model)
    uc.mem_write(inputs_at, inputs)
    uc.mem_write(outputs_at, b"\xa5" * (1 << 20))  # an output never written cannot match by chance
    job_at = RAM + RAM_SIZE - 4096
    uc.mem_write(job_at, struct.pack("<7I", model_at, len(model), arena_at, 8 << 20, inputs_at, outputs_at, len(steps)))
    uc.reg_write(arm_const.UC_ARM_REG_R0, job_at)
    uc.reg_write(arm_const.UC_ARM_REG_SP, job_at - 16)
    uc.reg_write(arm_const.UC_ARM_REG_LR, STOP | 1)
    uc.emu_start(symbols["m4_run_job"] | 1, STOP, count=200_000_000)
    status = uc.reg_read(arm_const.UC_ARM_REG_R0)
    assert status == 0, f"m4_run_job failed with {status}"
    return bytes(uc.mem_read(outputs_at, 1 << 20))


def _families() -> list:
    tables = (ACTIVATION_CASES, SHAPE_CASES, RESIZE_REDUCE_CASES, MATMUL_CASES)
    return [pytest.param(op, dtype, table[op], id=f"{op}-{dtype}")
            for table in tables for op in table for dtype in ("int8", "float32")]


@pytest.mark.parametrize("op,dtype,make", _families())
def test_op_on_m4_equals_host(m4_runner, op: str, dtype: str, make) -> None:
    rng = np.random.default_rng(4242 + len(op) * 7 + (dtype == "float32"))
    failures = []
    for _ in range(TRANSCENDENTAL_CASES if (op, dtype) in TRANSCENDENTAL else CASES_PER_OP):
        case = make(rng, dtype)
        try:
            host = run_edgesim(case.model, case.inputs)
        except Exception:  # noqa: BLE001 - a model the host rejects is not run on the M4
            continue
        expected = b"".join(np.ascontiguousarray(h).tobytes() for h in host)
        actual = run_m4(m4_runner, case.model, [np.ascontiguousarray(x).tobytes() for x in case.inputs])
        if actual[:len(expected)] != expected:
            failures.append(case.description)
    assert not failures, f"{len(failures)} cases differ on the M4:\n" + "\n".join(failures[:10])


@pytest.mark.parametrize("dtype", ["int8", "int8_state", "float32"])
def test_svdf_steps_on_m4_equal_host(m4_runner, dtype: str) -> None:
    rng = np.random.default_rng(77)
    for _ in range(CASES_PER_OP):
        case = svdf_case(rng, dtype)
        expected = b"".join(h.tobytes() for h in run_steps_edgesim(case.model, case.inputs))
        actual = run_m4(m4_runner, case.model, [x.tobytes() for x in case.inputs])
        assert actual[:len(expected)] == expected, case.description
