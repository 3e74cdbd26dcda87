"""The wake word audio front end: 16 kHz int16 audio -> (n, 40) int8 features.

Bit-exact with tflite-micro's ``audio_preprocessor_int8.tflite`` run
continuously, computed by the C kernels in ``edgesim/kernels/dsp/audio``
(the same code the firmware runs).  Streaming: push any number of samples,
get one feature row per completed 30 ms window (every 20 ms); the sample
buffer and the noise estimate carry across calls until ``reset()``.

    >>> import numpy as np, edgesim
    >>> fe = edgesim.AudioFrontend()
    >>> fe.process(np.zeros(800, np.int16)).shape     # 480 + 320: two windows
    (2, 40)
    >>> fe.process(np.zeros(100, np.int16)).shape     # not enough for a third yet
    (0, 40)
    >>> fe.reset()
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

from edgesim.compute.cpu import import_fastest

# edgesim._audio_avx2 on CPUs with AVX2 (about twice as fast), else edgesim._audio: same bits.
_audio = import_fastest("edgesim._audio")

SAMPLE_RATE_HZ: int = _audio.SAMPLE_RATE_HZ
WINDOW_SAMPLES: int = _audio.WINDOW_SAMPLES
HOP_SAMPLES: int = _audio.HOP_SAMPLES
FEATURE_CHANNELS: int = _audio.FEATURE_CHANNELS


class AudioFrontend:
    """Streaming micro_speech feature extractor (state carries across calls)."""

    def __init__(self) -> None:
        self._native = _audio.Frontend()
        # Bound once: process() runs every 20 ms in a live app.
        self._features = self._native.features

    def process(self, samples: npt.NDArray[np.int16]) -> npt.NDArray[np.int8]:
        """Append 16 kHz mono int16 samples; return the features of every window completed.

        Raises KernelError naming the problem for anything but a non-empty,
        1-D, C-contiguous int16 numpy array (convert with
        ``np.ascontiguousarray(x, dtype=np.int16)``).
        """
        # One C call: checks, output allocation and the kernels.
        return self._features(samples)

    def reset(self) -> None:
        """Forget buffered samples and the noise estimate (a fresh front end)."""
        self._native.reset()

    @property
    def buffered_samples(self) -> int:
        """Samples held for the next window (0 after reset, 160 after each frame)."""
        return int(self._native.buffered)
