"""The emulator target: the app's firmware on QEMU's Cortex-M4 (mps2-an386).

    from edgesim.apps import load_app
    from edgesim.targets.emulator import EmulatorTarget

    with EmulatorTarget(board="mps2-an386") as target:
        target.open(load_app("wake_word"))     # builds the image (cached), boots QEMU
        for chunk in chunks:
            for event in target.process(chunk):
                print(event.to_json())          # the same events as the host target
        events = target.finish()
        print(target.stats()["instructions_per_inference"])  # per-stage counts (STATS frames)

Sensor chunks travel to the firmware as protocol frames over the emulated
UART (channel="uart", the same path a real board uses, ~15-20 KiB/s), or -
for regression runs on files - over semihosting files that are named pipes
(channel="semihosting", same firmware, ~50x the UART: edgesim.mcu.qemu.
QemuPipeMachine); either way one QEMU stays up across streams (reset()
sends a new CONFIG, no boot per file).  The session itself (handshake, frames to events, timeouts) is the one of every
firmware target (edgesim/targets/firmware.py).  A firmware fault raises
TargetError with the fault registers; silence beyond ``timeout`` seconds
raises TargetError (hang) and QEMU is killed.
"""
from __future__ import annotations

from typing import Any

from edgesim import protocol as p
from edgesim.app import App
from edgesim.errors import TargetError
from edgesim.targets.firmware import DEFAULT_TIMEOUT_S, FirmwareTarget


class EmulatorTarget(FirmwareTarget):
    """Runs the app's firmware under QEMU and turns its frames into events."""

    name = "emulator"
    description = "the app's Cortex-M4 firmware in QEMU (mps2-an386), fed over the emulated UART"
    backend = "QEMU"
    options = {
        "board": "board to emulate (mps2-an386)",
        "channel": "uart (default: the device's path) or semihosting (named pipes, ~50x faster, for regression runs)",
        "timeout": f"seconds without an answer before the firmware counts as hung (default {DEFAULT_TIMEOUT_S:.0f})",
        "features": "also return the firmware's model inputs (FEATURES frames) in .features",
        "model": "model path or store name replacing the app's model",
        "link_faults": "damage this fraction of the UART's bytes both ways (flips, drops, repeats, stalls) to "
                       "test the link's recovery, e.g. 1e-3 (uart channel only)",
    }

    def __init__(self, **options: Any) -> None:
        options.setdefault("board", "mps2-an386")
        super().__init__(**options)
        self.channel = str(options.get("channel") or "uart")
        if self.channel not in ("uart", "semihosting"):
            raise TargetError(f"channel must be 'uart' or 'semihosting', not {self.channel!r}")
        if self.link_faults and self.channel != "uart":
            raise TargetError("link_faults applies to the uart channel (semihosting files do not lose bytes)")

    def _check_board(self) -> None:
        if self.board != "mps2-an386":
            raise TargetError(f"the emulator runs mps2-an386 only (QEMU has no {self.board!r} model); "
                              f"build for {self.board} with 'edgesim build APP --board {self.board}'")

    def _build(self, app: App, model_path: Any) -> Any:
        from edgesim.mcu.firmware_builder import build_app

        return build_app(app, self.board, model=model_path)

    def _connect(self) -> Any:
        from edgesim.mcu.qemu import QemuMachine, QemuPipeMachine

        return QemuMachine(self.image.elf) if self.channel == "uart" else QemuPipeMachine(self.image.elf)

    def _lossy_link(self) -> bool:
        return self.channel == "uart"

    def _hang_error(self, error: p.ProtocolError) -> TargetError:
        return TargetError(f"firmware hang? {error}; QEMU was killed")

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "channel": self.channel}
