"""Postprocessing: the C kernels of edgesim/kernels/post/ on numpy scores.

Scores are the model's int8 outputs; thresholds and reported scores use the
0..255 scale ``q + 128`` exactly as the firmware does.

    >>> import numpy as np
    >>> from edgesim.compute.post import CommandRecognizer
    >>> recognizer = CommandRecognizer(("silence", "unknown", "yes", "no"))
    >>> yes = np.array([-128, -128, 127, -128], np.int8)
    >>> [recognizer.process(yes, t).is_new for t in (0, 100, 200, 300)]
    [False, False, False, True]
    >>> recognizer.process(yes, 400).label
    'yes'

The recognizer needs ``minimum_count`` results spanning a quarter of the
averaging window before it decides anything; ``recognizer.health()`` says
when that never happens after warm-up (a loop that is too slow, or
timestamps in samples or bytes instead of milliseconds).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from edgesim import _post
from edgesim.compute.cpu import import_fastest

# edgesim._app_avx2 on CPUs with AVX2 (its audio feed runs the front end), else edgesim._app: same bits.
_app = import_fastest("edgesim._app")
from edgesim.errors import KernelError

if TYPE_CHECKING:
    from edgesim.app import App
    from edgesim.events import DetectionEvent


def _int8_scores(scores: np.ndarray | Sequence[int], count: int, what: str) -> bytes:
    array = np.asarray(scores)
    if array.dtype != np.int8:
        if array.size and (not np.issubdtype(array.dtype, np.integer) or array.min() < -128 or array.max() > 127):
            raise KernelError(f"{what}: scores must be int8 model outputs, got {array.dtype} values")
        array = array.astype(np.int8)
    if array.size != count:
        raise KernelError(f"{what}: expected {count} scores (one per label), got {array.size}")
    return np.ascontiguousarray(array.reshape(-1)).tobytes()


@dataclass(frozen=True)
class Recognition:
    """One recognizer step: current top label, its averaged 0..255 score, and flags."""

    top: int
    label: str
    score: int
    is_new: bool
    is_reliable: bool


class CommandRecognizer:
    """Streaming command recognizer with TFLM RecognizeCommands semantics.

    average_window_ms=1000, detection_threshold=200 (of 255), suppression_ms=1500
    and minimum_count=3 are upstream's defaults.  capacity bounds the results
    kept in the window (results beyond it evict the oldest and are counted).
    Timestamps are integer milliseconds and must not decrease (KernelError).
    """

    def __init__(self, labels: Sequence[str], average_window_ms: int = 1000, detection_threshold: int = 200,
                 suppression_ms: int = 1500, minimum_count: int = 3, capacity: int = 128) -> None:
        self.labels = tuple(labels)
        self.average_window_ms = int(average_window_ms)
        self.minimum_count = int(minimum_count)
        self._kernel = _post.Recognizer(len(self.labels), self.average_window_ms, int(detection_threshold),
                                        int(suppression_ms), self.minimum_count, int(capacity))

    def process(self, scores: np.ndarray | Sequence[int], t_ms: int) -> Recognition:
        """Feed one inference's int8 scores at stream time ``t_ms`` (milliseconds)."""
        top, score, is_new, is_reliable = self._kernel.process(
            _int8_scores(scores, len(self.labels), "recognizer"), int(t_ms))
        return Recognition(top, self.labels[top], score, is_new, is_reliable)

    def reset(self) -> None:
        self._kernel.reset()

    def counts(self) -> dict[str, int]:
        """{"results", "starved", "evicted", "starved_after_warmup"} since the last reset."""
        results, starved, evicted, starved_after_warmup = self._kernel.counts()
        return {"results": results, "starved": starved, "evicted": evicted,
                "starved_after_warmup": starved_after_warmup}

    def health(self) -> list[str]:
        """Sentences describing misuse seen so far (empty when all is well)."""
        counts = self.counts()
        return recognizer_warnings(counts["results"], counts["evicted"], counts["starved_after_warmup"],
                                   self._kernel.first_t_ms, self._kernel.last_t_ms, self.average_window_ms,
                                   self.minimum_count)


def recognizer_warnings(results: int, evicted: int, starved_after_warmup: int, first_t_ms: int | None,
                        last_t_ms: int | None, average_window_ms: int, minimum_count: int) -> list[str]:
    """The recognizer's health counters in words (empty when all is well)."""
    warnings = []
    if starved_after_warmup:
        span = (last_t_ms or 0) - (first_t_ms or 0)
        rate = (results - 1) * 1000.0 / span if span > 0 else 0.0
        warnings.append(
            f"recognizer: {starved_after_warmup} of {results} results had fewer than "
            f"{minimum_count} results in the {average_window_ms} ms window, so no command could be "
            f"recognized then (results arrive at {rate:.1f}/s of stream time; the window needs at least "
            f"{minimum_count * 1000.0 / average_window_ms:.1f}/s). The loop is too slow, or the "
            f"timestamps are not in milliseconds (samples or bytes?)")
    if evicted:
        warnings.append(f"recognizer: {evicted} results were evicted because more than the queue "
                        f"capacity arrived within one window; raise 'capacity' or infer less often")
    return warnings


class Hysteresis:
    """On/off state of one class score (0..255 scale) with a dead band and debouncing.

        >>> hysteresis = Hysteresis(on_threshold=160, off_threshold=96)
        >>> [hysteresis.process(q) for q in (100, 0, -60)]
        [(True, True), (True, False), (False, True)]
    """

    def __init__(self, on_threshold: int = 160, off_threshold: int = 96, on_count: int = 1,
                 off_count: int = 1) -> None:
        self._kernel = _post.Hysteresis(int(on_threshold), int(off_threshold), int(on_count), int(off_count))

    def process(self, score: int) -> tuple[bool, bool]:
        """Feed one int8 score; returns (active, changed)."""
        return self._kernel.process(int(score))

    @property
    def active(self) -> bool:
        return self._kernel.active

    def reset(self) -> None:
        self._kernel.reset()


def classify(scores: np.ndarray | Sequence[int], min_score: int = 0) -> tuple[int, int, bool]:
    """Top index (first maximum), its 0..255 score and whether it reaches ``min_score``.

        >>> classify([-100, 50, 50], min_score=160)
        (1, 178, True)
    """
    count = int(np.asarray(scores).size)
    if count < 1:
        raise KernelError("classify: no scores given")
    return _post.classify(_int8_scores(scores, count, "classify"), int(min_score))


def detection_score(score_255: int) -> float:
    """A 0..255 postprocessing score as the probability-like value events carry (q + 128) / 256."""
    return score_255 / 256.0


# Detection kinds of the app layer -> the "event" a DetectionEvent carries.
_EVENT_OF_KIND = {_app.DETECTION_ENTER: "enter", _app.DETECTION_LEAVE: "leave"}
_POST_KINDS = {"recognize_commands": _app.POST_RECOGNIZE, "hysteresis": _app.POST_HYSTERESIS,
               "classify": _app.POST_CLASSIFY}


class PostProcessor:
    """An app's postprocess stage: int8 scores at t_ms -> DetectionEvents.

    The decision (kernel, report mask, enter/leave labels) is the C app layer
    the firmware runs (kernels/app/post_feed.c, edgesim._app.PostFeed); this
    class only names the parameters and builds events.  Every target builds
    detection events through ``detection_event`` so a detection reads the
    same whether the kernel ran here or on a device.

        >>> from edgesim.apps import load_app
        >>> post = PostProcessor(load_app("gesture"))
        >>> post.process(np.array([-128, 100, -128, -128, -128, -128, -128, -128, -128, -128], np.int8), 1000)[0].label
        '1'
    """

    def __init__(self, app: "App") -> None:
        self.app = app
        self.kernel = app.postprocess.kernel
        if self.kernel not in _POST_KINDS:
            raise KernelError(f"unknown postprocess kernel {self.kernel!r}")
        params = app.postprocess.params
        self.average_window_ms = int(params.get("average_window_ms", 1000))
        self.minimum_count = int(params.get("minimum_count", 3))
        report = [app.label_index(label) for label in params.get("report", app.labels[1:])]
        recognizer = (self.average_window_ms, int(params.get("detection_threshold", 200)),
                      int(params.get("suppression_ms", 1500)), self.minimum_count, int(params.get("capacity", 128)))
        hysteresis = (int(params.get("on_threshold", 160)), int(params.get("off_threshold", 96)),
                      int(params.get("on_count", 1)), int(params.get("off_count", 1)))
        self._feed = _app.PostFeed(_POST_KINDS[self.kernel], len(app.labels), report,
                                   app.label_index(params.get("label", app.labels[-1])), recognizer, hysteresis,
                                   int(params.get("min_score", 0)))

    def detection_event(self, t_ms: int, top: int, score_255: int, **extra: object) -> "DetectionEvent":
        """The event for a kernel's decision: label index ``top`` with its 0..255 score (shared by all targets)."""
        from edgesim.events import DetectionEvent

        return DetectionEvent(int(t_ms), self.app.labels[top], detection_score(score_255), dict(extra))

    def process(self, raw: np.ndarray, t_ms: int) -> list["DetectionEvent"]:
        detection = self._feed.process(_int8_scores(raw, len(self.app.labels), "postprocess"), int(t_ms))
        if detection is None:
            return []
        kind, label, score = detection
        extra = {"event": _EVENT_OF_KIND[kind]} if kind in _EVENT_OF_KIND else {}
        return [self.detection_event(t_ms, label, score, **extra)]

    def reset(self) -> None:
        self._feed.reset()

    def health(self) -> list[str]:
        if self.kernel != "recognize_commands":
            return []
        results, _, evicted, starved_after_warmup = self._feed.counts()
        return recognizer_warnings(results, evicted, starved_after_warmup, self._feed.first_t_ms,
                                   self._feed.last_t_ms, self.average_window_ms, self.minimum_count)
