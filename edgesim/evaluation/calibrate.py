"""Post-processing calibration: sweep the command recognizer's settings on long labelled streams.

Each stream runs once through the target (any target: the model's int8 scores
are what it returns); every setting is then replayed over those scores with
the same C post-processing kernel the firmware runs (edgesim.compute.post),
so a sweep of hundreds of settings costs one pass of the model.  Each setting
is scored like ``edgesim eval`` scores a stream (edgesim.evaluation.score_stream):
false accepts per hour against the false-reject rate.

    streams = [StreamScores.from_events("long.wav", inferences, words, stream_ms)]
    table = calibrate(app, streams, {"detection_threshold": range(100, 241, 10)})
    best = recommend(table, max_fa_per_hour=1.0, current=check_app(app))

Only apps whose postprocess is ``recognize_commands`` (wake_word) have these
settings; others are refused with a clear message.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from edgesim.app import App, AppError, Stage
from edgesim.evaluation import DEFAULT_TOLERANCE_MS, Word, reported_labels, score_stream
from edgesim.events import InferenceEvent

PARAMETERS = ("detection_threshold", "suppression_ms", "average_window_ms", "minimum_count")
DEFAULTS = {"detection_threshold": 200, "suppression_ms": 1500, "average_window_ms": 1000, "minimum_count": 3}


@dataclass(frozen=True)
class StreamScores:
    """One stream's inferences (t_ms, int8 scores) from the target, its word times and length."""

    name: str
    inferences: tuple[tuple[int, tuple[int, ...]], ...]
    words: tuple[Word, ...]
    stream_ms: float

    @classmethod
    def from_events(cls, name: str, inferences: Sequence[InferenceEvent], words: Sequence[Word],
                    stream_ms: float) -> "StreamScores":
        return cls(name, tuple((e.t_ms, tuple(e.raw)) for e in inferences), tuple(words), stream_ms)


@dataclass(frozen=True)
class Outcome:
    """One setting's result over every stream."""

    setting: dict[str, int]
    words: int
    false_rejects: int
    false_accepts: int
    hours: float

    @property
    def false_reject_rate(self) -> float:
        return self.false_rejects / self.words if self.words else 0.0

    @property
    def fa_per_hour(self) -> float:
        return self.false_accepts / self.hours if self.hours else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**self.setting, "words": self.words, "false_rejects": self.false_rejects,
                "false_reject_rate": round(self.false_reject_rate, 6), "false_accepts": self.false_accepts,
                "false_accepts_per_hour": round(self.fa_per_hour, 3)}


def check_app(app: App) -> dict[str, int]:
    """The app's current settings; AppError unless its postprocess has them."""
    if app.postprocess.kernel != "recognize_commands":
        raise AppError(f"app {app.name!r}: calibrate sweeps the recognize_commands post-processing "
                       f"({', '.join(PARAMETERS)}); this app uses {app.postprocess.kernel!r}")
    return {name: int(app.postprocess.params.get(name, DEFAULTS[name])) for name in PARAMETERS}


def settings(grid: dict[str, Sequence[int]]) -> list[dict[str, int]]:
    names = list(grid)
    return [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]


def with_setting(app: App, setting: dict[str, int]) -> App:
    return replace(app, postprocess=Stage(app.postprocess.kernel, {**app.postprocess.params, **setting}))


def replay(app: App, stream: StreamScores, tolerance_ms: float) -> tuple[int, int, int]:
    """(expected words, false rejects, false accepts) of ``app``'s post-processing over ``stream``."""
    import numpy as np

    from edgesim.compute.post import PostProcessor

    post = PostProcessor(app)
    detections = []
    for t_ms, raw in stream.inferences:
        detections += post.process(np.asarray(raw, dtype=np.int8), t_ms)
    report = score_stream(detections, list(stream.words), reported_labels(app), tolerance_ms, stream.stream_ms)
    return len(report.expected), len(report.false_rejects), len(report.false_accepts)


def calibrate(app: App, streams: Sequence[StreamScores], grid: dict[str, Sequence[int]],
              tolerance_ms: float = DEFAULT_TOLERANCE_MS,
              progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
    """Every setting of ``grid`` (over the app's current values) scored over every stream."""
    current = check_app(app)
    hours = sum(s.stream_ms for s in streams) / 3_600_000
    table = []
    combos = settings({**{k: [v] for k, v in current.items()}, **grid})
    for number, setting in enumerate(combos, start=1):
        variant = with_setting(app, setting)
        totals = [replay(variant, stream, tolerance_ms) for stream in streams]
        table.append(Outcome(setting, *(sum(t[i] for t in totals) for i in range(3)), hours))
        if progress:
            progress(number, len(combos))
    return table


def pareto(table: Iterable[Outcome]) -> list[Outcome]:
    """Settings no other setting beats on both false accepts and false rejects, by FA/hour."""
    best: list[Outcome] = []
    for outcome in sorted(table, key=lambda o: (o.fa_per_hour, o.false_reject_rate)):
        if not best or outcome.false_reject_rate < best[-1].false_reject_rate:
            best.append(outcome)
    return best


def recommend(table: Sequence[Outcome], max_fa_per_hour: float, current: dict[str, int]) -> Outcome | None:
    """Fewest false rejects with at most ``max_fa_per_hour``; ties: fewer false accepts, then closest to now."""
    allowed = [o for o in table if o.fa_per_hour <= max_fa_per_hour]
    if not allowed:
        return None
    distance = lambda o: sum(abs(o.setting[k] - current[k]) / max(1, current[k]) for k in o.setting)
    return min(allowed, key=lambda o: (o.false_rejects, o.false_accepts, distance(o)))


def write_setting(path: Path, setting: dict[str, int]) -> None:
    """Rewrite the numbers of ``"name": value`` entries in an app file, keeping its comments and layout."""
    text = path.read_text(encoding="utf-8")
    for name, value in setting.items():
        pattern = re.compile(rf'(["\']{name}["\']\s*:\s*)-?\d+')
        if len(pattern.findall(text)) != 1:
            raise AppError(f"{path}: cannot find exactly one {name!r} entry to update; set {name}={value} by hand")
        text = pattern.sub(lambda match: f"{match.group(1)}{value}", text)
    path.write_text(text, encoding="utf-8")


def det_curves(table: Sequence[Outcome], current: dict[str, int]) -> dict[str, list[tuple[float, float]]]:
    """For the DET plot: the threshold sweep at the app's other settings, and the best trade-offs overall."""
    others = {k: v for k, v in current.items() if k != "detection_threshold"}
    sweep = [o for o in table if all(o.setting[k] == v for k, v in others.items())]
    curves = {"best settings (Pareto front)": [(o.fa_per_hour, o.false_reject_rate) for o in pareto(table)]}
    if len(sweep) > 1:
        curves["threshold only"] = [(o.fa_per_hour, o.false_reject_rate) for o in sweep]
    return curves
