"""The emulator target never waits forever: a firmware hang or fault while streaming
becomes a TargetError (with the fault registers) and QEMU is killed."""
from __future__ import annotations

import struct
import time

import pytest

from conftest import shared_path
from edgesim import protocol as p
from edgesim.errors import TargetError
from firmware_support import selftest_image


@pytest.fixture
def target(monkeypatch):
    """An emulator target whose 'app image' is the board self-test firmware."""
    import edgesim.mcu.firmware_builder as build
    from edgesim.apps import load_app
    from edgesim.targets.emulator import EmulatorTarget

    image = selftest_image()
    monkeypatch.setenv("EDGESIM_MODELS", str(shared_path("models")))
    monkeypatch.setattr(build, "build_app", lambda *args, **kwargs: image)
    emulator = EmulatorTarget(timeout=2)
    emulator.open(load_app("wake_word"))
    yield emulator
    emulator.close()


def test_a_hang_is_reported_and_qemu_killed(target) -> None:
    process = target.transport.process
    target.link.send(p.CONFIG, struct.pack("<I", 0xDEAD0002))  # selftest: spin forever
    start = time.monotonic()
    with pytest.raises(TargetError, match="firmware hang\\?.*timed out.*QEMU was killed"):
        target.finish()
    assert time.monotonic() - start < 10
    assert process.poll() is not None and target.transport is None


def test_a_fault_is_reported_with_registers(target) -> None:
    process = target.transport.process
    target.link.send(p.CONFIG, struct.pack("<I", 0xDEAD0003))  # selftest: divide by zero
    with pytest.raises(TargetError, match="DIVBYZERO.*PC=0x[0-9a-f]{8}.*CFSR=0x02000000"):
        target.finish()
    assert process.poll() == 3


def test_close_always_kills_qemu(target) -> None:
    process = target.transport.process
    target.close()
    target.close()
    assert process.poll() is not None
