"""The new op kernels on the emulated Cortex-M4 equal the host, byte for byte.

tests/c/model_runner.c links the runtime and every op kernel with the
firmware's compiler and flags (hard-float FPU, -ffp-contract=off) and runs in
unicorn: random single-op models of every family (int8 and float32; SVDF over
several steps) give the same outputs there as edgesim on the host, which the
other test_ops_* files check against TFLite Micro.  Float LOGISTIC, TANH
and SVDF's tanh use edgesim's own glibc-exact expf/tanhf (quant/), not the
firmware's newlib, so they too match the host bit for bit; those two functions
are also swept on the M4 against the host's glibc (tests/c/m4_mathf.c).
"""
from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np
import pytest

from oplib import run_edgesim
from unicorn_m4 import KERNELS, RAM, RAM_SIZE, REPO, STOP, build_m4_elf, elf_segments, elf_symbols, m4_machine

pytest.importorskip("tflite_micro")
from m4_model_runner import WORK, WORK_SIZE, M4ModelRunner, arm_const, unicorn  # noqa: E402 - skips without unicorn
from oplib.activation_cases import ACTIVATION_CASES  # noqa: E402
from oplib.matmul_cases import MATMUL_CASES  # noqa: E402
from oplib.reduce_cases import RESIZE_REDUCE_CASES  # noqa: E402
from oplib.sequence_cases import run_steps_edgesim, svdf_case  # noqa: E402
from oplib.shape_cases import SHAPE_CASES  # noqa: E402

CASES_PER_OP = 6
# Float LOGISTIC/TANH get more cases: a C library's expf/tanhf slipping back
# in (newlib on the M4) differs from glibc's in only a few values per model.
TRANSCENDENTAL_CASES = 30
TRANSCENDENTAL = {("LOGISTIC", "float32"), ("TANH", "float32")}


@pytest.fixture(scope="module")
def m4_runner() -> M4ModelRunner:
    return M4ModelRunner()


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
        actual = m4_runner.run(case.model, [np.ascontiguousarray(x).tobytes() for x in case.inputs])
        if actual[:len(expected)] != expected:
            failures.append(case.description)
    assert not failures, f"{len(failures)} cases differ on the M4:\n" + "\n".join(failures[:10])


def test_expf_tanhf_on_m4_equal_glibc() -> None:
    """es_expf/es_tanhf compiled for the M4 (soft double for expf, the FPU
    for tanhf) give glibc's bits: a prime-stride sweep over all 2^32 float
    bit patterns, every float32 of a dense run where tanhf's formulas meet,
    and the two inputs where expf's exact range reduction matters, against
    the host's C library."""
    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    for name in ("expf", "tanhf"):
        getattr(libm, name).argtypes, getattr(libm, name).restype = [ctypes.c_float], ctypes.c_float
    sweep = np.arange(3, 1 << 32, 65521, dtype=np.uint64).astype(np.uint32)
    dense = np.arange(int(np.float32(0.25).view(np.uint32)), int(np.float32(0.25).view(np.uint32)) + (1 << 16),
                      dtype=np.uint32)
    fma_points = np.array([0x4202422f, 0xc27c65d9], dtype=np.uint32)  # where glibc's FMA build of expf rounds apart
    bits = np.concatenate([sweep, dense, dense | np.uint32(0x80000000), fma_points])
    values = bits.view(np.float32)
    elf = build_m4_elf("m4_mathf", [REPO / "tests" / "c" / "m4_mathf.c", *(KERNELS / "quant").rglob("*.c")], [],
                       ["-Wl,-e,m4_mathf"])
    uc = m4_machine(elf_segments(elf), ((WORK, WORK_SIZE),))
    uc.mem_write(WORK, values.tobytes())
    out_at = WORK + (4 << 20)
    for reg, value in ((arm_const.UC_ARM_REG_R0, WORK), (arm_const.UC_ARM_REG_R1, out_at),
                       (arm_const.UC_ARM_REG_R2, len(values)), (arm_const.UC_ARM_REG_SP, RAM + RAM_SIZE - 16),
                       (arm_const.UC_ARM_REG_LR, STOP | 1)):
        uc.reg_write(reg, value)
    uc.emu_start(elf_symbols(elf)["m4_mathf"] | 1, STOP, count=500_000_000)
    m4 = np.frombuffer(bytes(uc.mem_read(out_at, 8 * len(values))), dtype=np.uint32).reshape(-1, 2)
    glibc = np.array([[libm.expf(float(v)), libm.tanhf(float(v))] for v in values], dtype=np.float32).view(np.uint32)
    both_nan = np.isnan(m4.view(np.float32)) & np.isnan(glibc.view(np.float32))
    differ = np.argwhere((m4 != glibc) & ~both_nan)
    assert len(differ) == 0, "\n".join(
        f"{('expf', 'tanhf')[f]}({values[i]!r}) bits {bits[i]:#010x}: M4 {m4[i, f]:#010x}, glibc {glibc[i, f]:#010x}"
        for i, f in differ[:10])


@pytest.mark.parametrize("dtype", ["int8", "int8_state", "float32"])
def test_svdf_steps_on_m4_equal_host(m4_runner, dtype: str) -> None:
    rng = np.random.default_rng(77)
    for _ in range(CASES_PER_OP):
        case = svdf_case(rng, dtype)
        expected = b"".join(h.tobytes() for h in run_steps_edgesim(case.model, case.inputs))
        actual = m4_runner.run(case.model, [x.tobytes() for x in case.inputs])
        assert actual[:len(expected)] == expected, case.description
