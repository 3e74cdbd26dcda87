"""The JSON-lines event schema every target emits."""
from __future__ import annotations

import io
import json

import pytest

from edgesim.events import (DetectionEvent, EventFormatError, InferenceEvent, SummaryEvent, parse_event, read_events,
                            write_event)

LABELS = ("silence", "unknown", "yes", "no")


def test_inference_event_has_exactly_the_schema_fields_plus_raw() -> None:
    event = InferenceEvent.from_raw(990, [-128, -114, -128, 114], LABELS, 0.00390625, -128)
    obj = json.loads(event.to_json())
    assert obj == {"type": "inference", "t_ms": 990, "top": "no", "raw": [-128, -114, -128, 114],
                   "scores": {"silence": 0.0, "unknown": 14 / 256, "yes": 0.0, "no": 242 / 256}}
    assert list(obj["scores"]) == list(LABELS)  # output order is kept
    assert "\n" not in event.to_json()


def test_top_is_the_first_maximum_like_argmax() -> None:
    event = InferenceEvent.from_raw(0, [5, 9, 9, -3], LABELS, 0.00390625, -128)
    assert event.top == "unknown" and event.top_score == pytest.approx(137 / 256)


def test_detection_and_summary_serialize_with_extras() -> None:
    detection = DetectionEvent(1400, "person", 0.875, {"event": "enter"})
    assert json.loads(detection.to_json()) == {"type": "detection", "t_ms": 1400, "label": "person", "score": 0.875,
                                               "event": "enter"}
    summary = SummaryEvent({"app": "wake_word", "warnings": ["slow"], "latency_ms": {}})
    assert json.loads(summary.to_json())["type"] == "summary"
    assert summary.warnings == ["slow"]


def test_every_event_round_trips_through_json_lines() -> None:
    events = [InferenceEvent.from_raw(20, [1, 2, 3, 4], LABELS, 0.00390625, -128, frame=7),
              DetectionEvent(40, "yes", 0.8), SummaryEvent({"inferences": 1, "interrupted": False})]
    stream = io.StringIO()
    for event in events:
        write_event(event, stream)
    assert read_events(stream.getvalue().splitlines() + [""]) == events
    assert read_events([events[0].to_json()])[0].extra == {"frame": 7}


@pytest.mark.parametrize("line, message", [
    ("not json", "not a JSON line"),
    ('{"t_ms": 1}', "no 'type' field"),
    ('{"type": "frame"}', "unknown event type 'frame'"),
    ('{"type": "detection", "t_ms": 5}', "missing field(s) label, score"),
    ('{"type": "inference", "scores": {}}', "missing field(s) t_ms, top"),
    ("[1, 2]", "no 'type' field"),
])
def test_malformed_lines_are_rejected_with_the_reason(line: str, message: str) -> None:
    with pytest.raises(EventFormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_event(line)


def test_score_count_must_match_labels() -> None:
    with pytest.raises(EventFormatError, match="3 scores but the app has 4 labels"):
        InferenceEvent.from_raw(0, [1, 2, 3], LABELS, 1.0, 0)
