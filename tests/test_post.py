"""The postprocessing faces (edgesim.compute.post) against a Python model of TFLM RecognizeCommands."""
from __future__ import annotations

import numpy as np
import pytest

from edgesim.errors import KernelError
from edgesim.compute.post import CommandRecognizer, Hysteresis, classify

LABELS = ("silence", "unknown", "yes", "no")
YES = np.array([-128, -128, 127, -128], np.int8)


class UpstreamRecognizer:
    """TFLM's RecognizeCommands::ProcessLatestResults, restated in Python as the test's reference
    (unbounded queue, monotonic timestamps)."""

    def __init__(self, window: int = 1000, threshold: int = 200, suppression: int = 1500, minimum: int = 3):
        self.window, self.threshold, self.suppression, self.minimum = window, threshold, suppression, minimum
        self.queue: list[tuple[int, np.ndarray]] = []
        self.previous_top, self.previous_time = 0, None

    def process(self, scores: np.ndarray, now: int) -> tuple[int, int, bool]:
        self.queue.append((now, scores.astype(np.int32) + 128))
        self.queue = [(t, s) for t, s in self.queue if t >= now - self.window]
        if len(self.queue) < self.minimum or now - self.queue[0][0] < self.window // 4:
            return self.previous_top, 0, False
        average = sum(s for _, s in self.queue) // len(self.queue)
        top, top_score = 0, 0
        for i, value in enumerate(average):
            if value > top_score:
                top, top_score = i, int(value)
        if self.previous_top == 0 or self.previous_time is None:
            since = float("inf")
        else:
            since = now - self.previous_time
        is_new = top_score > self.threshold and (top != self.previous_top or since > self.suppression)
        if is_new:
            self.previous_top, self.previous_time = top, now
        return top, top_score, is_new


@pytest.mark.parametrize("seed", range(6))
def test_recognizer_matches_the_upstream_semantics_on_random_streams(seed: int) -> None:
    rng = np.random.default_rng(seed)
    params = dict(window=int(rng.choice([500, 1000, 1500])), threshold=int(rng.integers(100, 230)),
                  suppression=int(rng.choice([0, 700, 1500])), minimum=int(rng.integers(1, 5)))
    reference = UpstreamRecognizer(**params)
    recognizer = CommandRecognizer(LABELS, params["window"], params["threshold"], params["suppression"],
                                   params["minimum"], capacity=512)
    now, detections = 0, 0
    # Runs of one dominant class with noise, so detections, suppression and label changes all happen.
    for _ in range(60):
        dominant = int(rng.integers(0, 4))
        for _ in range(int(rng.integers(3, 30))):
            now += int(rng.choice([0, 10, 20, 40, 100, 300]))
            scores = rng.integers(-128, -60, 4)
            scores[dominant] = rng.integers(40, 128)
            scores = scores.astype(np.int8)
            top, score, is_new = reference.process(scores, now)
            got = recognizer.process(scores, now)
            assert (got.top, got.score, got.is_new) == (top, score, is_new), (now, scores)
            detections += is_new
    assert detections > 5


def test_recognizer_detects_after_minimum_count_and_suppresses_repeats() -> None:
    recognizer = CommandRecognizer(LABELS)
    steps = [recognizer.process(YES, t) for t in range(0, 2001, 100)]
    assert [t for t, step in zip(range(0, 2001, 100), steps) if step.is_new] == [300, 1900]
    assert steps[3].label == "yes" and steps[3].score == 255
    assert recognizer.health() == []


def test_timestamps_in_samples_never_reach_the_minimum_count_and_say_so() -> None:
    recognizer = CommandRecognizer(LABELS)
    hop_samples = 1600  # a result every 100 ms, stamped in 16 kHz samples instead of ms
    steps = [recognizer.process(YES, i * hop_samples) for i in range(30)]
    assert not any(step.is_new or step.is_reliable for step in steps)
    [warning] = recognizer.health()
    assert "fewer than 3 results in the 1000 ms window" in warning and "samples or bytes" in warning
    assert recognizer.counts()["starved_after_warmup"] == 29


def test_a_slow_loop_is_reported_but_warm_up_is_not() -> None:
    slow = CommandRecognizer(LABELS)
    for t in range(0, 5000, 600):  # < 3 results per second
        slow.process(YES, t)
    [warning] = slow.health()
    assert "results arrive at 1.7/s" in warning and "at least 3.0/s" in warning
    fast = CommandRecognizer(LABELS)
    for t in range(0, 5000, 40):
        fast.process(YES, t)
    assert fast.counts()["starved"] > 0 and fast.health() == []


def test_out_of_order_timestamp_is_an_error_naming_both_times() -> None:
    recognizer = CommandRecognizer(LABELS)
    recognizer.process(YES, 500)
    with pytest.raises(KernelError, match="500 ms"):
        recognizer.process(YES, 499)
    assert recognizer.process(YES, 600).is_reliable is False  # state intact, still warming up


def test_capacity_overflow_is_counted_and_reported() -> None:
    recognizer = CommandRecognizer(LABELS, capacity=10)
    for t in range(0, 1000, 20):
        recognizer.process(YES, t)
    assert recognizer.counts()["evicted"] == 40
    assert any("capacity" in w for w in recognizer.health())


def test_recognizer_rejects_bad_parameters_and_inputs() -> None:
    with pytest.raises(KernelError, match="recognizer parameters"):
        CommandRecognizer(LABELS, detection_threshold=300)
    with pytest.raises(KernelError, match="32-bit"):
        CommandRecognizer(LABELS, average_window_ms=2**40)
    recognizer = CommandRecognizer(LABELS)
    with pytest.raises(KernelError, match="expected 4 scores"):
        recognizer.process(np.zeros(3, np.int8), 0)
    with pytest.raises(KernelError, match="int8"):
        recognizer.process(np.array([0.5, 0.1, 0.2, 0.2]), 0)
    with pytest.raises(KernelError, match="32-bit"):
        recognizer.process(YES, 2**31)


def test_reset_restarts_stream_time() -> None:
    recognizer = CommandRecognizer(LABELS)
    for t in range(0, 400, 100):
        recognizer.process(YES, t)
    recognizer.reset()
    assert recognizer.counts()["results"] == 0
    assert not recognizer.process(YES, 0).is_reliable


def test_hysteresis_switches_with_dead_band_and_counts() -> None:
    hysteresis = Hysteresis(on_threshold=160, off_threshold=96, on_count=2, off_count=1)
    values = [200, 200, 120, 120, 90, 200, 100]  # 0..255 scale
    states = [hysteresis.process(v - 128) for v in values]
    assert states == [(False, False), (True, True), (True, False), (True, False), (False, True), (False, False),
                      (False, False)]
    with pytest.raises(KernelError, match="off_threshold <= on_threshold"):
        Hysteresis(on_threshold=100, off_threshold=150)


def test_classify_takes_the_first_maximum() -> None:
    assert classify(np.array([3, 9, 9, -128], np.int8)) == (1, 137, True)
    assert classify([3, 9, 9, -128], min_score=200) == (1, 137, False)
    with pytest.raises(KernelError):
        classify(np.array([], np.int8))
