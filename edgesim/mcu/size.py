"""Size report of a firmware image: flash and RAM per section, model, arena, stack.

    from edgesim.mcu.size import measure
    report = measure(Path("wake_word.elf"), stack_bytes=16384)
    print(report.report())
    report.check_limits()   # TargetError when the image does not fit the nRF52840

The stack high-water mark is a run-time figure (the firmware paints its stack
at reset and reports the deepest use in its END frame); ``with_stack_used``
adds it to a report.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path

from edgesim.errors import TargetError

# nRF52840 (Arduino Nano 33 BLE): every board's image must fit these.
FLASH_LIMIT = 1024 * 1024
RAM_LIMIT = 256 * 1024
FLASH_SECTIONS = (".text", ".model", ".ARM.exidx", ".data")
RAM_SECTIONS = (".data", ".bss", ".arena", ".stack")


@dataclass(frozen=True)
class SizeReport:
    """Bytes per section and the totals that matter on a microcontroller."""

    sections: dict[str, int]
    arena_bytes: int
    stack_bytes: int
    flash_origin: int = 0
    stack_used: int | None = None
    notes: list[str] = field(default_factory=list)
    arena_source: str = ""  # how the arena was sized (firmware_builder / model_runner.arena_need)

    @property
    def model_bytes(self) -> int:
        return self.sections.get(".model", 0)

    @property
    def flash_bytes(self) -> int:
        return sum(self.sections.get(s, 0) for s in FLASH_SECTIONS)

    @property
    def ram_bytes(self) -> int:
        return sum(self.sections.get(s, 0) for s in RAM_SECTIONS)

    def with_stack_used(self, used: int) -> "SizeReport":
        return replace(self, stack_used=used)

    def check_limits(self, flash_limit: int = FLASH_LIMIT, ram_limit: int = RAM_LIMIT) -> None:
        """TargetError naming the overflow when the image exceeds the nRF52840's memory."""
        flash_room = flash_limit - self.flash_origin
        if self.flash_bytes > flash_room:
            raise TargetError(f"image needs {self.flash_bytes} bytes of flash, {flash_room} available")
        if self.ram_bytes > ram_limit:
            raise TargetError(f"image needs {self.ram_bytes} bytes of RAM, {ram_limit} available")

    def as_dict(self) -> dict[str, object]:
        return {"sections": self.sections, "flash_bytes": self.flash_bytes, "ram_bytes": self.ram_bytes,
                "model_bytes": self.model_bytes, "arena_bytes": self.arena_bytes,
                "arena_source": self.arena_source, "stack_bytes": self.stack_bytes, "stack_used": self.stack_used}

    def report(self) -> str:
        lines = [f"{'section':<12}{'bytes':>10}  memory"]
        for name, size in self.sections.items():
            where = "+".join(m for m, group in (("flash", FLASH_SECTIONS), ("RAM", RAM_SECTIONS)) if name in group)
            lines.append(f"{name:<12}{size:>10}  {where}")
        flash_room = FLASH_LIMIT - self.flash_origin
        lines.append(f"flash {self.flash_bytes} / {flash_room} bytes ({100 * self.flash_bytes / flash_room:.1f}%), "
                     f"of which model {self.model_bytes}")
        lines.append(f"RAM   {self.ram_bytes} / {RAM_LIMIT} bytes ({100 * self.ram_bytes / RAM_LIMIT:.1f}%), "
                     f"of which arena {self.arena_bytes}, stack {self.stack_bytes}")
        if self.arena_source:
            lines.append(f"arena {self.arena_bytes} bytes, {self.arena_source}")
        if self.stack_used is not None:
            lines.append(f"stack high-water mark {self.stack_used} of {self.stack_bytes} bytes")
        return "\n".join(lines)


def measure(elf: Path, stack_bytes: int) -> SizeReport:
    """Section sizes (arm-none-eabi-size -A) and the arena symbol's size (nm -S)."""
    out = _run(["arm-none-eabi-size", "-A", str(elf)])
    sections: dict[str, int] = {}
    origin = None
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit():
            if parts[0] in FLASH_SECTIONS or parts[0] in RAM_SECTIONS:
                sections[parts[0]] = int(parts[1])
            if parts[0] == ".text":
                origin = int(parts[2])
    arena = 0
    for line in _run(["arm-none-eabi-nm", "-S", str(elf)]).splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] == "es_arena":
            arena = int(parts[1], 16)
    return SizeReport(sections, arena, stack_bytes, origin or 0)


def _run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise TargetError(f"firmware size: {' '.join(cmd)} failed: {error}") from error
