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
for bulk regression runs - are collected and passed through semihosting
files in one go at finish() (channel="semihosting", same firmware).  The
session itself (handshake, frames to events, timeouts) is the one of every
firmware target (edgesim/targets/firmware.py).  A firmware fault raises
TargetError with the fault registers; silence beyond ``timeout`` seconds
raises TargetError (hang) and QEMU is killed.
"""
from __future__ import annotations

from typing import Any

from edgesim import protocol as p
from edgesim.app import App
from edgesim.errors import TargetError
from edgesim.events import Event
from edgesim.targets.firmware import DEFAULT_TIMEOUT_S, FirmwareTarget


class EmulatorTarget(FirmwareTarget):
    """Runs the app's firmware under QEMU and turns its frames into events."""

    name = "emulator"
    description = "the app's Cortex-M4 firmware in QEMU (mps2-an386), fed over the emulated UART"
    backend = "QEMU"
    options = {
        "board": "board to emulate (mps2-an386)",
        "channel": "uart (default: the device's path) or semihosting (bulk files, for regression runs)",
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
        self._bulk: list[tuple[int, bytes]] = []  # frames for the semihosting channel

    def _check_board(self) -> None:
        if self.board != "mps2-an386":
            raise TargetError(f"the emulator runs mps2-an386 only (QEMU has no {self.board!r} model); "
                              f"build for {self.board} with 'edgesim build APP --board {self.board}'")

    def _build(self, app: App, model_path: Any) -> Any:
        from edgesim.mcu.firmware_builder import build_app

        return build_app(app, self.board, model=model_path)

    def _connect(self) -> Any:
        from edgesim.mcu.qemu import QemuMachine

        return QemuMachine(self.image.elf)

    def _boot(self) -> None:
        if self.channel == "uart":  # semihosting runs boot QEMU per stream, at finish()
            super()._boot()

    def _hang_error(self, error: p.ProtocolError) -> TargetError:
        return TargetError(f"firmware hang? {error}; QEMU was killed")

    def _start_stream(self) -> None:
        super()._start_stream()
        self._bulk = []

    # ---- the semihosting channel: every frame of a stream in one QEMU run ----

    def process(self, chunk: Any) -> list[Event]:
        if self.channel != "semihosting":
            return super().process(chunk)
        if self.app is None:
            raise TargetError("emulator target: call open(app) before feeding chunks")
        frame_type, payloads = self._payloads(chunk)
        self._bulk.extend((frame_type, payload) for payload in payloads)
        return []

    def finish(self) -> list[Event]:
        return self._run_bulk() if self.channel == "semihosting" else super().finish()

    def _run_bulk(self) -> list[Event]:
        from edgesim.mcu.qemu import run_bulk

        frames = [(p.CONFIG, p.config_payload(self.want_features, send_stats=True)), *self._bulk, (p.END, b"")]
        stream = b"".join(p.encode_frame(t, seq & 0xFFFF, payload) for seq, (t, payload) in enumerate(frames))
        result = run_bulk(self.image.elf, stream, timeout=self.timeout)
        decoder = p.FrameDecoder()
        messages = [p.decode_message(f) for f in decoder.feed(result.output)]
        if decoder.rejected or decoder.pending:
            raise p.ProtocolError(f"semihosting output had {decoder.rejected} bad frames and {decoder.pending} "
                                  f"stray bytes")
        events: list[Event] = []
        ended = False
        for message in messages:
            if isinstance(message, p.Fault):
                raise TargetError(message.describe())
            if isinstance(message, p.Repeat):
                continue  # acknowledgements: nothing is lost in a file
            if isinstance(message, p.Hello):
                self._expect_hello(message)
            elif isinstance(message, p.End):
                self.stack_used, ended = max(self.stack_used, message.stack_bytes), True
            else:
                events.extend(self._to_events(message))
        if not ended:
            raise TargetError(f"the firmware stopped before answering END (exit code {result.exit_code})")
        self._bulk = []
        return events

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "channel": self.channel}
