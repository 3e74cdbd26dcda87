"""edgesim.AudioFrontend equals audio_preprocessor_int8.tflite in TFLM, bit for bit.

The oracle is the tflite-micro interpreter running the upstream preprocessor
model one 480-sample window at a time (hop 320), its state (noise estimate)
carried between invocations exactly as edgesim's streaming front end carries
it; `reset()` on both gives a fresh state.
"""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

import edgesim
from edgesim.errors import KernelError
from edgesim.compute.frontend import FEATURE_CHANNELS, HOP_SAMPLES, SAMPLE_RATE_HZ, WINDOW_SAMPLES
from edgesim.constants import AUDIO_FEATURE_FRAMES

from conftest import shared_path

CLIPS_1S = ["yes_1000ms", "no_1000ms", "silence_1000ms", "noise_1000ms"]
# testdata/README.md, "Front end check": upstream's expected features.
EXPECTED_30MS = {
    "no_30ms": "126 103 124 102 124 102 123 100 118 97 118 100 118 98 121 100 121 98 117 91 96 74 54 87 "
               "100 87 109 92 91 80 64 55 83 74 74 78 114 95 101 81",
    "yes_30ms": "124 105 126 103 125 101 123 100 116 98 115 97 113 90 91 82 104 96 117 97 121 103 126 101 "
                "125 104 126 104 125 101 116 90 81 74 80 71 83 76 82 71",
}


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SAMPLE_RATE_HZ, 1, 2), path
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)


class Oracle:
    """The upstream preprocessor model in the TFLM interpreter, fed window by window."""

    def __init__(self, model: Path) -> None:
        tflm = pytest.importorskip("tflite_micro", reason="tflite-micro (the oracle) not installed")
        self.interpreter = tflm.runtime.Interpreter.from_file(str(model))

    def reset(self) -> None:
        self.interpreter.reset()

    def frames(self, stream: np.ndarray, first_window_start: int = 0) -> np.ndarray:
        """Features of every complete window of `stream`, continuing the current state."""
        rows = []
        for start in range(first_window_start, len(stream) - WINDOW_SAMPLES + 1, HOP_SAMPLES):
            self.interpreter.set_input(stream[start:start + WINDOW_SAMPLES].reshape(1, WINDOW_SAMPLES), 0)
            self.interpreter.invoke()
            rows.append(self.interpreter.get_output(0).copy())
        return np.array(rows, dtype=np.int8).reshape(-1, FEATURE_CHANNELS)


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return Oracle(shared_path("models", "audio_preprocessor_int8.tflite"))


def all_shared_wavs() -> list[Path]:
    root = shared_path("testdata")
    return sorted((root / "micro_speech").glob("*.wav")) + sorted((root / "tts").glob("*.wav"))


def features_of(samples: np.ndarray) -> np.ndarray:
    return edgesim.AudioFrontend().process(samples)


def assert_same(ours: np.ndarray, ref: np.ndarray) -> None:
    assert ours.dtype == np.int8 and ours.shape == ref.shape, (ours.shape, ref.shape)
    if not np.array_equal(ours, ref):
        frame, channel = np.argwhere(ours != ref)[0]
        raise AssertionError(f"{int((ours != ref).sum())} features differ; first at frame {frame} channel "
                             f"{channel}: edgesim {ours[frame, channel]} vs TFLM {ref[frame, channel]}")


# ---- reference data ----

@pytest.mark.parametrize("clip", sorted(EXPECTED_30MS))
def test_30ms_clip_gives_upstreams_expected_features(clip: str) -> None:
    samples = read_wav(shared_path("testdata", "micro_speech", f"{clip}.wav"))
    assert len(samples) == WINDOW_SAMPLES
    expected = np.array(EXPECTED_30MS[clip].split(), dtype=np.int8).reshape(1, FEATURE_CHANNELS)
    assert_same(features_of(samples), expected)


@pytest.mark.parametrize("clip", CLIPS_1S)
def test_1s_clip_reproduces_the_feature_file_byte_for_byte(clip: str) -> None:
    samples = read_wav(shared_path("testdata", "micro_speech", f"{clip}.wav"))
    expected = shared_path("testdata", "micro_speech", "features", f"{clip}.features.int8").read_bytes()
    ours = features_of(samples)
    assert ours.shape == (AUDIO_FEATURE_FRAMES, FEATURE_CHANNELS)
    assert ours.tobytes() == expected


def test_every_shared_wav_matches_the_oracle_frame_by_frame(oracle: Oracle) -> None:
    wavs = all_shared_wavs()
    assert len(wavs) >= 15, wavs
    for path in wavs:
        samples = read_wav(path)
        oracle.reset()
        ref = oracle.frames(samples)
        assert len(ref) > 0, path
        assert_same(features_of(samples), ref)


# ---- synthetic signals, state carried across ----

def synthetic_signals() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20261121)
    n = SAMPLE_RATE_HZ * 2
    t = np.arange(n)
    return {
        "zeros": np.zeros(n, np.int16),
        "white_noise_full_range": rng.integers(-32768, 32768, n, dtype=np.int16),
        "white_noise_quiet": rng.integers(-3, 4, n, dtype=np.int16),
        "clipped_square": np.where((t // 17) % 2 == 0, 32767, -32768).astype(np.int16),
        "clipped_random_rails": rng.choice(np.array([-32768, 32767], np.int16), n),
        "clipped_sine": np.clip(60000 * np.sin(2 * np.pi * 440 * t / SAMPLE_RATE_HZ), -32768, 32767).astype(np.int16),
        "dc_min": np.full(n, -32768, np.int16),
        "dc_max": np.full(n, 32767, np.int16),
        "dc_small": np.full(n, 3, np.int16),
        "dc_negative": np.full(n, -1200, np.int16),
        "impulses": np.where(t % 1000 == 0, -32768, 0).astype(np.int16),
        "one_lsb": np.where(t % 2 == 0, 1, 0).astype(np.int16),
    }


@pytest.mark.parametrize("name", sorted(synthetic_signals()))
def test_synthetic_signal_matches_the_oracle(name: str, oracle: Oracle) -> None:
    samples = synthetic_signals()[name]
    oracle.reset()
    assert_same(features_of(samples), oracle.frames(samples))


def test_signals_back_to_back_keep_state_like_the_oracle(oracle: Oracle) -> None:
    """Silence -> clipping -> DC -> noise -> silence in one stream: the noise estimate carries over."""
    signals = synthetic_signals()
    stream = np.concatenate([signals[k] for k in ("zeros", "clipped_random_rails", "dc_min", "zeros",
                                                   "white_noise_full_range", "dc_small", "zeros")])
    oracle.reset()
    assert_same(features_of(stream), oracle.frames(stream))


def build_long_stream(seconds: int, seed: int) -> np.ndarray:
    """Shared wavs at random gains, separated by silence, white noise and DC, plus background noise."""
    rng = np.random.default_rng(seed)
    clips = [read_wav(p) for p in all_shared_wavs()]
    parts, total = [], 0
    while total < seconds * SAMPLE_RATE_HZ:
        kind = rng.integers(0, 5)
        n = int(rng.integers(1, 20000))
        if kind <= 1:
            clip = clips[rng.integers(0, len(clips))].astype(np.float64) * rng.uniform(0.05, 4.0)
            part = clip
        elif kind == 2:
            part = np.zeros(n)
        elif kind == 3:
            part = rng.normal(0, 10 ** rng.uniform(0, 4), n)
        else:
            part = np.full(n, rng.uniform(-33000, 33000))
        part = part + rng.normal(0, rng.uniform(0, 30), len(part))
        parts.append(np.clip(np.rint(part), -32768, 32767).astype(np.int16))
        total += len(part)
    return np.concatenate(parts)


def test_minutes_long_stream_matches_one_continuous_oracle(oracle: Oracle) -> None:
    stream = build_long_stream(seconds=600, seed=7)
    oracle.reset()
    ref = oracle.frames(stream)  # ~30000 invocations, about a second
    fe = edgesim.AudioFrontend()
    rng = np.random.default_rng(3)
    cuts = np.sort(rng.integers(1, len(stream), 400))
    chunks = [c for c in np.split(stream, cuts) if len(c)]
    ours = np.concatenate([fe.process(c) for c in chunks])
    assert len(ref) >= 29000
    assert_same(ours, ref)


# ---- streaming API ----

def test_random_chunk_sizes_give_the_same_frames_as_one_push() -> None:
    stream = build_long_stream(seconds=20, seed=11)
    whole = features_of(stream)
    rng = np.random.default_rng(5)
    for max_chunk in (1, 7, 319, 321, 481, 5000):
        fe = edgesim.AudioFrontend()
        pieces, pos = [], 0
        while pos < len(stream):
            n = int(rng.integers(1, max_chunk + 1)) if max_chunk > 1 else 1
            if max_chunk == 1 and pos > 3 * WINDOW_SAMPLES:  # sample-by-sample only at the start (slow)
                n = len(stream) - pos
            pieces.append(fe.process(stream[pos:pos + n]))
            pos += n
        assert_same(np.concatenate(pieces), whole)


def test_frame_count_and_buffering_follow_the_480_320_framing() -> None:
    fe = edgesim.AudioFrontend()
    assert fe.process(np.zeros(WINDOW_SAMPLES - 1, np.int16)).shape == (0, FEATURE_CHANNELS)
    assert fe.buffered_samples == WINDOW_SAMPLES - 1
    assert fe.process(np.zeros(1, np.int16)).shape == (1, FEATURE_CHANNELS)
    assert fe.buffered_samples == WINDOW_SAMPLES - HOP_SAMPLES
    assert fe.process(np.zeros(10 * HOP_SAMPLES, np.int16)).shape == (10, FEATURE_CHANNELS)
    fe.reset()
    assert fe.buffered_samples == 0


def test_reset_restores_a_fresh_state() -> None:
    clip = read_wav(shared_path("testdata", "micro_speech", "yes_1000ms.wav"))
    fe = edgesim.AudioFrontend()
    first = fe.process(clip)
    again_without_reset = fe.process(clip)
    fe.reset()
    after_reset = fe.process(clip)
    assert_same(after_reset, first)
    assert not np.array_equal(again_without_reset[:10], first[:10])  # state (noise estimate) did carry


def test_module_exports_the_config_constants() -> None:
    from edgesim import _audio
    assert (_audio.SAMPLE_RATE_HZ, _audio.WINDOW_SAMPLES, _audio.HOP_SAMPLES) == (16000, 480, 320)
    assert _audio.FEATURE_CHANNELS == 40 and _audio.FFT_LENGTH == 512
    assert _audio.STATE_BYTES <= 1400 and _audio.SCRATCH_BYTES <= 2500  # room for 64 channels, 32 ms windows


# ---- bad input ----

@pytest.mark.parametrize("bad, message", [
    (np.zeros(0, np.int16), "no samples"),
    (np.zeros(480, np.float32), "int16"),
    (np.zeros(480, np.int32), "int16"),
    (np.zeros(480, np.uint16), "int16"),
    (np.zeros((2, 480), np.int16), "1-D"),
    (np.zeros(960, np.int16)[::2], "contiguous"),
    (np.zeros(960, np.int16)[::-1], "contiguous"),
    (np.zeros(480, ">i2"), "int16"),
    (np.array(3, np.int16), "1-D"),
    (None, "numpy"),
    ([0] * 480, "numpy"),
    (b"\0" * 960, "numpy"),
])
def test_bad_input_raises_kernel_error(bad: object, message: str) -> None:
    fe = edgesim.AudioFrontend()
    with pytest.raises(KernelError, match=message):
        fe.process(bad)  # type: ignore[arg-type]
    assert fe.process(np.zeros(480, np.int16)).shape == (1, FEATURE_CHANNELS)  # still usable


def test_native_binding_rejects_bad_buffers() -> None:
    from edgesim import _audio
    fe = _audio.Frontend()
    for bad in (b"", np.zeros(4, np.float32), np.zeros(8, np.int16)[::2], np.zeros(3, np.int64), memoryview(b"abc")):
        with pytest.raises(KernelError):
            fe.process(bad)
    with pytest.raises(KernelError, match="int16 buffer"):
        fe.process(None)  # type: ignore[arg-type]
    assert len(fe.process(np.zeros(480, np.int16))) == FEATURE_CHANNELS
