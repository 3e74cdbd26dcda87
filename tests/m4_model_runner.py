"""Any model through the whole runtime (loader, planner, interpreter, every op
kernel) on unicorn's Cortex-M4, for tests/test_ops_m4.py and
tests/test_ops_more_m4.py.

tests/c/model_runner.c and the runtime/op/quant kernels are compiled with
arm-none-eabi-gcc and the firmware's flags (DSP instructions, hard-float FPU,
-ffp-contract=off), so the board's code paths run.  No startup code: the
runner maps a work region, writes the model, the inputs and an m4_job there
and calls m4_run_job() (unicorn's Cortex-M4 starts with the FPU enabled, as
the firmware's startup code leaves it).
"""
from __future__ import annotations

import shutil
import struct

import pytest

from unicorn_m4 import KERNELS, RAM, RAM_SIZE, REPO, STOP, build_m4_elf, elf_segments, elf_symbols, m4_machine

unicorn = pytest.importorskip("unicorn")
from unicorn import arm_const  # noqa: E402

WORK, WORK_SIZE = 0x60000000, 16 << 20
MODEL_AT, INPUTS_AT, OUTPUTS_AT, ARENA_AT = WORK, WORK + (4 << 20), WORK + (6 << 20), WORK + (8 << 20)
OUTPUTS_SIZE, ARENA_SIZE = 2 << 20, 8 << 20
JOB_AT = RAM + RAM_SIZE - 4096  # the m4_job; the stack grows down below it
MAX_INSTRUCTIONS = 2_000_000_000  # the MLPerf Tiny models take hundreds of millions


class M4ModelRunner:
    """tests/c/model_runner.c built once; run() loads a fresh emulator per model."""

    def __init__(self) -> None:
        if shutil.which("arm-none-eabi-gcc") is None:
            pytest.skip("arm-none-eabi-gcc not installed (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
        folders = ("common", "runtime", "ops", "quant")
        sources = [REPO / "tests" / "c" / "model_runner.c",
                   *sorted(p for folder in folders for p in (KERNELS / folder).rglob("*.c"))]
        headers = sorted(p for folder in folders for p in (KERNELS / folder).rglob("*.h"))
        elf = build_m4_elf("model_runner", sources, headers, ["-Wl,-e,m4_run_job"])
        self.segments = elf_segments(elf)
        self.symbols = elf_symbols(elf)

    def run(self, model: bytes, steps: list[bytes]) -> bytes:
        """The outputs of every step, concatenated (each step: the model's inputs, concatenated),
        then filler up to OUTPUTS_SIZE bytes; a failing model fails the test with its status and detail."""
        uc = m4_machine(self.segments, ((WORK, WORK_SIZE),))
        uc.mem_write(MODEL_AT, model)
        uc.mem_write(INPUTS_AT, b"".join(steps))
        uc.mem_write(OUTPUTS_AT, b"\xa5" * OUTPUTS_SIZE)  # an output never written cannot match by chance
        uc.mem_write(JOB_AT, struct.pack("<7I", MODEL_AT, len(model), ARENA_AT, ARENA_SIZE, INPUTS_AT, OUTPUTS_AT,
                                         len(steps)))
        status = self._call(uc, "m4_run_job", JOB_AT)
        if status != 0:
            detail_at = self._call(uc, "m4_error_detail")
            detail = bytes(uc.mem_read(detail_at, 112)).split(b"\0")[0].decode(errors="replace")
            raise AssertionError(f"m4_run_job failed with {status}: {detail}")
        return bytes(uc.mem_read(OUTPUTS_AT, OUTPUTS_SIZE))

    def _call(self, uc, name: str, *args: int) -> int:
        for reg, value in zip((arm_const.UC_ARM_REG_R0, arm_const.UC_ARM_REG_R1), args):
            uc.reg_write(reg, value)
        uc.reg_write(arm_const.UC_ARM_REG_SP, JOB_AT - 16)
        uc.reg_write(arm_const.UC_ARM_REG_LR, STOP | 1)
        uc.emu_start(self.symbols[name] | 1, STOP, count=MAX_INSTRUCTIONS)
        return uc.reg_read(arm_const.UC_ARM_REG_R0)
