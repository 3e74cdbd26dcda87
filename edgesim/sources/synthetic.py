"""Synthetic audio: tone, noise or silence, for demos and tests without a microphone.

Spec syntax (the part after ``synthetic:``):

    tone[:FREQ_HZ]    sine wave, default 1000 Hz
    noise             white Gaussian noise (repeatable: seed 0 unless seed= is given)
    silence           all zeros
  followed by optional ``,key=value`` options:
    duration=SECONDS  stream length, default 10; ``inf`` streams until stopped
    level=FRACTION    peak (tone) or RMS (noise) amplitude as a fraction of full scale, default 0.5 / 0.1
    seed=N            noise seed

Examples: ``synthetic:tone:440,duration=2``, ``synthetic:noise,level=0.05``, ``synthetic:silence``.

Usage:

    with open_synthetic("tone:1000,duration=1") as source:
        samples = np.concatenate([chunk.samples for chunk in source])   # 16000 samples
"""
from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from edgesim.errors import SourceError
from edgesim.sources.base import AUDIO_CHUNK_SAMPLES, AUDIO_RATE_HZ, AudioChunk, Source
from edgesim.sources.resample import to_int16

SIGNALS = ("tone", "noise", "silence")
DEFAULT_DURATION_S = 10.0
DEFAULT_TONE_HZ = 1000.0
DEFAULT_LEVEL = {"tone": 0.5, "noise": 0.1, "silence": 0.0}
FULL_SCALE = 32767.0


class SyntheticSource(Source):
    """Generated 16 kHz int16 audio in AUDIO_CHUNK_SAMPLES-sample chunks."""

    kind = "audio"

    def __init__(self, signal: str, frequency_hz: float, duration_s: float, level: float, seed: int) -> None:
        what = f"{frequency_hz:g} Hz tone" if signal == "tone" else signal
        length = "endless" if math.isinf(duration_s) else f"{duration_s:g} s"
        super().__init__(f"synthetic {what} ({length}, level {level:g})")
        self.signal, self.frequency_hz, self.level = signal, frequency_hz, level
        self._rng = np.random.default_rng(seed)
        self._total_samples = None if math.isinf(duration_s) else int(round(duration_s * AUDIO_RATE_HZ))
        if self._total_samples is not None:
            self.total_chunks = -(-self._total_samples // AUDIO_CHUNK_SAMPLES)
            self.duration_ms = self._total_samples * 1000.0 / AUDIO_RATE_HZ

    def _generate(self, start: int, count: int) -> np.ndarray:
        if self.signal == "tone":
            phase = 2 * np.pi * self.frequency_hz * (np.arange(start, start + count) / AUDIO_RATE_HZ)
            return to_int16(self.level * FULL_SCALE * np.sin(phase))
        if self.signal == "noise":
            return to_int16(self.level * FULL_SCALE * self._rng.standard_normal(count))
        return np.zeros(count, dtype=np.int16)

    def __iter__(self) -> Iterator[AudioChunk]:
        start = 0
        while not self.closed and (self._total_samples is None or start < self._total_samples):
            count = AUDIO_CHUNK_SAMPLES if self._total_samples is None else min(AUDIO_CHUNK_SAMPLES,
                                                                                 self._total_samples - start)
            yield AudioChunk(start, self._generate(start, count), origin="synthetic")
            start += count


def _number(spec: str, name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SourceError(f"synthetic:{spec}: {name} must be a number, got {text!r}") from None
    if math.isnan(value) or value < 0:
        raise SourceError(f"synthetic:{spec}: {name} must be zero or positive, got {text!r}")
    return value


def open_synthetic(spec: str) -> SyntheticSource:
    """Parse the part after ``synthetic:`` (see the module docstring)."""
    head, *options = spec.split(",")
    signal, _, argument = head.partition(":")
    if signal not in SIGNALS:
        raise SourceError(f"synthetic:{spec}: unknown signal {signal!r}; use one of "
                          f"{', '.join('synthetic:' + s for s in SIGNALS)}, e.g. synthetic:tone:1000,duration=2")
    if argument and signal != "tone":
        raise SourceError(f"synthetic:{spec}: only tone takes an argument (its frequency)")
    frequency = _number(spec, "tone frequency", argument) if argument else DEFAULT_TONE_HZ
    if frequency >= AUDIO_RATE_HZ / 2:
        raise SourceError(f"synthetic:{spec}: tone frequency must be below {AUDIO_RATE_HZ // 2} Hz "
                          f"(half the {AUDIO_RATE_HZ} Hz sample rate)")
    values = {"duration": DEFAULT_DURATION_S, "level": DEFAULT_LEVEL[signal], "seed": 0.0}
    for option in options:
        key, equals, text = option.partition("=")
        if not equals or key.strip() not in values:
            raise SourceError(f"synthetic:{spec}: unknown option {option!r}; options are "
                              f"duration=SECONDS, level=FRACTION, seed=N")
        values[key.strip()] = _number(spec, key.strip(), text.strip())
    if math.isinf(values["seed"]) or values["seed"] != int(values["seed"]):
        raise SourceError(f"synthetic:{spec}: seed must be a whole number, got {values['seed']:g}")
    if values["level"] > 1:
        raise SourceError(f"synthetic:{spec}: level is a fraction of full scale (0..1), got {values['level']:g}")
    return SyntheticSource(signal, frequency, values["duration"], values["level"], int(values["seed"]))
