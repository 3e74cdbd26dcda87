"""Latency percentiles in constant memory (targets/base.py LatencySketch / StageTimes)."""
from __future__ import annotations

import math
import random
import sys

import pytest

from edgesim.targets.base import LatencySketch, StageTimes


def exact_nearest_rank(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * percent / 100)) - 1]


@pytest.mark.parametrize("seed", range(5))
def test_percentiles_are_within_one_percent_and_max_is_exact(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.lognormvariate(math.log(0.004), 1.5) for _ in range(20_000)]
    values += [0.0] * rng.randint(0, 50) + [rng.uniform(1e-7, 1e-6) for _ in range(100)]
    sketch = LatencySketch()
    for value in values:
        sketch.add(value)
    for percent in (1, 10, 50, 90, 99, 99.9, 100):
        exact = exact_nearest_rank(values, percent)
        assert abs(sketch.percentile(percent) - exact) <= LatencySketch.RELATIVE_ERROR * exact, percent
    assert (sketch.max, sketch.min, sketch.count) == (max(values), min(values), len(values))


def test_memory_does_not_grow_with_the_number_of_samples() -> None:
    times = StageTimes()
    times.record("infer", 0.001)
    sketch = times._stages["infer"]
    size = sys.getsizeof(sketch._counts)
    rng = random.Random(1)
    for _ in range(200_000):
        times.record("infer", rng.expovariate(100.0))
    times.record("infer", 1e9)   # beyond the buckets: clamped, max still exact
    times.record("infer", 1e-15)
    assert sys.getsizeof(sketch._counts) == size and len(sketch._counts) == LatencySketch.BUCKETS
    summary = times.summary()["infer"]
    assert summary["count"] == 200_003 and summary["max"] == 1e12


def test_a_single_sample_is_reported_exactly_and_empty_stages_are_absent() -> None:
    times = StageTimes()
    assert times.summary() == {}
    times.record("preprocess", 0.0123)
    assert times.summary() == {"preprocess": {"p50": 12.3, "p99": 12.3, "max": 12.3, "count": 1}}
    with pytest.raises(ValueError):
        LatencySketch().percentile(50)
