"""Events: the one contract every target emits (host, emulator, Renode, device).

A run produces a stream of events, serialized as JSON lines (one object per
line) by ``edgesim run --json``:

    {"type": "inference", "t_ms": 990, "scores": {"silence": 0.0, ...}, "top": "yes", "raw": [-128, -128, 127, -128]}
    {"type": "detection", "t_ms": 1410, "label": "yes", "score": 0.87}
    {"type": "summary", "app": "wake_word", "target": "host", ...}

``t_ms`` is stream time in integer milliseconds (the end of the sensor data
the event is based on, counted from the start of the stream), never wall-clock
time, so that replaying a file gives the same events on every target.
``scores`` are probabilities (dequantized int8 outputs); ``raw`` carries the
int8 scores themselves so targets can be compared bit for bit.  Extra fields
are allowed and preserved (``extra``), the required ones are always present.

Usage:

    >>> from edgesim.events import InferenceEvent, parse_event
    >>> event = InferenceEvent.from_raw(990, [-128, -128, 127, -128],
    ...                                 ("silence", "unknown", "yes", "no"), 0.00390625, -128)
    >>> event.top, event.scores["yes"]
    ('yes', 0.99609375)
    >>> parse_event(event.to_json()) == event
    True
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Mapping, Sequence, TextIO, Union

from edgesim.errors import EdgesimError


class EventFormatError(EdgesimError):
    """A JSON line is not a valid edgesim event."""


def _check_fields(obj: Mapping[str, Any], required: Sequence[str], kind: str) -> None:
    missing = [name for name in required if name not in obj]
    if missing:
        raise EventFormatError(f"{kind} event is missing field(s) {', '.join(missing)}: {json.dumps(obj)[:200]}")


@dataclass
class InferenceEvent:
    """One model inference: class probabilities and the top label.

    ``raw`` holds the model's int8 output (for a float32 output, its
    probabilities read as int8 by the app layer: round(p * 256) - 128);
    ``scores`` maps label -> probability in output order.
    """

    t_ms: int
    scores: dict[str, float]
    top: str
    raw: list[int] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    type: ClassVar[str] = "inference"

    @classmethod
    def from_raw(cls, t_ms: int, raw: Sequence[int], labels: Sequence[str], scale: float, zero_point: int,
                 **extra: Any) -> "InferenceEvent":
        """Build the event from int8 scores and the output tensor's quantization.

        The top label is the first index with the highest raw score (argmax),
        as the reference sketches pick it.
        """
        raw_ints = [int(v) for v in raw]
        if len(raw_ints) != len(labels):
            raise EventFormatError(f"model gave {len(raw_ints)} scores but the app has {len(labels)} labels")
        scores = {label: float(scale) * (value - int(zero_point)) for label, value in zip(labels, raw_ints)}
        top_index = max(range(len(raw_ints)), key=lambda i: (raw_ints[i], -i))
        return cls(int(t_ms), scores, labels[top_index], raw_ints, dict(extra))

    @property
    def top_score(self) -> float:
        return self.scores[self.top]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "t_ms": self.t_ms, "scores": self.scores, "top": self.top}
        if self.raw:
            out["raw"] = self.raw
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> "InferenceEvent":
        _check_fields(obj, ("t_ms", "scores", "top"), "inference")
        known = {"type", "t_ms", "scores", "top", "raw"}
        return cls(int(obj["t_ms"]), {str(k): float(v) for k, v in obj["scores"].items()}, str(obj["top"]),
                   [int(v) for v in obj.get("raw", [])], {k: v for k, v in obj.items() if k not in known})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(", ", ": "))


@dataclass
class DetectionEvent:
    """A recognized event: a heard word, a person appearing or leaving, a completed gesture.

    ``score`` is a probability-like confidence in [0, 1].  Apps may add fields
    in ``extra``, e.g. ``{"event": "leave"}`` for person detection.
    """

    t_ms: int
    label: str
    score: float
    extra: dict[str, Any] = field(default_factory=dict)

    type: ClassVar[str] = "detection"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "t_ms": self.t_ms, "label": self.label, "score": self.score}
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> "DetectionEvent":
        _check_fields(obj, ("t_ms", "label", "score"), "detection")
        known = {"type", "t_ms", "label", "score"}
        return cls(int(obj["t_ms"]), str(obj["label"]), float(obj["score"]),
                   {k: v for k, v in obj.items() if k not in known})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(", ", ": "))


@dataclass
class SummaryEvent:
    """The last event of a run: counts, latency and drop statistics, warnings.

    ``stats`` is free-form but the runner always fills: app, target, source,
    stream_ms, wall_s, chunks, inferences, detections, dropped_chunks,
    dropped_ms, deadline_misses, latency_ms ({stage: {"p50", "p99", "max",
    "count"}}), warnings (list of sentences) and interrupted.
    """

    stats: dict[str, Any]

    type: ClassVar[str] = "summary"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **self.stats}

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> "SummaryEvent":
        return cls({k: v for k, v in obj.items() if k != "type"})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(", ", ": "))

    @property
    def warnings(self) -> list[str]:
        return list(self.stats.get("warnings", []))


Event = Union[InferenceEvent, DetectionEvent, SummaryEvent]

_TYPES: dict[str, Any] = {cls.type: cls for cls in (InferenceEvent, DetectionEvent, SummaryEvent)}


def event_from_dict(obj: Mapping[str, Any]) -> Event:
    """Turn a decoded JSON object back into its event class."""
    if not isinstance(obj, Mapping) or "type" not in obj:
        raise EventFormatError(f"not an edgesim event (no 'type' field): {str(obj)[:200]}")
    cls = _TYPES.get(obj["type"])
    if cls is None:
        raise EventFormatError(f"unknown event type {obj['type']!r}; expected one of {', '.join(_TYPES)}")
    return cls.from_dict(obj)


def parse_event(line: str) -> Event:
    """Parse one JSON line written by ``edgesim run --json``."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as error:
        raise EventFormatError(f"not a JSON line ({error}): {line[:200]!r}") from None
    return event_from_dict(obj)


def read_events(lines: Iterable[str]) -> list[Event]:
    """Parse JSON lines, skipping blank lines."""
    return [parse_event(line) for line in lines if line.strip()]


def write_event(event: Event, stream: TextIO) -> None:
    """Write one event as a JSON line and flush (consumers read live)."""
    stream.write(event.to_json() + "\n")
    stream.flush()
