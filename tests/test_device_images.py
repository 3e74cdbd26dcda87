"""Images with the on-board sensor layer build, link the drivers, and fit the nRF52840 (nano33ble; mps2-an386's test signal).

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
    assert "sensor_input_poll" in syms and "link_poll" in syms


def test_emulated_board_has_an_audio_test_signal_as_its_sensor() -> None:
    """mps2-an386 --sensors: its test signal (boards/mps2-an386/sensors/) is the microphone; no driver errors."""
    from edgesim.mcu.firmware_builder import build_app

    syms = symbols(build_app("wake_word", board="mps2-an386", sensors=True).elf)
    assert syms.get("board_sensor_audio") == "T" and syms.get("board_sensor_restart") == "T"
    assert syms.get("board_sensor_error") == "W", "a generator cannot fail: the weak default stays"
