"""Shared helpers for the firmware/emulator tests: skip clearly when the cross
toolchain or QEMU is missing, and build the board self-test image once."""
from __future__ import annotations

import shutil

import pytest


def require_firmware_tools() -> None:
    """Skip naming the Debian packages when arm-none-eabi-gcc or qemu-system-arm is absent."""
    missing = [tool for tool in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (apt-get install --no-install-recommends "
                    "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)")


def selftest_image(board: str = "mps2-an386"):
    """The board self-test firmware (firmware/selftest/selftest_main.c), built and cached."""
    from edgesim.mcu.firmware_builder import link_image

    require_firmware_tools()
    return link_image("selftest", board, ["firmware/selftest/selftest_main.c"])
