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

from edgesim import _audio
from edgesim.errors import KernelError

SAMPLE_RATE_HZ: int = _audio.SAMPLE_RATE_HZ
WINDOW_SAMPLES: int = _audio.WINDOW_SAMPLES
HOP_SAMPLES: int = _audio.HOP_SAMPLES
FEATURE_CHANNELS: int = _audio.FEATURE_CHANNELS
_INT16 = np.dtype(np.int16)
_INT8 = np.dtype(np.int8)


def _check_samples(samples: object) -> None:
    """Raise KernelError naming the problem unless `samples` is a usable int16 array."""
    if not isinstance(samples, np.ndarray):
        raise KernelError(f"AudioFrontend.process: expected a numpy int16 array, got {type(samples).__name__}")
    if samples.dtype != np.int16:
        raise KernelError(f"AudioFrontend.process: samples must be int16 PCM, got dtype {samples.dtype} "
                          "(scale float audio by 32767 and convert with .astype(np.int16))")
    if samples.ndim != 1:
        raise KernelError(f"AudioFrontend.process: samples must be 1-D mono, got shape {samples.shape}")
    if samples.size == 0:
        raise KernelError("AudioFrontend.process: no samples given (pass at least one sample)")
    if not samples.flags.c_contiguous:
        raise KernelError("AudioFrontend.process: samples must be contiguous "
                          "(use np.ascontiguousarray(samples))")


class AudioFrontend:
    """Streaming micro_speech feature extractor (state carries across calls)."""

    def __init__(self) -> None:
        self._native = _audio.Frontend()
        # Bound once: process() runs every 20 ms in a live app.
        self._frames_for = self._native.frames_for
        self._process_into = self._native.process_into

    def process(self, samples: npt.NDArray[np.int16]) -> npt.NDArray[np.int8]:
        """Append 16 kHz mono int16 samples; return the features of every window completed.

        Raises KernelError for anything but a non-empty, 1-D, C-contiguous
        int16 array (convert with ``np.ascontiguousarray(x, dtype=np.int16)``).
        """
        # Fast path first (a live app calls this every 20 ms): an int16 ndarray
        # goes straight to C, which rejects empty, n-D and strided buffers.
        if samples.__class__ is not np.ndarray or samples.dtype is not _INT16:
            _check_samples(samples)
        features = np.empty((self._frames_for(samples.size), FEATURE_CHANNELS), _INT8)
        self._process_into(samples, features)
        return features

    def reset(self) -> None:
        """Forget buffered samples and the noise estimate (a fresh front end)."""
        self._native.reset()

    @property
    def buffered_samples(self) -> int:
        """Samples held for the next window (0 after reset, 160 after each frame)."""
        return int(self._native.buffered)
