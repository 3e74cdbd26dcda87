"""Evaluation: labelled files -> accuracy and confusion matrix; a long stream -> false accepts/rejects.

Two kinds of dataset (``edgesim eval APP DATASET``):

* Labelled files: one folder per label (``DATASET/yes/clip1.wav``), a
  ``DATASET/labels.csv`` or a CSV manifest (``file,label``), or the Speech
  Commands layout with its validation/testing lists (edgesim.evaluation.datasets).  Each file
  is an independent stream (the target is reset between files) and its
  prediction is the top label of the *last* inference of that stream: for a
  1 s wake word clip the one inference over the whole clip, for an image its
  one frame, for a stroke the inference on that stroke.

* A long recording (a WAV file) plus its word times, in the spirit of the
  MLPerf Tiny streaming wake word task: a CSV (``label,start_ms,end_ms``) or
  JSON (``[{"label", "start_ms", "end_ms"}, ...]``) beside it or given with
  ``--words``.  A detection is a hit when its label matches a word that starts
  at or before it and ended no more than ``tolerance_ms`` before it; each word
  matches at most one detection.  Unmatched words are false rejects,
  unmatched detections false accepts.  Words whose label the app does not
  report (distractors) are not expected to be detected.

    files = find_labelled_files(Path("dataset"), app)
    report = evaluate_folder(app, "emulator", {}, files, workers=4)
    print(report.format())

Dataset layouts are in edgesim.evaluation.datasets, parallel and Ray
workers in edgesim.evaluation.parallel.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from edgesim.app import App
from edgesim.errors import SourceError
from edgesim.events import DetectionEvent, Event, InferenceEvent
from edgesim.pipeline import Runner
from edgesim.evaluation.datasets import LabelledFile, find_labelled_files
from edgesim.evaluation.parallel import FileResult, Retry, evaluate_files
from edgesim.targets.base import Target

NO_PREDICTION = "(none)"
ERROR = "(error)"
DEFAULT_TOLERANCE_MS = 1500


def run_stream(app: App, target: Target, spec: str) -> list[Event]:
    """All events of one independent stream (the target is reset first)."""
    from edgesim.sources import open_source

    events: list[Event] = []
    target.reset()
    with open_source(spec, app.sensor.kind) as source:
        Runner(app, target, source).run(on_event=events.append)
    return events


def last_inference(events: list[Event]) -> InferenceEvent | None:
    inferences = [e for e in events if isinstance(e, InferenceEvent)]
    return inferences[-1] if inferences else None


@dataclass
class ClassificationReport:
    """Accuracy and confusion matrix (rows: true label, columns: prediction)."""

    labels: tuple[str, ...]
    results: list[dict[str, Any]] = field(default_factory=list)
    retries: list[Retry] = field(default_factory=list)

    def add(self, item: LabelledFile, result: FileResult) -> None:
        prediction = ERROR if result.error is not None else result.prediction or NO_PREDICTION
        entry = {"file": str(item.path), "label": item.label, "prediction": prediction,
                 "score": result.score, "raw": result.raw}
        if result.error is not None:
            entry["error"] = result.error
        self.results.append(entry)

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [r for r in self.results if "error" in r]

    @property
    def correct(self) -> int:
        return sum(r["label"] == r["prediction"] for r in self.results)

    @property
    def accuracy(self) -> float:
        return self.correct / len(self.results) if self.results else 0.0

    def confusion(self) -> dict[str, dict[str, int]]:
        columns = list(self.labels) + [NO_PREDICTION] + ([ERROR] if self.errors else [])
        matrix = {label: {column: 0 for column in columns} for label in self.labels}
        for r in self.results:
            matrix[r["label"]][r["prediction"]] += 1
        return matrix

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "classification", "files": len(self.results), "correct": self.correct,
                "accuracy": round(self.accuracy, 6), "per_class": self.per_class_accuracy(),
                "confusion": self.confusion(), "errors": len(self.errors),
                "retries": [{"file": r.file, "worker": r.worker, "error": r.error} for r in self.retries],
                "results": self.results}

    def per_class_accuracy(self) -> dict[str, float | None]:
        """Fraction right per true label (None for a label without files)."""
        out: dict[str, float | None] = {}
        for label in self.labels:
            rows = [r for r in self.results if r["label"] == label]
            out[label] = round(sum(r["prediction"] == label for r in rows) / len(rows), 6) if rows else None
        return out

    def format(self) -> str:
        matrix = self.confusion()
        columns = [c for c in list(self.labels) + [NO_PREDICTION, ERROR]
                   if c in self.labels or any(row.get(c) for row in matrix.values())]
        width = max(8, *(len(c) for c in columns), *(len(label) for label in self.labels))
        lines = [f"accuracy {self.accuracy * 100:.1f}% ({self.correct}/{len(self.results)} files)", "",
                 "confusion (rows: true label, columns: predicted)",
                 " " * width + "".join(f"{c:>{width + 1}}" for c in columns)]
        for label in self.labels:
            lines.append(f"{label:<{width}}" + "".join(f"{matrix[label][c]:>{width + 1}}" for c in columns))
        wrong = [r for r in self.results if r["label"] != r["prediction"]]
        if wrong:
            lines += ["", "misclassified:"] + [f"  {r['file']}: {r['label']} -> {r['prediction']}"
                                                + (f" ({r['error']})" if "error" in r else "") for r in wrong]
        if self.retries:
            lines += ["", "retried on another worker:"] + [f"  {r.file}: {r.error}" for r in self.retries]
        return "\n".join(lines)


def evaluate_folder(app: App, target_name: str, options: dict[str, Any], files: list[LabelledFile], *,
                    workers: int = 1, cluster: str | None = None, explicit_workers: bool = True,
                    on_done: Callable[[int, str, FileResult], None] | None = None,
                    on_retry: Callable[[Retry], None] | None = None) -> ClassificationReport:
    """Classify every labelled file, ``workers`` at a time (or on a Ray ``cluster``); results in file order."""
    results, retries = evaluate_files(app, target_name, options, [str(f.path) for f in files], workers=workers,
                                      cluster=cluster, explicit_workers=explicit_workers,
                                      on_done=on_done, on_retry=on_retry)
    report = ClassificationReport(app.labels, retries=retries)
    for item, result in zip(files, results):
        report.add(item, result)
    return report


# ---------------------------------------------------------------------------------------- streams
@dataclass(frozen=True)
class Word:
    label: str
    start_ms: float
    end_ms: float


def read_word_times(path: Path) -> list[Word]:
    """Word times from CSV (label,start_ms,end_ms) or JSON ([{label,start_ms,end_ms}] or {"words": [...]})."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(f"{path}: cannot read word times ({error})") from None
    words = []
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise SourceError(f"{path}: not valid JSON ({error})") from None
        items = data.get("words") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise SourceError(f"{path}: expected a list of {{label, start_ms, end_ms}} objects")
        for index, item in enumerate(items):
            try:
                words.append(Word(str(item["label"]), float(item["start_ms"]), float(item["end_ms"])))
            except (KeyError, TypeError, ValueError):
                raise SourceError(f"{path}: word {index} needs label, start_ms and end_ms: {item!r}") from None
    else:
        for number, row in enumerate(csv.reader(text.splitlines()), start=1):
            if not row or row[0].strip().startswith("#"):
                continue
            if number == 1 and row[0].strip() == "label":
                continue
            try:
                words.append(Word(row[0].strip(), float(row[1]), float(row[2])))
            except (IndexError, ValueError):
                raise SourceError(f"{path}: line {number} must be label,start_ms,end_ms: {','.join(row)!r}") from None
    for word in words:
        if word.end_ms < word.start_ms:
            raise SourceError(f"{path}: word {word.label!r} ends ({word.end_ms} ms) before it starts "
                              f"({word.start_ms} ms)")
    return sorted(words, key=lambda w: w.start_ms)


def word_times_beside(stream: Path) -> Path:
    """The word-times file next to a stream: same name with .csv or .json."""
    for suffix in (".csv", ".json"):
        candidate = stream.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    raise SourceError(f"{stream}: no word times found; put {stream.with_suffix('.csv').name} "
                      f"(label,start_ms,end_ms) beside it or pass --words FILE")


@dataclass
class StreamReport:
    """Event-level result of a long stream."""

    expected: list[Word]
    detections: list[DetectionEvent]
    hits: list[tuple[Word, DetectionEvent]]
    false_rejects: list[Word]
    false_accepts: list[DetectionEvent]
    stream_ms: float
    inferences: list[InferenceEvent] = field(default_factory=list)  # score timeline for plots, not in to_dict()

    @property
    def hit_rate(self) -> float:
        return len(self.hits) / len(self.expected) if self.expected else 1.0

    def to_dict(self) -> dict[str, Any]:
        hours = self.stream_ms / 3_600_000 if self.stream_ms else 0.0
        delays = [d.t_ms - w.end_ms for w, d in self.hits]
        return {
            "kind": "stream", "stream_ms": self.stream_ms, "words": len(self.expected), "hits": len(self.hits),
            "false_rejects": len(self.false_rejects), "false_accepts": len(self.false_accepts),
            "false_reject_rate": round(1 - self.hit_rate, 6),
            "false_accepts_per_hour": round(len(self.false_accepts) / hours, 3) if hours else None,
            "mean_delay_after_word_ms": round(sum(delays) / len(delays), 1) if delays else None,
            "expected": [{"label": w.label, "start_ms": w.start_ms, "end_ms": w.end_ms} for w in self.expected],
            "detections": [e.to_dict() for e in self.detections],
            "missed": [{"label": w.label, "start_ms": w.start_ms, "end_ms": w.end_ms} for w in self.false_rejects],
            "spurious": [e.to_dict() for e in self.false_accepts],
        }

    def format(self) -> str:
        d = self.to_dict()
        lines = [f"{d['hits']}/{d['words']} words detected; {d['false_rejects']} false rejects, "
                 f"{d['false_accepts']} false accepts in {self.stream_ms / 1000:.1f} s"
                 + (f" ({d['false_accepts_per_hour']:.1f}/hour)" if d["false_accepts_per_hour"] is not None else "")]
        if d["mean_delay_after_word_ms"] is not None:
            lines.append(f"mean detection delay after the word ends: {d['mean_delay_after_word_ms']:.0f} ms")
        lines += [f"  missed {w.label!r} at {w.start_ms / 1000:.3f}-{w.end_ms / 1000:.3f} s" for w in self.false_rejects]
        lines += [f"  false accept {e.label!r} at {e.t_ms / 1000:.3f} s" for e in self.false_accepts]
        return "\n".join(lines)


def score_stream(detections: list[DetectionEvent], words: list[Word], reported: set[str],
                 tolerance_ms: float = DEFAULT_TOLERANCE_MS, stream_ms: float = 0.0) -> StreamReport:
    """Match detections to words (see the module docstring)."""
    expected = [w for w in words if w.label in reported]
    remaining = sorted(detections, key=lambda e: e.t_ms)
    hits = []
    misses = []
    for word in expected:
        match = next((e for e in remaining if e.label == word.label and word.start_ms <= e.t_ms
                      <= word.end_ms + tolerance_ms), None)
        if match is None:
            misses.append(word)
        else:
            remaining.remove(match)
            hits.append((word, match))
    return StreamReport(expected, detections, hits, misses, remaining, stream_ms)


def reported_labels(app: App) -> set[str]:
    """Labels whose detections count as events in stream evaluation."""
    report = app.postprocess.params.get("report")
    return set(report) if report else set(app.labels)


def evaluate_stream(app: App, target: Target, stream: Path, words: list[Word],
                    tolerance_ms: float = DEFAULT_TOLERANCE_MS) -> StreamReport:
    events = run_stream(app, target, str(stream))
    detections = [e for e in events if isinstance(e, DetectionEvent)]
    summary = events[-1].to_dict() if events else {}
    report = score_stream(detections, words, reported_labels(app), tolerance_ms, float(summary.get("stream_ms", 0.0)))
    report.inferences = [e for e in events if isinstance(e, InferenceEvent)]
    return report
