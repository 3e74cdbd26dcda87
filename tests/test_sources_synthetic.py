"""Synthetic audio, the streaming resampler and the mouse-stroke conversion."""
from __future__ import annotations

import re

import numpy as np
import pytest

from edgesim.errors import SourceError
from edgesim.sources import open_source
from edgesim.sources.base import AUDIO_CHUNK_SAMPLES, STROKE_MAX_POINTS
from edgesim.sources.mouse import STROKE_HALF_EXTENT, stroke_from_canvas
from edgesim.sources.resample import Resampler, resample


def collect(spec: str) -> np.ndarray:
    with open_source(spec, "audio") as source:
        chunks = list(source)
    assert source.total_chunks == len(chunks)
    assert [c.start_sample for c in chunks] == [i * AUDIO_CHUNK_SAMPLES for i in range(len(chunks))]
    return np.concatenate([c.samples for c in chunks])


def test_tone_has_its_frequency_level_and_duration() -> None:
    samples = collect("synthetic:tone:440,duration=2,level=0.25")
    assert samples.dtype == np.int16 and len(samples) == 32000
    spectrum = np.abs(np.fft.rfft(samples))
    assert np.argmax(spectrum) * 16000 / len(samples) == pytest.approx(440, abs=1)
    assert np.abs(samples).max() == pytest.approx(0.25 * 32767, abs=2)


def test_noise_is_repeatable_and_seedable() -> None:
    first, again = collect("synthetic:noise,duration=0.5"), collect("synthetic:noise,duration=0.5")
    other = collect("synthetic:noise,duration=0.5,seed=3")
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert np.std(first) == pytest.approx(0.1 * 32767, rel=0.05)


def test_silence_default_duration() -> None:
    samples = collect("synthetic:silence")
    assert len(samples) == 10 * 16000 and not samples.any()


def test_endless_source_streams_until_closed() -> None:
    source = open_source("synthetic:tone,duration=inf", "audio")
    assert source.total_chunks is None
    for count, _chunk in enumerate(source, start=1):
        if count == 200:
            source.close()
    assert count == 200


@pytest.mark.parametrize("spec,problem", [
    ("synthetic:chirp", "unknown signal 'chirp'"),
    ("synthetic:tone:abc", "tone frequency must be a number"),
    ("synthetic:tone:9000", "below 8000 Hz"),
    ("synthetic:noise:5", "only tone takes an argument"),
    ("synthetic:tone,speed=2", "unknown option"),
    ("synthetic:tone,duration=-1", "zero or positive"),
    ("synthetic:tone,level=3", "fraction of full scale"),
    ("synthetic:noise,seed=inf", "seed must be a whole number"),
    ("synthetic:noise,seed=1.5", "seed must be a whole number"),
])
def test_bad_synthetic_specs(spec: str, problem: str) -> None:
    with pytest.raises(SourceError, match=problem):
        open_source(spec, "audio")


def test_streaming_resampler_equals_one_shot() -> None:
    signal = np.random.default_rng(4).normal(0, 3000, 22050)
    whole = resample(signal, 22050, 16000)
    resampler = Resampler(22050, 16000)
    pieces, start = [], 0
    for size in np.random.default_rng(5).integers(1, 900, 100):
        pieces.append(resampler.process(signal[start:start + size]))
        start += size
        if start >= len(signal):
            break
    pieces.append(resampler.process(signal[start:]))
    pieces.append(resampler.flush())
    assert len(whole) == 16000
    assert np.array_equal(np.concatenate(pieces), whole)


def test_mouse_stroke_is_centred_scaled_flipped_and_thinned() -> None:
    canvas = np.array([(100 + i, 300 - 2 * i) for i in range(500)])  # drawn up and to the right
    points = stroke_from_canvas(canvas)
    assert points.dtype == np.int8 and len(points) == STROKE_MAX_POINTS
    assert np.abs(points).max() == STROKE_HALF_EXTENT
    assert abs(points.astype(int).mean(axis=0)).max() <= 1
    assert points[-1, 1] > points[0, 1] and points[-1, 0] > points[0, 0]  # +y is up


def test_mouse_without_display_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(SourceError, match="needs a display"):
        open_source("mouse", "imu")


def test_mouse_with_headless_opencv_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    cv2 = pytest.importorskip("cv2")
    if not re.search(r"GUI:\s+NONE", cv2.getBuildInformation()):
        pytest.skip("unavailable here: this OpenCV build has GUI support, so the no-GUI error cannot be produced")
    monkeypatch.setenv("DISPLAY", ":99")
    with pytest.raises(SourceError, match="no GUI support"):
        open_source("mouse", "imu")
