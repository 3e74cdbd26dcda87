"""The one base of every target that runs the app's firmware: the protocol session over a transport.

    EmulatorTarget  QEMU's mps2-an386, UART on a Unix socket   (edgesim.mcu.qemu.QemuMachine)
    RenodeTarget    Renode's nano33ble, uart0 on a TCP socket   (edgesim.mcu.renode.RenodeMachine)
    DeviceTarget    a real board on a serial port              (edgesim.targets.transports.SerialTransport)

All three speak the same frames (edgesim/protocol.py) with the same session:

    connect -> CONFIG (repeated until a HELLO answers it) -> HELLO
    AUDIO/IMAGE/IMU/STROKE frames  ->  SCORES, DETECTION, STATS (+ FEATURES)
    END  ->  END (counters)

Firmware reading its own sensors (built with --sensors) can instead forward
that input: open_input() sends CONFIG with the RAW flag, raw_input() yields
the RAW frames (edgesim record --source device), finish() stops them.

A subclass says which boards it accepts (_check_board), which image to build
(_build), how to reach the running firmware (_connect, a protocol Transport)
and what to call it in messages (``backend``: "QEMU", "Renode", "the board on
/dev/ttyACM0"); everything else - the handshake, chunks to frames, frames to
events, timeouts, stats - lives here once.

Memory stays flat on endless streams: per-stage latencies go into
StageTimes' fixed buckets, instruction counts into running sums, and the
stream-time bookkeeping forgets every input unit the firmware has answered.
Only the opt-in ``features`` option keeps a list (one model input per
inference, for comparisons on files).

The link is reliable (protocol.Link with repeats): corrupted, lost and
repeated frames are detected by CRC and sequence number and sent again;
stats()["link"] counts what that took.  ``link_faults`` (emulator:
``--link-faults RATE``) puts a FaultyTransport on the line to prove it; the
frames are then made short enough that most of them arrive intact.
"""
from __future__ import annotations

import collections
import subprocess
import time
from typing import Any, ClassVar, Iterator

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


class StreamClock:
    """Stream time of the firmware's result timestamps (see SCORES in protocol.h).

    Audio timestamps are already milliseconds.  Images and strokes are
    counted (timestamp = index of the input), IMU data by samples (timestamp =
    samples consumed); the clock remembers each input's t_ms until a result
    has moved past it, so it holds only what is in flight.
    """

    def __init__(self) -> None:
        self._first = 0                                    # index of _marks[0]
        self._marks: collections.deque[tuple[int, int]] = collections.deque()  # (end position, t_ms)
        self._position = 0

    def add_item(self, t_ms: float) -> None:
        """One counted input (an image, a stroke) starting at t_ms."""
        self._marks.append((self._position, int(t_ms)))
        self._position += 1

    def add_samples(self, count: int, end_ms: float) -> None:
        """``count`` IMU samples ending at stream time end_ms."""
        self._position += count
        self._marks.append((self._position, int(end_ms)))

    def item_ms(self, index: int) -> int:
        """t_ms of the index-th counted input (results arrive in input order)."""
        while self._marks and self._first < index:
            self._marks.popleft()
            self._first += 1
        if not self._marks or self._first != index:
            raise p.ProtocolError(f"the firmware reported a result for input {index}, which was never sent "
                                  f"or was already answered")
        return self._marks[0][1]

    def samples_ms(self, consumed: int) -> int:
        """End time of the first chunk that completes ``consumed`` samples."""
        while len(self._marks) > 1 and self._marks[0][0] < consumed:
            self._marks.popleft()
        if not self._marks or self._marks[0][0] < consumed:
            raise p.ProtocolError(f"the firmware reported a result at sample {consumed}, beyond the "
                                  f"{self._position} samples sent")
        return self._marks[0][1]


class FirmwareTarget(Target):
    """The app's firmware behind a protocol Transport; subclasses pick board, image and transport."""

    backend: ClassVar[str] = "the firmware"
    default_timeout: ClassVar[float] = DEFAULT_TIMEOUT_S
    # CONFIG is repeated this often until a HELLO answers it (a byte lost on
    # the wire, a receiver enabled late, firmware still booting).
    config_retry_s: ClassVar[float] = 1.0

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.board = str(options.get("board") or "")
        self._check_board()
        self.timeout = float(options.get("timeout") or self.default_timeout)
        self.want_features = bool(options.get("features", False))
        self.forward_raw = False  # open_input(): the firmware forwards its sensor input instead of inferring
        self.link_faults = float(options.get("link_faults") or 0.0)
        # On a noisy line, frames short enough that ~90 % arrive intact (at least 64 payload bytes).
        self.max_payload = (p.MAX_PAYLOAD if self.link_faults <= 0 else
                            max(64, min(p.MAX_PAYLOAD, int(0.1 / self.link_faults) - p.HEADER_BYTES - p.CRC_BYTES)))
        self.image: Any = None
        self.transport: Any = None
        self.link: p.Link | None = None
        self.hello: p.Hello | None = None
        self.features: list[np.ndarray] = []
        self.stack_used = 0
        self._instruction_sums = dict.fromkeys(p.STAGE_NAMES, 0)
        self._inferences_counted = 0
        self._link_counters: dict[str, int] = {}  # of the last link, kept after close()
        self._faults_injected: dict[str, int] = {}
        self._device_link: dict[str, int] = {}  # the firmware's receive counters, from its END answer

    # ---- what a subclass provides -------------------------------------------

    def _check_board(self) -> None:
        """TargetError unless self.board is one this target runs."""

    def _build(self, app: App, model_path: Any) -> Any:
        """The firmware image to run (None when the firmware is already on a board)."""
        return None

    def _connect(self) -> Any:
        """A protocol Transport (read/write/close) to the running firmware."""
        raise NotImplementedError

    def _describe_backend(self) -> str:
        """How messages name what runs the firmware."""
        return self.backend

    def _lossy_link(self) -> bool:
        """Whether the transport can damage or lose bytes (then the link acknowledges and repeats)."""
        return True

    def _hello_wait(self) -> str:
        """What the handshake waits for, as its timeout message says it."""
        return f"the firmware's HELLO in answer to CONFIG ({self._describe_backend()})"

    # ---- life cycle ---------------------------------------------------------

    def open(self, app: App) -> None:
        from edgesim.compute.model import Model
        from edgesim.compute.post import PostProcessor
        from edgesim.store import resolve_model
        from edgesim.targets.host import score_quantization

        model = self.option_values.get("model") or app.model
        model_path = resolve_model(str(model))
        self.image = self._build(app, model_path)
        self._scale, self._zero_point = score_quantization(Model(str(model_path)).outputs[0])
        self.app = app
        self.post = PostProcessor(app)
        self._start_stream()
        self._boot()

    def open_input(self, app: App) -> None:
        """Connect to firmware built with --sensors and have it forward its own sensor input as RAW frames
        instead of running the model (read them with raw_input(), stop with finish()).  Host-fed firmware
        refuses with an ERROR frame, raised here."""
        self.app, self.forward_raw = app, True
        self._start_stream()
        self._boot()

    def raw_input(self) -> Iterator[p.Raw]:
        """The RAW frames of open_input(), as they arrive; TargetError when the firmware stops sending."""
        while True:
            message = self._receive(f"the sensor input (RAW frames) from {self._describe_backend()}")
            if isinstance(message, p.Raw):
                yield message
            elif not isinstance(message, p.Hello):  # a late answer to a repeated CONFIG
                self._to_events(message)  # raises for ERROR frames and anything unexpected

    def _boot(self) -> None:
        """Connect, then handshake; nothing stays open when either fails."""
        self.transport = self._connect()
        if self.link_faults > 0:
            from edgesim.targets.transports import FaultyTransport

            self.transport = FaultyTransport(self.transport, self.link_faults)
        try:
            # A damaged line loses a frame every few dozen: poll sooner than a clean line's 1 s.
            retry_s = 0.3 if self.link_faults > 0 else 1.0
            self.link = p.Link(self.transport, timeout=self.timeout, repeats=self._lossy_link(), retry_s=retry_s,
                               name=self._describe_backend())
            self._handshake(self._hello_wait())
        except BaseException:
            self.close()
            raise

    def _handshake(self, waiting_for: str) -> None:
        """CONFIG, repeated every config_retry_s until a HELLO answers it; at most `timeout` s.

        The firmware's boot HELLO (always sequence 0) and anything else it sent
        before our CONFIG arrived are skipped.  A repeated CONFIG may earn a
        second HELLO after the first; _to_events skips it.
        """
        assert self.link is not None
        deadline = time.monotonic() + self.timeout
        while True:
            self.link.send(p.CONFIG, p.config_payload(self.want_features, send_stats=not self.forward_raw,
                                                      forward_raw=self.forward_raw))
            retry_at = min(deadline, time.monotonic() + self.config_retry_s)
            while time.monotonic() < retry_at:
                try:
                    frame = self.link.receive_frame(timeout=retry_at - time.monotonic(), waiting_for=waiting_for,
                                                    check_sequence=False)
                except p.LinkTimeout:
                    break
                message = p.decode_message(frame)
                if isinstance(message, p.Fault):
                    raise TargetError(message.describe())
                if isinstance(message, p.DeviceError):
                    self._raise_device_error(message)
                if isinstance(message, p.Hello) and frame.seq != 0:
                    self._expect_hello(message)
                    self.link.expect_sequence(frame.seq + 1)
                    return
            if time.monotonic() >= deadline:
                self.close()
                raise TargetError(f"no answer to CONFIG from {self._describe_backend()} within {self.timeout:g} s "
                                  f"(sent every {self.config_retry_s:g} s), waiting for {waiting_for}")

    def _start_stream(self) -> None:
        self._clock = StreamClock()
        self._strokes_fed = False
        self.features = []
        self._instruction_sums = dict.fromkeys(p.STAGE_NAMES, 0)
        self._inferences_counted = 0

    def _expect_hello(self, message: p.Message) -> None:
        if isinstance(message, p.DeviceError):
            self._raise_device_error(message)
        if not isinstance(message, p.Hello):
            raise TargetError(f"expected HELLO from {self._describe_backend()}, got {type(message).__name__}")
        if message.output_count != 1:
            raise ModelError(f"the firmware's model has {message.output_count} outputs; apps need one")
        self.hello = message

    def reset(self) -> None:
        if self.app is None:
            raise TargetError(f"{self.name} target: call open(app) first")
        self._start_stream()
        if self.link is not None:
            self._handshake(self._hello_wait())

    def close(self) -> None:
        if self.link is not None:
            self._link_counters = self.link.counters()
        if getattr(self.transport, "injected", None):
            self._faults_injected = dict(self.transport.injected)
        if self.transport is not None:
            self.transport.close()
        self.transport = None
        self.link = None

    # ---- streaming ----------------------------------------------------------

    def process(self, chunk: Any) -> list[Event]:
        if self.app is None:
            raise TargetError(f"{self.name} target: call open(app) before feeding chunks")
        frame_type, payloads = self._payloads(chunk)
        if self.link is None:
            raise TargetError(f"{self.name} target: the connection to {self._describe_backend()} is closed")
        try:
            self.link.send_all(frame_type, payloads)
        except p.LinkTimeout as error:
            link = self.link
            self.close()
            raise self._timeout_error(error, link) from None
        return self._poll()

    def finish(self) -> list[Event]:
        if self.link is None:
            return []
        try:
            self.link.send(p.END)
        except p.LinkTimeout as error:
            link = self.link
            self.close()
            raise self._timeout_error(error, link) from None
        events: list[Event] = []
        while True:
            message = self._receive(f"the END answer from {self._describe_backend()} (it is still processing "
                                    f"the stream)")
            if isinstance(message, p.End):
                self.stack_used = max(self.stack_used, message.stack_bytes)
                self._device_link = {"device_rejected": message.rejected, "device_skipped": message.skipped}
                return events
            events.extend(self._to_events(message))

    def _poll(self) -> list[Event]:
        """Events of frames already received, without waiting."""
        assert self.link is not None
        events: list[Event] = []
        while True:
            try:
                message = self.link.receive(timeout=0.0)
            except p.LinkTimeout:
                return events
            events.extend(self._to_events(message))

    def _receive(self, waiting_for: str) -> p.Message:
        assert self.link is not None
        try:
            return self.link.receive(waiting_for=waiting_for)
        except p.LinkTimeout as error:
            link = self.link
            self.close()
            raise self._timeout_error(error, link) from None
        except TargetError as error:
            self._on_link_error(error)
            raise

    def _timeout_error(self, error: p.LinkTimeout, link: p.Link | None) -> TargetError:
        """The error for a session that stopped moving: the link's fault when the line was damaging
        frames, else a hang (the transport is already closed)."""
        if link is not None and link.troubled():
            return TargetError(f"the link to {self._describe_backend()} is too noisy to get through: {error}")
        return self._hang_error(error)

    def _hang_error(self, error: p.ProtocolError) -> TargetError:
        """The error for firmware that stopped answering (the transport is already closed)."""
        return TargetError(f"firmware hang? {error}; {self._describe_backend()} was stopped")

    def _on_link_error(self, error: TargetError) -> None:
        """Clean up after the link reported a firmware fault or a lost connection; the caller re-raises `error`."""
        process = getattr(self.transport, "process", None)
        if process is not None:  # a fault: let the firmware's exit complete before close() kills it
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        self.close()

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
            return p.AUDIO, p.audio_payloads(np.asarray(chunk.samples), self.max_payload)
        if kind == "camera":
            from edgesim.compute.image import PIXEL_FORMATS

            fmt = PIXEL_FORMATS.get(chunk.pixel_format)
            if fmt is None:
                raise TargetError(f"pixel format {chunk.pixel_format!r} unknown ({', '.join(PIXEL_FORMATS)})")
            self._clock.add_item(chunk.t_ms)
            return p.IMAGE, p.image_payloads(np.asarray(chunk.pixels), fmt, self.max_payload)
        if kind == "stroke":
            self._strokes_fed = True
            self._clock.add_item(chunk.t_ms)
            return p.STROKE, [p.stroke_payload(np.asarray(chunk.points))]
        samples = np.asarray(chunk.samples, np.float32).reshape(-1, 6)
        rate = float(getattr(chunk, "rate_hz", self.app.sensor.rate_hz))
        self._clock.add_samples(len(samples), chunk.t_ms + len(samples) * 1000.0 / rate)
        return p.IMU, p.imu_payloads(samples, self.max_payload)

    # ---- frames -> events ---------------------------------------------------

    def _t_ms(self, timestamp: int) -> int:
        """Stream time of a result from the firmware's timestamp (see SCORES in protocol.h)."""
        assert self.app is not None
        kind = self.app.preprocess.kernel
        if kind == "audio_frontend":
            return timestamp
        if kind == "image" or self._strokes_fed:
            return self._clock.item_ms(timestamp)
        return self._clock.samples_ms(timestamp)

    def _to_events(self, message: p.Message) -> list[Event]:
        assert self.app is not None
        if isinstance(message, p.Scores):
            return [InferenceEvent.from_raw(self._t_ms(message.timestamp), message.values, self.app.labels,
                                            self._scale, self._zero_point)]
        if isinstance(message, p.Detection):
            extra = {"event": message.kind} if message.kind in ("enter", "leave") else {}
            return [self.post.detection_event(self._t_ms(message.timestamp), message.label, message.score, **extra)]
        if isinstance(message, p.Stats):
            self._inferences_counted += 1
            self.stack_used = max(self.stack_used, message.stack_bytes)
            for stage, count in message.instructions.items():
                self._instruction_sums[stage] += count
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
        if isinstance(message, (p.Hello, p.Raw)):
            return []  # a late answer to a repeated CONFIG, or sensor input still in flight at END
        if isinstance(message, p.DeviceError):
            self._raise_device_error(message)
        raise p.ProtocolError(f"unexpected {type(message).__name__} from {self._describe_backend()}")

    def _raise_device_error(self, error: p.DeviceError) -> None:
        # Stages are numbered in STAGE_NAMES order; STAGE_PROTOCOL and anything unknown count as "protocol".
        stage = dict(enumerate(p.STAGE_NAMES)).get(error.stage, "protocol")
        family = _STATUS_FAMILY.get(error.status, TargetError)
        raise family(f"firmware {stage} error (status {error.status}) on frame {error.seq}: {error.detail}")

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {"board": self.board}
        if self.image is not None:
            out["image"] = str(self.image.elf)
            out["flash_bytes"], out["ram_bytes"] = self.image.size.flash_bytes, self.image.size.ram_bytes
        if self._inferences_counted:
            out["instructions_per_inference"] = {stage: total // self._inferences_counted
                                                 for stage, total in self._instruction_sums.items()}
        if self.stack_used:
            out["stack_high_water_bytes"] = self.stack_used
        link = self.link.counters() if self.link is not None else dict(self._link_counters)
        if link:
            out["link"] = link = {**link, **self._device_link}
            damaged = link["rejected"] + link["out_of_order"] + link.get("device_rejected", 0)
            if damaged:  # resends alone also come from polling a busy device: not worth a warning
                out["warnings"] = [f"the link to {self._describe_backend()} damaged or lost {damaged} frames "
                                   f"({link['skipped']} bytes skipped); every one was detected: {link['resent']} "
                                   f"frames were sent again and {link['duplicates']} duplicates dropped"]
        injected = getattr(self.transport, "injected", None) or self._faults_injected
        if injected:
            self._faults_injected = dict(injected)
            out["link_faults_injected"] = dict(injected)
        return out
