"""Build small Cortex-M4 images for unicorn-based tests and read them back.

Used by the tests that run firmware pieces (nano33ble sensor drivers, the USB
stack) in unicorn's Cortex-M4 against Python peripheral models: the code is
compiled with arm-none-eabi-gcc exactly as for the board, linked with
tests/c/unicorn_m4.ld, and cached by the content of its inputs.
"""
from __future__ import annotations

import hashlib
import struct
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
KERNELS = REPO / "edgesim" / "kernels"
BUILD = REPO / "build" / "native-tests"
LINKER_SCRIPT = REPO / "tests" / "c" / "unicorn_m4.ld"
M4_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-std=c99", "-O2",
            "-Wall", "-Wextra", "-Werror", "-ffp-contract=off"]
RAM, RAM_SIZE = 0x20000000, 256 * 1024
STOP = 0x000FFF00  # a `b .` the called function returns to


def build_m4_elf(name: str, sources: list[Path], headers: list[Path], extra_args: list[str] = ()) -> Path:
    """Compile and link `sources` into build/native-tests/<name>-<hash>.elf (cached); fails the test on errors."""
    inputs = [*sources, LINKER_SCRIPT, *headers, *sorted((KERNELS / "include").rglob("*.h"))]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in inputs) + " ".join(extra_args).encode())
    out = BUILD / f"{name}-{digest.hexdigest()[:16]}.elf"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd = ["arm-none-eabi-gcc", *M4_FLAGS, f"-I{KERNELS / 'include'}", f"-I{REPO / 'firmware'}",
               "-nostartfiles", "--specs=nano.specs", f"-T{LINKER_SCRIPT}", "-Wl,--no-warn-rwx-segments",
               *extra_args, *map(str, sources), "-lm", "-o", str(out)]
        result = subprocess.run(cmd, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    return out


def elf_symbols(path: Path) -> dict[str, int]:
    """Symbol name -> address, from arm-none-eabi-nm."""
    text = subprocess.run(["arm-none-eabi-nm", str(path)], capture_output=True, text=True, check=True).stdout
    return {p[2]: int(p[0], 16) for p in (line.split() for line in text.splitlines()) if len(p) == 3}


def elf_segments(path: Path) -> list[tuple[int, bytes]]:
    """(address, bytes) of every loadable segment with file contents."""
    data = path.read_bytes()
    phoff, = struct.unpack_from("<I", data, 28)
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    segments = []
    for i in range(phnum):
        p_type, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIIII", data, phoff + i * phentsize)
        if p_type == 1 and p_filesz:
            segments.append((p_vaddr, data[p_offset:p_offset + p_filesz]))
    return segments


def m4_machine(segments: list[tuple[int, bytes]], extra_regions: tuple[tuple[int, int], ...] = ()) -> Any:
    """A unicorn Cortex-M4 with flash (1 MB at 0), RAM, `extra_regions` (address, size) mapped,
    the image's segments loaded and the `b .` at STOP that called functions return to."""
    import unicorn

    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB | unicorn.UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(unicorn.arm_const.UC_CPU_ARM_CORTEX_M4)
    uc.mem_map(0, 1 << 20)
    uc.mem_map(RAM, RAM_SIZE)
    for address, size in extra_regions:
        uc.mem_map(address, size)
    for address, data in segments:
        uc.mem_write(address, data)
    uc.mem_write(STOP, b"\xfe\xe7")  # b .
    return uc
