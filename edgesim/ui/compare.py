"""``--compare TARGET``: the same chunks through two targets at once, events checked pair by pair.

``CompareTarget`` is a Target, so the runner drives it like any other; it
returns the primary target's events (what ``--json`` prints) and matches the
other target's events against them in order: same type, same t_ms, same int8
scores (inferences) or the same label and score (detections).  A target may
return events late (QEMU answers over a UART), so unmatched events wait in
bounded queues.  The first difference is kept, named and reported in the
summary (``compare``) and as it happens to ``on_status``.

    with CompareTarget(create_target("host"), create_target("emulator")) as target:
        target.open(app)
        Runner(app, target, source).run(...)
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable

from edgesim.app import App
from edgesim.events import DetectionEvent, Event, InferenceEvent
from edgesim.targets.base import Target

MAX_PENDING = 4096  # events one side may be ahead of the other


def event_key(event: Event) -> tuple[Any, ...]:
    """What must be identical across targets (wall-clock fields are not part of it)."""
    if isinstance(event, InferenceEvent):
        return ("inference", event.t_ms, tuple(event.raw) if event.raw else tuple(event.scores.values()))
    if isinstance(event, DetectionEvent):
        return ("detection", event.t_ms, event.label, event.score)
    return (event.type,)


def describe(event: Event | None) -> str:
    if event is None:
        return "nothing"
    if isinstance(event, InferenceEvent):
        return f"inference at {event.t_ms} ms, raw {event.raw or list(event.scores.values())}"
    if isinstance(event, DetectionEvent):
        return f"detection {event.label!r} at {event.t_ms} ms (score {event.score:.3f})"
    return event.type


class CompareTarget(Target):
    """Runs ``primary`` and ``other`` side by side (see the module docstring)."""

    def __init__(self, primary: Target, other: Target,
                 on_status: Callable[[dict[str, Any]], None] | None = None,
                 on_other_event: Callable[[Event], None] | None = None) -> None:
        super().__init__()
        self.primary, self.other = primary, other
        self.name = primary.name  # type: ignore[misc]  # events and summary read as the primary's
        self.timings = primary.timings
        self.on_status = on_status or (lambda status: None)
        self.on_other_event = on_other_event or (lambda event: None)
        self._pending: dict[str, deque[Event]] = {"primary": deque(), "other": deque()}
        self.checked = 0
        self.first_difference: dict[str, Any] | None = None

    def open(self, app: App) -> None:
        self.app = app
        self.primary.open(app)
        self.other.open(app)

    def _take(self, primary: list[Event], other: list[Event]) -> list[Event]:
        for event in other:
            self.on_other_event(event)
        self._pending["primary"].extend(primary)
        self._pending["other"].extend(other)
        before = (self.checked, self.first_difference)
        mine, theirs = self._pending["primary"], self._pending["other"]
        while mine and theirs:
            a, b = mine.popleft(), theirs.popleft()
            self.checked += 1
            if self.first_difference is None and event_key(a) != event_key(b):
                self._differ(a, b)
        if self.first_difference is None and max(len(mine), len(theirs)) > MAX_PENDING:
            late = self.other.name if len(mine) > len(theirs) else self.primary.name
            self._differ(mine[0] if mine else None, theirs[0] if theirs else None,
                         f"{late} fell more than {MAX_PENDING} events behind")
            mine.clear()
            theirs.clear()
        if (self.checked, self.first_difference) != before:
            self.on_status(self.status())
        return primary

    def _differ(self, a: Event | None, b: Event | None, why: str = "") -> None:
        self.first_difference = {
            "index": self.checked, self.primary.name: a.to_dict() if a else None,
            self.other.name: b.to_dict() if b else None,
            "description": why or f"event {self.checked}: {self.primary.name} gave {describe(a)}, "
                                  f"{self.other.name} gave {describe(b)}"}

    def status(self) -> dict[str, Any]:
        return {"kind": "compare", "targets": [self.primary.name, self.other.name], "checked": self.checked,
                "identical": self.first_difference is None, "first_difference": self.first_difference}

    def process(self, chunk: Any) -> list[Event]:
        return self._take(self.primary.process(chunk), self.other.process(chunk))

    def finish(self) -> list[Event]:
        events = self._take(self.primary.finish(), self.other.finish())
        mine, theirs = self._pending["primary"], self._pending["other"]
        if (mine or theirs) and self.first_difference is None:
            self._differ(mine[0] if mine else None, theirs[0] if theirs else None,
                         f"{self.primary.name} gave {len(mine)} more events than {self.other.name}" if mine else
                         f"{self.other.name} gave {len(theirs)} more events than {self.primary.name}")
            self.on_status(self.status())
        mine.clear()
        theirs.clear()
        return events

    def reset(self) -> None:
        self.primary.reset()
        self.other.reset()

    def close(self) -> None:
        try:
            self.primary.close()
        finally:
            self.other.close()

    def stats(self) -> dict[str, Any]:
        stats = dict(self.primary.stats())
        warnings = list(stats.pop("warnings", []))
        status = self.status()
        stats["compare"] = {key: status[key] for key in ("targets", "checked", "identical", "first_difference")}
        if self.first_difference is not None:
            warnings.append(f"{self.primary.name} and {self.other.name} differ: "
                            f"{self.first_difference['description']}")
        stats["warnings"] = warnings
        return stats
