"""The emulator target: the app's firmware on QEMU's Cortex-M4 (mps2-an386).

    from edgesim.apps import load_app
    from edgesim.targets.emulator import EmulatorTarget

    with EmulatorTarget(board="mps2-an386") as target:
        target.open(load_app("wake_word"))     # builds the image (cached), boots QEMU
        for chunk in chunks:
            for event in target.process(chunk):
                print(event.to_json())          # the same events as the host target
        events = target.finish()
        print(target.stats()["instructions"])  # per-stage instruction counts (STATS frames)

Sensor chunks travel to the firmware as protocol frames over the emulated
UART (channel="uart", the same path a real board uses, ~15-20 KiB/s), or -
for bulk regression runs - are collected and passed through semihosting
files in one go at finish() (channel="semihosting", same firmware).  The
firmware runs the shared C kernels; its SCORES/DETECTION frames become the
same InferenceEvent/DetectionEvent objects the host target makes.  A
firmware fault raises TargetError with the fault registers; silence beyond
``timeout`` seconds raises TargetError (hang) and QEMU is killed.
"""
from __future__ import annotations

import bisect
import subprocess
import time
from typing import Any

import numpy as np

from edgesim import _protocol
from edgesim import protocol as p
from edgesim.app import App
from edgesim.errors import KernelError, ModelError, TargetError
from edgesim.events import Event, InferenceEvent
from edgesim.targets.base import Target, require_audio_rate

# Instruction counts become durations at the Nano 33 BLE's clock (one
# instruction per cycle is the approximation; QEMU does not model cycles).
DEVICE_CLOCK_HZ = 64_000_000
DEFAULT_TIMEOUT_S = 30.0
_KIND_TO_FRAME = {"audio": p.AUDIO, "camera": p.IMAGE, "imu": p.IMU, "stroke": p.STROKE}
# es_status (status.h) of the firmware's ERROR frames -> exception family; others are TargetError.
_STATUS_FAMILY: dict[int, type[Exception]] = {
    **dict.fromkeys((_protocol.STATUS_MODEL_FORMAT, _protocol.STATUS_UNSUPPORTED_OP, _protocol.STATUS_UNSUPPORTED,
                     _protocol.STATUS_ARENA_TOO_SMALL, _protocol.STATUS_SHAPE, _protocol.STATUS_QUANTIZATION),
                    ModelError),
    **dict.fromkeys((_protocol.STATUS_INPUT_DATA, _protocol.STATUS_IMAGE_FORMAT), KernelError),
}


class EmulatorTarget(Target):
    """Runs the app's firmware under QEMU and turns its frames into events."""

    name = "emulator"
    description = "the app's Cortex-M4 firmware in QEMU (mps2-an386), fed over the emulated UART"
    options = {
        "board": "board to emulate (mps2-an386)",
        "channel": "uart (default: the device's path) or semihosting (bulk files, for regression runs)",
        "timeout": f"seconds without an answer before the firmware counts as hung (default {DEFAULT_TIMEOUT_S:.0f})",
        "features": "also return the firmware's model inputs (FEATURES frames) in .features",
        "model": "model path or store name replacing the app's model",
    }

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.board = str(options.get("board") or "mps2-an386")
        self._check_board()
        self.channel = str(options.get("channel") or "uart")
        if self.channel not in ("uart", "semihosting"):
            raise TargetError(f"channel must be 'uart' or 'semihosting', not {self.channel!r}")
        self.timeout = float(options.get("timeout") or DEFAULT_TIMEOUT_S)
        self.want_features = bool(options.get("features", False))
        self.image: Any = None
        self.machine: Any = None
        self.link: p.Link | None = None
        self.features: list[np.ndarray] = []
        self.instructions: list[dict[str, int]] = []
        self.stack_used = 0
        self._bulk: list[tuple[int, bytes]] = []  # frames for the semihosting channel

    # ---- life cycle ---------------------------------------------------------

    def open(self, app: App) -> None:
        from edgesim.mcu.firmware_builder import build_app
        from edgesim.compute.model import Model
        from edgesim.compute.post import PostProcessor
        from edgesim.store import resolve_model

        model = self.option_values.get("model") or app.model
        model_path = resolve_model(str(model))
        self.image = self._build(build_app, app, model_path)
        output = Model(str(model_path)).outputs[0]
        self.app, self._scale, self._zero_point = app, float(output.scale), int(output.zero_point)
        self.post = PostProcessor(app)
        self._start_stream()
        if self.channel == "uart":
            self._boot()

    # Hooks for targets that run the same firmware protocol elsewhere
    # (edgesim/targets/renode.py, edgesim/targets/device.py).
    def _check_board(self) -> None:
        if self.board != "mps2-an386":
            raise TargetError(f"the emulator runs mps2-an386 only (QEMU has no {self.board!r} model); "
                              f"build for {self.board} with 'edgesim build APP --board {self.board}'")

    def _build(self, build_app: Any, app: App, model_path: Any) -> Any:
        """The firmware image to run (None when the firmware is already on a board)."""
        return build_app(app, self.board, model=model_path)

    def _connect(self) -> Any:
        """A protocol Transport to the running firmware."""
        from edgesim.mcu.qemu import QemuMachine

        return QemuMachine(self.image.elf)

    def _boot(self) -> None:
        """Connect, then _handshake(); nothing stays open when either fails."""
        self.machine = self._connect()
        try:
            self._handshake()
        except BaseException:
            self.close()
            raise

    def _handshake(self) -> None:
        """Open the protocol session on a fresh machine: its boot HELLO, our CONFIG, its HELLO.

        Targets that connect to firmware already running (Renode, a board)
        override this with _config_handshake().
        """
        self.link = p.Link(self.machine, timeout=self.timeout)
        self._expect_hello(self._receive("the firmware's HELLO after boot"))
        self.link.send(p.CONFIG, p.config_payload(self.want_features, send_stats=True))
        self._expect_hello(self._receive("HELLO in answer to CONFIG"))

    def _config_handshake(self, waiting_for: str, retry_s: float | None = None) -> None:
        """Start a session with firmware that is already running: CONFIG, then its HELLO.

        The firmware may have sent its boot HELLO (always sequence 0) and other
        frames before we connected, or we may have caught the tail of them: all
        of that is skipped up to the first HELLO that is not the boot one, which
        is the answer to our CONFIG.  With retry_s, CONFIG is sent again every
        retry_s until that HELLO comes (a CONFIG can be lost while the firmware
        boots), within the one timeout; HELLOs answering the extra CONFIGs are
        skipped later.
        """
        self.link = p.Link(self.machine, timeout=self.timeout)
        deadline = time.monotonic() + self.timeout
        sent = None
        while True:
            now = time.monotonic()
            if sent is None or (retry_s is not None and now - sent >= retry_s):
                self.link.send(p.CONFIG, p.config_payload(self.want_features, send_stats=True))
                sent = now
            wait = deadline - now if retry_s is None else min(sent + retry_s, deadline) - now
            try:
                frame = self.link.receive_frame(timeout=max(wait, 0.0), waiting_for=waiting_for)
            except p.ProtocolError as error:
                if "timed out" not in str(error):
                    raise
                if time.monotonic() < deadline:
                    continue
                raise TargetError(f"no answer to CONFIG within {self.timeout:.1f} s: {error}") from None
            message = p.decode_message(frame)
            if isinstance(message, p.Fault):
                raise TargetError(message.describe())
            if isinstance(message, p.Hello) and frame.seq != 0:
                self._expect_hello(message)
                return

    def _hang_error(self, error: p.ProtocolError) -> TargetError:
        """The error for firmware that stopped answering (the machine is already closed)."""
        return TargetError(f"firmware hang? {error}; QEMU was killed")

    def _start_stream(self) -> None:
        self._bulk = []
        self._times: dict[str, list[int]] = {"camera": [], "stroke": []}
        self._imu_ends: list[int] = []   # cumulative IMU samples at the end of each chunk
        self._imu_end_ms: list[int] = []
        self._imu_total = 0
        self.features, self.instructions = [], []

    def _expect_hello(self, message: p.Message) -> None:
        if isinstance(message, p.DeviceError):
            self._raise_device_error(message)
        if not isinstance(message, p.Hello):
            raise TargetError(f"expected HELLO from the firmware, got {type(message).__name__}")
        if message.output_count != 1:
            raise ModelError(f"the firmware's model has {message.output_count} outputs; apps need one")
        self.hello = message

    def reset(self) -> None:
        if self.app is None:
            raise TargetError("emulator target: call open(app) first")
        self._start_stream()
        if self.link is not None:
            self.link.send(p.CONFIG, p.config_payload(self.want_features, send_stats=True))
            self._expect_hello(self._drain_until(p.Hello, "HELLO in answer to CONFIG")[-1])

    def close(self) -> None:
        if self.machine is not None:
            self.machine.close()
        self.machine = None
        self.link = None

    # ---- streaming ----------------------------------------------------------

    def process(self, chunk: Any) -> list[Event]:
        if self.app is None:
            raise TargetError("emulator target: call open(app) before feeding chunks")
        frame_type, payloads = self._payloads(chunk)
        if self.channel == "semihosting":
            self._bulk.extend((frame_type, payload) for payload in payloads)
            return []
        assert self.link is not None
        self.link.send_all(frame_type, payloads)
        return self._poll()

    def finish(self) -> list[Event]:
        if self.channel == "semihosting":
            return self._run_bulk()
        if self.link is None:
            return []
        self.link.send(p.END)
        events: list[Event] = []
        while True:
            message = self._receive("the firmware's END (it is still processing the stream)")
            if isinstance(message, p.End):
                self.stack_used = message.stack_bytes
                return events
            events.extend(self._to_events(message))

    def _poll(self) -> list[Event]:
        """Events of frames already received, without waiting."""
        assert self.link is not None
        events: list[Event] = []
        while True:
            try:
                message = self.link.receive(timeout=0.0)
            except p.ProtocolError as error:
                if "timed out" in str(error):
                    return events
                raise
            events.extend(self._to_events(message))

    def _receive(self, waiting_for: str) -> p.Message:
        assert self.link is not None
        try:
            return self.link.receive(waiting_for=waiting_for)
        except p.ProtocolError as error:
            if "timed out" in str(error):
                self.close()
                raise self._hang_error(error) from None
            raise
        except TargetError as error:
            self._on_link_error(error)
            raise

    def _on_link_error(self, error: TargetError) -> None:
        """Clean up after the link reported a firmware fault or a lost connection; the caller re-raises `error`."""
        process = getattr(self.machine, "process", None)
        if process is not None:  # a fault: let the firmware's exit complete before close() kills it
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        self.close()

    def _drain_until(self, kind: type, waiting_for: str) -> list[p.Message]:
        seen = []
        while True:
            message = self._receive(waiting_for)
            seen.append(message)
            if isinstance(message, (kind, p.DeviceError)):
                return seen

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
            if isinstance(message, p.Hello):
                self._expect_hello(message)
            elif isinstance(message, p.End):
                self.stack_used, ended = message.stack_bytes, True
            else:
                events.extend(self._to_events(message))
        if not ended:
            raise TargetError(f"the firmware stopped before answering END (exit code {result.exit_code})")
        self._bulk = []
        return events

    # ---- chunks -> frames ---------------------------------------------------

    def _payloads(self, chunk: Any) -> tuple[int, list[bytes]]:
        assert self.app is not None
        kind = getattr(chunk, "kind", None)
        accepted = (self.app.sensor.kind, *self.app.sensor.accepts)
        if kind not in accepted or kind not in _KIND_TO_FRAME:
            raise TargetError(f"app {self.app.name!r} takes {' or '.join(accepted)} input, "
                              f"but the source gave {kind!r} data")
        if kind == "audio":
            require_audio_rate(chunk)
            return p.AUDIO, p.audio_payloads(np.asarray(chunk.samples))
        if kind == "camera":
            from edgesim.compute.image import PIXEL_FORMATS

            fmt = PIXEL_FORMATS.get(chunk.pixel_format)
            if fmt is None:
                raise TargetError(f"pixel format {chunk.pixel_format!r} unknown ({', '.join(PIXEL_FORMATS)})")
            self._times["camera"].append(int(chunk.t_ms))
            return p.IMAGE, p.image_payloads(np.asarray(chunk.pixels), fmt)
        if kind == "stroke":
            self._times["stroke"].append(int(chunk.t_ms))
            return p.STROKE, [p.stroke_payload(np.asarray(chunk.points))]
        samples = np.asarray(chunk.samples, np.float32).reshape(-1, 6)
        rate = float(getattr(chunk, "rate_hz", self.app.sensor.rate_hz))
        self._imu_total += len(samples)
        self._imu_ends.append(self._imu_total)
        self._imu_end_ms.append(int(chunk.t_ms + len(samples) * 1000.0 / rate))
        return p.IMU, p.imu_payloads(samples)

    # ---- frames -> events ---------------------------------------------------

    def _t_ms(self, timestamp: int) -> int:
        """Stream time of a result from the firmware's timestamp (see SCORES in protocol.h)."""
        assert self.app is not None
        kind = self.app.preprocess.kernel
        if kind == "audio_frontend":
            return timestamp
        if kind == "image":
            return self._times["camera"][timestamp]
        if self._strokes_fed():
            return self._times["stroke"][timestamp]
        return self._imu_end_ms[bisect.bisect_left(self._imu_ends, timestamp)]

    def _strokes_fed(self) -> bool:
        return bool(self._times["stroke"]) and not self._imu_ends

    def _to_events(self, message: p.Message) -> list[Event]:
        assert self.app is not None
        if isinstance(message, p.Scores):
            return [InferenceEvent.from_raw(self._t_ms(message.timestamp), message.values, self.app.labels,
                                            self._scale, self._zero_point)]
        if isinstance(message, p.Detection):
            extra = {"event": message.kind} if message.kind in ("enter", "leave") else {}
            return [self.post.detection_event(self._t_ms(message.timestamp), message.label, message.score, **extra)]
        if isinstance(message, p.Stats):
            self.instructions.append(message.instructions)
            self.stack_used = max(self.stack_used, message.stack_bytes)
            for stage, count in message.instructions.items():
                self.timings.record("infer" if stage == "invoke" else stage, count / DEVICE_CLOCK_HZ)
            return []
        if isinstance(message, p.Features):
            if message.offset == 0:
                self.features.append(message.values)
            elif self.features and message.offset == self.features[-1].size:
                self.features[-1] = np.concatenate([self.features[-1], message.values])
            else:
                raise p.ProtocolError(f"FEATURES piece at offset {message.offset} does not continue the "
                                      f"previous piece of inference {message.index}")
            return []
        if isinstance(message, p.DeviceError):
            self._raise_device_error(message)
        if isinstance(message, p.Hello):  # the answer to a CONFIG the handshake sent again
            return []
        raise p.ProtocolError(f"unexpected {type(message).__name__} from the firmware")

    def _raise_device_error(self, error: p.DeviceError) -> None:
        # Stages are numbered in STAGE_NAMES order; STAGE_PROTOCOL and anything unknown count as "protocol".
        stage = dict(enumerate(p.STAGE_NAMES)).get(error.stage, "protocol")
        family = _STATUS_FAMILY.get(error.status, TargetError)
        raise family(f"firmware {stage} error (status {error.status}) on frame {error.seq}: {error.detail}")

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {"board": self.board, "channel": self.channel}
        if self.image is not None:
            out["image"] = str(self.image.elf)
            out["flash_bytes"], out["ram_bytes"] = self.image.size.flash_bytes, self.image.size.ram_bytes
        if self.instructions:
            per_stage = {stage: sum(i[stage] for i in self.instructions) // len(self.instructions)
                         for stage in p.STAGE_NAMES}
            out["instructions_per_inference"] = per_stage
        if self.stack_used:
            out["stack_high_water_bytes"] = self.stack_used
        return out

