"""nano33ble images with the on-board sensor drivers build, link the drivers, and fit the nRF52840.

No board or Renode runs here; this checks what can be checked without one:
every app links with FW_INPUT_SENSORS and its sensor driver, within 1 MB of
flash (less the 64 KiB bootloader) and 256 KB of RAM.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import shared_path

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="needs gcc-arm-none-eabi (tools/bootstrap.sh dev)")

DRIVER = {"wake_word": "board_sensor_audio", "gesture": "board_sensor_imu",
          "person_detection": "board_sensor_image"}
DRIVER_HELPERS = {"wake_word": "gpio_output", "gesture": "twi_read_regs", "person_detection": "es_jpeg_decode"}


@pytest.fixture(autouse=True)
def shared_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGESIM_MODELS", str(shared_path("models")))


def symbols(elf: Path) -> dict[str, str]:
    out = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    return {parts[-1]: parts[-2] for parts in (line.split() for line in out.splitlines()) if len(parts) >= 2}


@pytest.mark.parametrize("app", sorted(DRIVER))
def test_sensor_image_builds_and_fits(app: str) -> None:
    if not (REPO / "firmware" / "boards" / "nano33ble" / "board.c").exists():
        pytest.skip("the nano33ble board layer (firmware/boards/nano33ble/board.c) is not in this tree yet")
    from edgesim.mcu.firmware_builder import build_app
    from edgesim.mcu.flash import APP_OFFSET, FLASH_BYTES, RAM_BYTES

    image = build_app(app, board="nano33ble", sensors=True)
    size = image.size
    assert size.flash_origin == APP_OFFSET, "bootloader-flashed images must start at 0x10000"
    assert size.flash_bytes <= FLASH_BYTES - APP_OFFSET
    assert size.ram_bytes <= RAM_BYTES
    syms = symbols(image.elf)
    assert syms.get(DRIVER[app]) == "T", f"{DRIVER[app]} should be the driver's, not the weak default"
    assert DRIVER_HELPERS[app] in syms
    assert "sensor_input_next" in syms


def test_sensor_input_is_refused_for_other_boards() -> None:
    from edgesim.errors import TargetError
    from edgesim.mcu.firmware_builder import build_app

    with pytest.raises(TargetError, match="on-board sensor input exists for the nano33ble board only"):
        build_app("wake_word", board="mps2-an386", sensors=True)
