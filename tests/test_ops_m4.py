"""The same single-op cases and MLPerf Tiny models on the emulated Cortex-M4
give exactly the host's outputs (floats bit for bit).

tests/c/m4_model_runner.c and the runtime/op/quant kernels are compiled with
arm-none-eabi-gcc and the firmware's flags (DSP instructions, hard-float FPU,
-ffp-contract=off) and run under unicorn's Cortex-M4; the host side is
edgesim.Model, itself checked against TFLM by tests/test_ops_*.py and
tests/test_mlperf_tiny.py.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import edgesim
from conftest import shared_path
from oplib import bitwise_equal
from oplib.cases import CASES
from unicorn_m4 import KERNELS, STOP, build_m4_elf, elf_segments, elf_symbols

unicorn = pytest.importorskip("unicorn")
from unicorn import arm_const  # noqa: E402

CASES_PER_OP = 6
WORK, WORK_SIZE = 0x60000000, 8 * 1024 * 1024  # model, arena, inputs, outputs
STACK_TOP = 0x20000000 + 256 * 1024 - 16


class M4Runner:
    def __init__(self) -> None:
        if shutil.which("arm-none-eabi-gcc") is None:
            pytest.skip("arm-none-eabi-gcc not installed (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
        sources = [Path("tests/c/m4_model_runner.c").resolve(),
                   *sorted(p for folder in ("common", "runtime", "ops", "quant") for p in (KERNELS / folder).rglob("*.c"))]
        elf = build_m4_elf("m4_model_runner", sources, [])
        self.segments = elf_segments(elf)
        self.symbols = elf_symbols(elf)

    def run(self, model: bytes, inputs: list[np.ndarray], outputs: list[edgesim.TensorInfo]) -> list[np.ndarray]:
        uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB | unicorn.UC_MODE_MCLASS)
        uc.ctl_set_cpu_model(arm_const.UC_CPU_ARM_CORTEX_M4)
        uc.mem_map(0, 1024 * 1024)
        uc.mem_map(0x20000000, 256 * 1024)
        uc.mem_map(WORK, WORK_SIZE)
        for address, data in self.segments:
            uc.mem_write(address, data)
        uc.mem_write(STOP, b"\xfe\xe7")
        record, model_at = WORK, WORK + 4096  # es_model, then the model (16-byte aligned)
        data_in = b"".join(np.ascontiguousarray(x).tobytes() for x in inputs)
        in_at = model_at + ((len(model) + 15) & ~15)
        out_at = in_at + ((len(data_in) + 15) & ~15)
        out_bytes = sum(int(np.prod(o.shape)) * o.dtype.itemsize for o in outputs)
        arena_at = out_at + ((out_bytes + 15) & ~15)
        uc.mem_write(model_at, model)
        uc.mem_write(in_at, data_in)
        args = [record, model_at, len(model), arena_at, WORK + WORK_SIZE - arena_at, in_at, out_at]
        status = self._call(uc, "runner_run", *args)
        if status != 0:
            detail_at = self._call(uc, "runner_error", record) & 0xFFFFFFFF
            detail = bytes(uc.mem_read(detail_at, 112)).split(b"\0")[0].decode(errors="replace")
            raise AssertionError(f"M4 runtime failed: status {status}: {detail}")
        raw = bytes(uc.mem_read(out_at, out_bytes))
        results, pos = [], 0
        for o in outputs:
            n = int(np.prod(o.shape)) * o.dtype.itemsize
            results.append(np.frombuffer(raw[pos:pos + n], o.dtype).reshape(o.shape))
            pos += n
        return results

    def _call(self, uc, name: str, *args: int) -> int:
        regs = (arm_const.UC_ARM_REG_R0, arm_const.UC_ARM_REG_R1, arm_const.UC_ARM_REG_R2, arm_const.UC_ARM_REG_R3)
        sp = STACK_TOP - 4 * max(0, len(args) - 4)
        for reg, value in zip(regs, args):
            uc.reg_write(reg, value)
        for i, value in enumerate(args[4:]):
            uc.mem_write(sp + 4 * i, int(value).to_bytes(4, "little"))
        uc.reg_write(arm_const.UC_ARM_REG_SP, sp)
        uc.reg_write(arm_const.UC_ARM_REG_LR, STOP | 1)
        uc.emu_start(self.symbols[name] | 1, STOP, count=2_000_000_000)
        return int.from_bytes(uc.reg_read(arm_const.UC_ARM_REG_R0).to_bytes(4, "little"), "little", signed=True)


@pytest.fixture(scope="module")
def m4() -> M4Runner:
    return M4Runner()


def test_single_op_cases_equal_the_host(m4: M4Runner) -> None:
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
            device = m4.run(case.model, case.inputs, model.outputs)
            if not all(bitwise_equal(h, d) for h, d in zip(host, device)):
                failures.append(case.description)
    assert not failures, f"{len(failures)} cases differ between host and M4:\n" + "\n".join(failures[:10])


@pytest.mark.parametrize("name", ["kws_ref_model.tflite", "pretrainedResnet_quant.tflite", "ad01_int8.tflite",
                                  "model_ToyCar_quant_fullint_micro.tflite", "str_ww_ref_model.tflite",
                                  "vww_96_int8.tflite"])
def test_mlperf_tiny_models_equal_the_host(m4: M4Runner, name: str) -> None:
    data = shared_path("models", "mlperf_tiny", name).read_bytes()
    model = edgesim.Model(data)
    rng = np.random.default_rng(5)
    for _ in range(3):
        inputs = [rng.normal(0, 2, i.shape).astype(np.float32) if i.dtype == np.float32
                  else rng.integers(-128, 128, i.shape).astype(i.dtype) for i in model.inputs]
        host = model.invoke(*inputs)
        host = [host] if isinstance(host, np.ndarray) else host
        device = m4.run(data, inputs, model.outputs)
        assert all(bitwise_equal(h, d) for h, d in zip(host, device)), name
