"""Cost per 20 ms audio frame: edgesim's front end vs the tflite-micro preprocessor model.

    .venv/bin/python benchmarks/bench_frontend.py [--seconds 60] [--repeat 3]

Both run on the same audio (the shared wavs concatenated, or noise when
../shared is absent) in one process.  Cost is CPU time of this process
(time.process_time: other processes on a busy machine do not count), in
--repeat rounds that alternate the contenders; each one's best round is kept.
TFLM is fed the way an app must feed it: one [1, 480] window per invoke
(set_input + invoke + get_output).  edgesim is measured twice: one process()
call for the whole stream (the C cost) and one call per 20 ms hop (a live
app's cost, Python call overhead included).  Also prints the memory the C
front end needs.  Exits non-zero if the features differ.
"""
from __future__ import annotations

import argparse
import sys
import time
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import edgesim  # noqa: E402
from edgesim import _audio  # noqa: E402

SHARED = REPO.parent / "shared"
MODEL = SHARED / "models" / "audio_preprocessor_int8.tflite"


def load_audio(seconds: int) -> np.ndarray:
    wavs = sorted((SHARED / "testdata").glob("*/*.wav"))
    clips = []
    for path in wavs:
        with wave.open(str(path)) as w:
            clips.append(np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.int16))
    if not clips:
        clips = [np.random.default_rng(0).integers(-2000, 2000, 16000).astype(np.int16)]
    audio = np.concatenate(clips)
    reps = -(-seconds * _audio.SAMPLE_RATE_HZ // len(audio))
    return np.tile(audio, reps)[: seconds * _audio.SAMPLE_RATE_HZ]


def best_rounds(repeat: int, contenders: list) -> list[tuple[float, np.ndarray]]:
    """(best CPU seconds, output) of each callable over `repeat` alternating rounds."""
    best = [(float("inf"), None)] * len(contenders)
    for _ in range(repeat):
        for i, run in enumerate(contenders):
            start = time.process_time()
            out = run()
            elapsed = time.process_time() - start
            best[i] = (min(best[i][0], elapsed), out)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help="audio length (default 30)")
    parser.add_argument("--repeat", type=int, default=7, help="rounds per contender, best kept (default 7)")
    args = parser.parse_args()
    from tflite_micro import runtime

    audio = load_audio(args.seconds)
    win, hop = _audio.WINDOW_SAMPLES, _audio.HOP_SAMPLES
    starts = range(0, len(audio) - win + 1, hop)
    interpreter = runtime.Interpreter.from_file(str(MODEL))

    def tflm() -> np.ndarray:
        interpreter.reset()
        rows = []
        for s in starts:
            interpreter.set_input(audio[s:s + win].reshape(1, win), 0)
            interpreter.invoke()
            rows.append(interpreter.get_output(0).copy())
        return np.array(rows)

    def edgesim_bulk() -> np.ndarray:
        return edgesim.AudioFrontend().process(audio)

    def edgesim_per_hop() -> np.ndarray:
        fe = edgesim.AudioFrontend()
        return np.concatenate([fe.process(audio[s:s + hop]) for s in range(0, len(audio), hop)])

    (t_ref, ref), (t_bulk, bulk), (t_hop, per_hop) = best_rounds(args.repeat, [tflm, edgesim_bulk, edgesim_per_hop])
    frames = len(ref)
    if not (np.array_equal(ref, bulk) and np.array_equal(ref, per_hop)):
        print("FEATURES DIFFER from the TFLM preprocessor", file=sys.stderr)
        return 1
    us = lambda t: t / frames * 1e6  # noqa: E731
    print(f"{frames} frames ({args.seconds} s of audio), features identical to TFLM")
    print(f"tflite-micro preprocessor model : {us(t_ref):8.2f} us/frame")
    print(f"edgesim, one process() call     : {us(t_bulk):8.2f} us/frame   ratio {t_ref / t_bulk:5.1f}x faster")
    print(f"edgesim, one call per 20 ms hop : {us(t_hop):8.2f} us/frame   ratio {t_ref / t_hop:5.1f}x faster")
    print(f"C memory: state {_audio.STATE_BYTES} B, scratch {_audio.SCRATCH_BYTES} B, "
          f"tables {sum(len(v) for v in _audio.tables().values())} B (const)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
