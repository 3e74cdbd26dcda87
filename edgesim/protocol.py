"""Host side of the edgesim frame protocol (spec: edgesim/kernels/include/edgesim/protocol.h).

Frames are length-prefixed, versioned and CRC-32 checked.  Framing is the
firmware's own C codec, and every id, size and payload layout comes from the
C header, all through ``edgesim._protocol``; this module adds typed messages.  The same code serves
the emulator (a QEMU socket) and the device target (a serial port)::

    from edgesim.protocol import AUDIO, Link, Scores, audio_payloads
    link = Link(transport)                    # anything with read(n, timeout) / write(data)
    link.send_all(AUDIO, audio_payloads(samples))
    message = link.receive(timeout=5.0)       # Hello | Features | Scores | ...
    if isinstance(message, Scores): print(message.values)

Garbage between frames is skipped (``FrameDecoder`` resynchronises on the
next valid frame and counts what it dropped); a missing frame (sequence gap),
an undecodable payload or silence past the timeout raises ProtocolError.
"""
from __future__ import annotations

import collections
import struct
import time
from dataclasses import dataclass
from typing import Protocol, Sequence, Union

import numpy as np

from edgesim import _protocol as _p
from edgesim.errors import ProtocolError, TargetError

MAGIC: int = _p.MAGIC
VERSION: int = _p.VERSION
HEADER_BYTES: int = _p.HEADER_BYTES
CRC_BYTES: int = _p.CRC_BYTES
MAX_PAYLOAD: int = _p.MAX_PAYLOAD
MAX_FRAME: int = _p.MAX_FRAME

HELLO: int = _p.HELLO
CONFIG: int = _p.CONFIG
AUDIO: int = _p.AUDIO
IMAGE: int = _p.IMAGE
IMU: int = _p.IMU
STROKE: int = _p.STROKE
FEATURES: int = _p.FEATURES
SCORES: int = _p.SCORES
DETECTION: int = _p.DETECTION
STATS: int = _p.STATS
ERROR: int = _p.ERROR
END: int = _p.END
FAULT: int = _p.FAULT
REPEAT: int = _p.REPEAT
RAW: int = _p.RAW
TYPE_COUNT: int = _p.TYPE_COUNT

# A partial frame is treated as garbage after the line stayed this quiet while we listened.
# Only listening time counts: a host busy elsewhere, or an emulator starved of CPU on a loaded
# machine, must not turn a slow frame into a lost one (a loss the device may no longer repair).
IDLE_RESYNC_S = 1.0

CFG_FEATURES: int = _p.CFG_FEATURES
CFG_STATS: int = _p.CFG_STATS
CFG_RAW: int = _p.CFG_RAW
# STATS carries the index, then one count per stage, in stage order.
STAGE_NAMES: tuple[str, ...] = tuple(_p.LAYOUTS["STATS"][1][1:1 + _p.STAGE_COUNT])
DETECTION_KINDS = {_p.DET_COMMAND: "command", _p.DET_ENTER: "enter", _p.DET_LEAVE: "leave",
                   _p.DET_GESTURE: "gesture"}
APP_IDS = {"wake_word": _p.APP_WAKE_WORD, "person_detection": _p.APP_PERSON_DETECTION,
           "gesture": _p.APP_GESTURE}
BOARD_IDS = {"mps2-an386": _p.BOARD_MPS2_AN386, "nano33ble": _p.BOARD_NANO33BLE}

def _layout(name: str) -> struct.Struct:
    """The struct of one payload layout, built from protocol.h's field list (edgesim._protocol.LAYOUTS)."""
    return struct.Struct(_p.LAYOUTS[name][0])


_HELLO = _layout("HELLO")
_CONFIG = _layout("CONFIG")
_IMAGE = _layout("IMAGE_HEADER")
_IMU_SAMPLE = _layout("IMU_SAMPLE")
_FEATURES = _layout("FEATURES_HEADER")
_SCORES = _layout("SCORES_HEADER")
_DETECTION = _layout("DETECTION")
_STATS = _layout("STATS")
_ERROR = _layout("ERROR_HEADER")
_END = _layout("END")
_FAULT = _layout("FAULT")
_RAW = _layout("RAW_HEADER")


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its type id, sequence number and raw payload."""

    type: int
    seq: int
    payload: bytes
    flags: int = 0


def encode_frame(frame_type: int, seq: int, payload: bytes = b"") -> bytes:
    """Bytes of one frame (the C encoder), e.g. ``encode_frame(END, 3)``."""
    if not 0 < frame_type < TYPE_COUNT:
        raise ProtocolError(f"unknown frame type {frame_type}")
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError(f"payload of {len(payload)} bytes exceeds the protocol's {MAX_PAYLOAD}")
    return _p.encode(frame_type, seq & 0xFFFF, payload)


class FrameDecoder:
    """Stream decoder that finds frames in arbitrary chunks of bytes: the
    firmware's C decoder (edgesim._protocol.Decoder) with typed frames.

    >>> decoder = FrameDecoder()
    >>> [f.type for f in decoder.feed(b"noise" + encode_frame(END, 0))]
    [12]
    >>> decoder.skipped
    5

    A candidate with a bad version, type, length or CRC costs one byte: the
    search restarts at the next magic byte.
    """

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self._decoder = _p.Decoder(HEADER_BYTES + max_payload + CRC_BYTES)

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a frame."""
        return int(self._decoder.pending)

    @property
    def frames(self) -> int:
        return int(self._decoder.counters()["frames"])

    @property
    def rejected(self) -> int:
        """Candidate frames dropped for a bad version, type, length or CRC."""
        return int(self._decoder.counters()["rejected"])

    @property
    def skipped(self) -> int:
        """Bytes discarded while searching for frames."""
        return int(self._decoder.counters()["skipped"])

    def feed(self, data: bytes) -> list[Frame]:
        return [Frame(t, seq, payload, flags) for t, flags, seq, payload in self._decoder.feed(data)]

    def abandon(self) -> list[Frame]:
        """The line went quiet inside a frame: drop the pending candidate's first
        byte (it was a garbage header) and return any frames found after it."""
        return [Frame(t, seq, payload, flags) for t, flags, seq, payload in self._decoder.abandon()]


# ---- payloads --------------------------------------------------------------

@dataclass(frozen=True)
class Hello:
    """Sent by the firmware after boot and in answer to CONFIG."""

    app: int
    board: int
    model_bytes: int
    arena_bytes: int
    input_bytes: int
    output_count: int


@dataclass(frozen=True)
class Features:
    """A piece of the int8 model input of one inference, starting at byte ``offset``."""

    index: int
    offset: int
    values: np.ndarray


@dataclass(frozen=True)
class Scores:
    """The int8 model output of one inference; ``timestamp`` counts input units."""

    index: int
    timestamp: int
    values: np.ndarray


@dataclass(frozen=True)
class Detection:
    """A postprocessing event (a word, a person entering/leaving, a gesture)."""

    index: int
    timestamp: int
    label: int
    score: int
    kind: str


@dataclass(frozen=True)
class Stats:
    """Instructions spent per stage for one inference, and the stack high-water mark."""

    index: int
    instructions: dict[str, int]
    stack_bytes: int


@dataclass(frozen=True)
class DeviceError:
    """A kernel or protocol error reported by the firmware."""

    status: int
    stage: int
    seq: int
    detail: str


@dataclass(frozen=True)
class End:
    """The firmware's answer to END: counters of the whole session."""

    inferences: int
    rejected: int
    skipped: int
    stack_bytes: int


@dataclass(frozen=True)
class Fault:
    """Registers captured by the firmware's fault handler."""

    cfsr: int
    hfsr: int
    mmfar: int
    bfar: int
    r0: int
    r12: int
    lr: int
    pc: int
    xpsr: int
    sp: int

    def describe(self) -> str:
        """One line naming the fault and the registers, e.g. for a TargetError."""
        causes = [name for bit, name in _CFSR_BITS if self.cfsr & bit]
        if self.hfsr & (1 << 30):
            causes.append("FORCED")
        regs = " ".join(f"{name.upper()}=0x{getattr(self, name):08x}"
                        for name in ("pc", "lr", "sp", "xpsr", "cfsr", "hfsr", "mmfar", "bfar", "r0", "r12"))
        return f"firmware fault ({', '.join(causes) or 'unknown cause'}): {regs}"


_CFSR_BITS = ((1 << 0, "IACCVIOL"), (1 << 1, "DACCVIOL"), (1 << 3, "MUNSTKERR"), (1 << 4, "MSTKERR"),
              (1 << 8, "IBUSERR"), (1 << 9, "PRECISERR"), (1 << 10, "IMPRECISERR"), (1 << 11, "UNSTKERR"),
              (1 << 12, "STKERR"), (1 << 16, "UNDEFINSTR"), (1 << 17, "INVSTATE"), (1 << 18, "INVPC"),
              (1 << 19, "NOCP"), (1 << 24, "UNALIGNED"), (1 << 25, "DIVBYZERO"))

@dataclass(frozen=True)
class Repeat:
    """Link control (protocol.h): the sender expects ``next`` next; ``resend`` asks for everything from it."""

    next: int
    resend: bool
    poll: bool


@dataclass(frozen=True)
class Raw:
    """The board's own sensor input (CFG_RAW): ``data`` is the payload of an ``input`` frame (AUDIO, IMAGE
    or IMU) as the host would send it; ``position`` counts samples (images) since CONFIG."""

    input: int
    position: int
    data: bytes


Message = Union[Hello, Features, Scores, Detection, Stats, DeviceError, End, Fault, Repeat, Raw]


def _unpack(layout: struct.Struct, frame: Frame, exact: bool = True) -> tuple:
    if len(frame.payload) < layout.size or (exact and len(frame.payload) != layout.size):
        raise ProtocolError(f"frame type {frame.type} (seq {frame.seq}) has a {len(frame.payload)}-byte "
                            f"payload, expected {layout.size}{'' if exact else ' or more'}")
    return layout.unpack_from(frame.payload)


def decode_message(frame: Frame) -> Message:
    """Typed view of a device-to-host frame; ProtocolError for anything else."""
    t = frame.type
    if t == HELLO:
        app, board, _, model, arena, inp, outs = _unpack(_HELLO, frame)
        return Hello(app, board, model, arena, inp, outs)
    if t == FEATURES:
        index, offset = _unpack(_FEATURES, frame, exact=False)
        return Features(index, offset, np.frombuffer(frame.payload, np.int8, offset=_FEATURES.size).copy())
    if t == SCORES:
        index, timestamp = _unpack(_SCORES, frame, exact=False)
        return Scores(index, timestamp, np.frombuffer(frame.payload, np.int8, offset=_SCORES.size).copy())
    if t == DETECTION:
        index, timestamp, label, score, kind = _unpack(_DETECTION, frame)
        return Detection(index, timestamp, label, score, DETECTION_KINDS.get(kind, f"kind{kind}"))
    if t == STATS:
        index, *counts, stack = _unpack(_STATS, frame)
        return Stats(index, dict(zip(STAGE_NAMES, counts)), stack)
    if t == ERROR:
        status, stage, seq, length = _unpack(_ERROR, frame, exact=False)
        detail = frame.payload[_ERROR.size:_ERROR.size + length].decode("ascii", "replace")
        return DeviceError(status, stage, seq, detail)
    if t == END:
        return End(*_unpack(_END, frame))
    if t == FAULT:
        return Fault(*_unpack(_FAULT, frame))
    if t == RAW:
        kind, position = _unpack(_RAW, frame, exact=False)
        return Raw(kind, position, frame.payload[_RAW.size:])
    if t == REPEAT:
        return Repeat(frame.seq, bool(frame.flags & _p.FLAG_RESEND), bool(frame.flags & _p.FLAG_POLL))
    raise ProtocolError(f"unexpected frame type {t} (seq {frame.seq}) from the device")


def config_payload(send_features: bool = False, send_stats: bool = False, forward_raw: bool = False) -> bytes:
    return _CONFIG.pack((CFG_FEATURES if send_features else 0) | (CFG_STATS if send_stats else 0)
                        | (CFG_RAW if forward_raw else 0))


def raw_payload(input_type: int, position: int, data: bytes) -> bytes:
    """A RAW payload as the firmware sends it (tests, and the layout in one place on the host)."""
    return _RAW.pack(input_type, position) + data


def audio_payloads(samples: np.ndarray, max_payload: int = MAX_PAYLOAD) -> list[bytes]:
    """int16 samples split into payloads of at most max_payload bytes."""
    data = np.ascontiguousarray(samples, dtype="<i2").tobytes()
    step = max_payload - max_payload % 2
    return [data[i:i + step] for i in range(0, len(data), step)] or [b""]


def image_payloads(pixels: np.ndarray, pixel_format: int, max_payload: int = MAX_PAYLOAD) -> list[bytes]:
    """One image (H×W or H×W×C uint8) as header+chunk payloads of at most max_payload bytes."""
    height, width = pixels.shape[:2]
    data = np.ascontiguousarray(pixels, dtype=np.uint8).tobytes()
    step = max_payload - _IMAGE.size
    return [_IMAGE.pack(width, height, pixel_format, offset) + data[offset:offset + step]
            for offset in range(0, len(data), step)]


def imu_payloads(samples: np.ndarray, max_payload: int = MAX_PAYLOAD) -> list[bytes]:
    """(n, 6) float32 samples (ax ay az in g, gx gy gz in deg/s) as payloads of whole samples."""
    data = np.ascontiguousarray(samples, dtype="<f4").reshape(-1, 6).tobytes()
    step = max(_IMU_SAMPLE.size, max_payload - max_payload % _IMU_SAMPLE.size)
    return [data[i:i + step] for i in range(0, len(data), step)]


def stroke_payload(points: np.ndarray) -> bytes:
    """A complete stroke: (n, 2) int8 points, one frame."""
    data = np.ascontiguousarray(points, dtype=np.int8).reshape(-1, 2).tobytes()
    if len(data) > MAX_PAYLOAD:
        raise ProtocolError(f"stroke of {len(data) // 2} points does not fit one frame ({MAX_PAYLOAD // 2} max)")
    return data


# ---- a session over a byte stream --------------------------------------------

class Transport(Protocol):
    """A byte stream: a socket to QEMU or Renode, a serial port, a file pair."""

    def read(self, max_bytes: int, timeout: float) -> bytes:
        """Up to max_bytes, waiting at most timeout seconds; b"" on timeout.
        Raises TargetError when the other end is gone."""

    def write(self, data: bytes) -> None:
        """All of data, or TargetError."""


class LinkTimeout(ProtocolError):
    """Nothing usable arrived within the timeout (hung firmware, or a line too noisy to get through)."""


class Link:
    """Numbered frames both ways over a Transport, with timeouts everywhere.

    ``send`` numbers outgoing frames; ``receive`` returns the next device
    message, raising LinkTimeout on silence past the timeout and TargetError
    on a FAULT frame.  REPEAT frames (protocol.h) never reach the caller.

    strict (``repeats=False``, for a byte stream known to be clean, e.g.
    semihosting files): a sequence gap raises ProtocolError.

    reliable (``repeats=True``, every firmware target): frames are delivered
    once and in order over a noisy line.  A gap in the device's numbering is
    answered with a REPEAT request; duplicates are dropped; the device
    acknowledges each frame, and at most ``window`` frames (and
    ``window_bytes``) wait unacknowledged, kept for the device's repeat
    requests.  A line quiet for ``retry_s`` is polled (REPEAT with
    FLAG_POLL), backing off to 4x retry_s while nothing moves; the line is
    first-in first-out, so the answer says exactly what was lost both ways
    before the poll, and that is sent again.
    ``counters()`` says what it took.
    """

    def __init__(self, transport: Transport, timeout: float = 5.0, *, repeats: bool = False,
                 retry_s: float = 1.0, window: int = 8, window_bytes: int = 4 * MAX_FRAME,
                 name: str = "the device") -> None:
        self.transport = transport
        self.timeout = timeout
        self.repeats = repeats
        self.retry_s = retry_s
        self.window = window
        self.window_bytes = window_bytes
        self.name = name
        self.decoder = FrameDecoder()
        self._tx_seq = 0
        self._rx_seq: int | None = None
        self._queue: collections.deque[Frame] = collections.deque()
        # (seq, frame, time sent) not acknowledged yet, oldest first
        self._unacked: collections.deque[tuple[int, bytes, float]] = collections.deque()
        self._unacked_bytes = 0
        self._asked_for: int | None = None   # the rx seq a RESEND request is out for
        self._last_ahead = 0                 # the last frame dropped as ahead of _rx_seq
        self._quiet_s = 0.0                  # listened without a byte since the last one (idle resync)
        self._last_progress = time.monotonic()  # a frame or an acknowledgement arrived (or we polled)
        self._last_moved = self._last_progress   # a frame or an acknowledgement arrived
        self._next_poll_s = retry_s
        self._poll_answered = True
        self._poll_at = 0.0
        self._stats = dict.fromkeys(("duplicates", "out_of_order", "repeats_asked", "repeats_received", "resent",
                                     "polls"), 0)

    # ---- sending --------------------------------------------------------------

    def send(self, frame_type: int, payload: bytes = b"") -> None:
        frame = encode_frame(frame_type, self._tx_seq, payload)
        if self.repeats:
            self._wait_for_window(len(frame))
            self._unacked.append((self._tx_seq, frame, time.monotonic()))
            self._unacked_bytes += len(frame)
        self.transport.write(frame)
        self._tx_seq = (self._tx_seq + 1) & 0xFFFF

    def send_all(self, frame_type: int, payloads: Sequence[bytes]) -> None:
        for payload in payloads:
            self.send(frame_type, payload)

    def _wait_for_window(self, size: int) -> None:
        """Blocks while the window is full; LinkTimeout after `timeout` s in which nothing moved."""
        while self._unacked and (len(self._unacked) >= self.window or self._unacked_bytes + size > self.window_bytes):
            now = time.monotonic()
            if now - self._last_moved >= self.timeout:
                raise LinkTimeout(f"timed out after {self.timeout:.1f} s: {self.name} acknowledged none of "
                                  f"{len(self._unacked)} frames in flight ({self._describe_counters()})")
            self._pump(min(self._last_moved + self.timeout - now, self.retry_s))
            self._maybe_poll()

    # ---- receiving ------------------------------------------------------------

    def expect_sequence(self, seq: int) -> None:
        """The next device frame must carry ``seq``: the session starts there (after a handshake
        took frames unchecked).  A reliable link checks the frames it queued meanwhile, as if they
        arrived now: e.g. the HELLOs answering repeated CONFIGs, which the session counts from."""
        self._rx_seq = seq & 0xFFFF
        self._asked_for = None
        if self.repeats:
            queued, self._queue = self._queue, collections.deque()
            self._queue.extend(frame for frame in queued if self._in_order(frame))

    def counters(self) -> dict[str, int]:
        """Link health: frames received, candidate frames rejected (bad CRC, ...), garbage bytes skipped,
        and (reliable links) duplicates and out-of-order frames dropped, repeat requests both ways,
        frames resent and polls."""
        return {"frames": self.decoder.frames, "rejected": self.decoder.rejected, "skipped": self.decoder.skipped,
                **self._stats}

    def troubled(self) -> bool:
        """Whether the line damaged or lost anything so far (then a timeout is the link's fault).
        Polls and what they resend do not count: a busy or hung device causes those too."""
        c = self.counters()
        return bool(c["rejected"] or c["skipped"] or c["out_of_order"])

    def _describe_counters(self) -> str:
        c = self.counters()
        return (f"link: {c['rejected']} corrupted frames, {c['skipped']} bytes skipped, {c['resent']} frames resent, "
                f"{c['repeats_asked'] + c['repeats_received']} repeat requests")

    def receive(self, timeout: float | None = None, waiting_for: str = "a frame") -> Message:
        frame = self.receive_frame(timeout, waiting_for)
        message = decode_message(frame)
        if isinstance(message, Fault):
            raise TargetError(message.describe())
        return message

    def receive_frame(self, timeout: float | None = None, waiting_for: str = "a frame",
                      check_sequence: bool = True) -> Frame:
        """The next frame.  Strict links check its number here (``check_sequence=False`` takes any,
        for a handshake skipping old frames); reliable links order frames as they arrive, once
        expect_sequence() has said where the session starts (every frame before that)."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            while self._queue:
                frame = self._queue.popleft()
                if self.repeats or not check_sequence or self._in_order(frame):
                    return frame
            remaining = deadline - time.monotonic()
            self._pump(max(0.0, min(remaining, IDLE_RESYNC_S)))
            if self._queue:
                continue
            if self.repeats:
                self._maybe_poll()
            if time.monotonic() >= deadline:
                raise LinkTimeout(
                    f"timed out after {limit:.1f} s waiting for {waiting_for} ({self.decoder.pending} bytes pending, "
                    f"{self._describe_counters()})")

    def _pump(self, timeout: float) -> None:
        """Reads once (up to timeout); queues the numbered frames, acts on REPEAT frames."""
        listening = time.monotonic()
        data = self.transport.read(MAX_FRAME, timeout)
        self._quiet_s = 0.0 if data else self._quiet_s + time.monotonic() - listening
        if data:
            frames = self.decoder.feed(data)
        elif self.decoder.pending and self._quiet_s >= IDLE_RESYNC_S:
            self._quiet_s = 0.0
            frames = self.decoder.abandon()  # quiet inside a "frame": it was garbage
        else:
            return
        for frame in frames:
            if frame.type == REPEAT:
                self._on_repeat(frame)
            elif not self.repeats or self._rx_seq is None or self._in_order(frame):
                self._queue.append(frame)  # reliable links drop duplicates and ask for gaps on arrival

    def _in_order(self, frame: Frame) -> bool:
        """Sequence check of a numbered frame: True to deliver it."""
        if self._rx_seq is None or frame.seq == self._rx_seq or (frame.type == HELLO and not self.repeats):
            self._rx_seq = (frame.seq + 1) & 0xFFFF
            self._asked_for = None
            self._progress()
            return True
        if not self.repeats:
            raise ProtocolError(f"frame sequence gap: expected {self._rx_seq}, got {frame.seq} "
                                f"(type {frame.type}); frames were lost or reordered")
        if 0 < (self._rx_seq - frame.seq) & 0xFFFF <= 0x8000:
            self._stats["duplicates"] += 1
            return False
        self._stats["out_of_order"] += 1
        # Ask once per gap, and again when the numbers restart (the device went back and lost it again).
        if self._asked_for != self._rx_seq or (self._last_ahead - frame.seq) & 0xFFFF <= 0x8000:
            self._asked_for = self._rx_seq
            self._stats["repeats_asked"] += 1
            self.transport.write(_p.encode_repeat(_p.FLAG_RESEND, self._rx_seq, self._tx_seq))
        self._last_ahead = frame.seq
        return False

    def _on_repeat(self, frame: Frame) -> None:
        """The device's acknowledgement ("I have everything before seq"), maybe asking for a resend from
        seq, and telling the number of its next frame (any below it that we lack was lost)."""
        if not self.repeats:
            return
        answers_poll = bool(frame.flags & _p.FLAG_POLL)
        if answers_poll:
            self._poll_answered = True
        acked = 0
        while self._unacked and 0 < (frame.seq - self._unacked[0][0]) & 0xFFFF <= 0x8000:
            self._unacked_bytes -= len(self._unacked.popleft()[1])
            acked += 1
        if acked:
            self._progress()
        if len(frame.payload) >= 2 and self._rx_seq is not None:
            device_next = frame.payload[0] | frame.payload[1] << 8
            lost = 0 < (device_next - self._rx_seq) & 0xFFFF <= 0x8000
            if lost and (answers_poll or self._asked_for != self._rx_seq):
                self._asked_for = self._rx_seq
                self._stats["repeats_asked"] += 1
                self.transport.write(_p.encode_repeat(_p.FLAG_RESEND, self._rx_seq, self._tx_seq))
        if frame.flags & _p.FLAG_RESEND and self._unacked and self._unacked[0][0] == frame.seq:
            # After a gap the device drops everything, so all of it goes again; a poll's answer
            # covers what was sent before the poll (later frames are still on their way).
            now = time.monotonic()
            count = len(self._unacked) if not answers_poll else \
                sum(1 for _, _, sent in self._unacked if sent <= self._poll_at)
            if count == 0:
                return
            resend = [self._unacked[i] for i in range(count)]
            for i, (seq, data, _) in enumerate(resend):
                self._unacked[i] = (seq, data, now)
            self._stats["repeats_received"] += 1
            self._stats["resent"] += count
            self.transport.write(b"".join(data for _, data, _ in resend))

    def _progress(self) -> None:
        self._last_progress = self._last_moved = time.monotonic()
        self._next_poll_s = self.retry_s

    def _maybe_poll(self) -> None:
        """Nothing moved for a while: ask the device to resend what we miss and to say what it misses."""
        now = time.monotonic()
        if self._rx_seq is None or now - self._last_progress < self._next_poll_s:
            return  # no session yet (the handshake repeats CONFIG instead), or not quiet for long enough
        self._stats["polls"] += 1
        # On a damaged line the device may be waiting for the rest of a "frame" whose header was
        # garbage, swallowing whatever we send up to the length it declared (a new poll every second
        # keeps its idle timer from expiring).  Zero bytes are never a frame: MAX_FRAME of them
        # complete any such candidate, so its CRC fails and the poll behind them is seen.
        # Only after a poll went unanswered: the flush costs the line a quarter second.
        stuck = not self._poll_answered and (self.troubled() or self._stats["repeats_received"])
        flush = bytes(MAX_FRAME) if stuck else b""
        self._poll_answered = False
        self._poll_at = now
        self.transport.write(flush + _p.encode_repeat(_p.FLAG_POLL, self._rx_seq, self._tx_seq))
        self._last_progress = now
        self._next_poll_s = min(self._next_poll_s * 2, 4 * self.retry_s)
