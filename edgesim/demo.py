"""`make demo`: the wake word app on this computer, with whatever input there is.

    python -m edgesim.demo            # what `make demo` runs
    python -m edgesim.demo --files    # skip the microphone even when there is one

It picks, in order:
  1. a microphone, when one exists and you are at a terminal: say "yes" or "no"
     (Ctrl-C stops and prints the summary);
  2. the reference clips in ../shared/testdata beside the repository: each clip
     is classified, then a stream made of them is replayed and every
     detected word printed;
  3. speech synthesized with espeak-ng, when it is installed;
  4. otherwise a synthetic tone (nothing to hear, but the pipeline runs).
Models come from EDGESIM_MODELS, the cache, ../shared/models, or the network,
in that order; without any of them the message says how to provide the file.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from edgesim.constants import AUDIO_SAMPLE_RATE_HZ
from edgesim.errors import EdgesimError
from edgesim.sources.wav import write_wav

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
CLIPS = ["micro_speech/yes_1000ms.wav", "micro_speech/no_1000ms.wav", "micro_speech/silence_1000ms.wav",
         "tts/yes_en-us.wav", "tts/no_en-us.wav", "tts/tree_en-us.wav", "tts/yes_en_f2.wav", "tts/no_en_f2.wav"]
SPOKEN = ["yes", "no", "tree", "yes"]


def say(text: str) -> None:
    print(text, flush=True)


def use_shared_models(announce: Callable[[str], None] = say) -> None:
    """Point EDGESIM_MODELS at ../shared/models when nothing else is configured and it exists."""
    if not os.environ.get("EDGESIM_MODELS") and (SHARED / "models").is_dir():
        os.environ["EDGESIM_MODELS"] = str(SHARED / "models")
        announce(f"models: using {SHARED / 'models'} (set EDGESIM_MODELS to choose another folder)")


def have_microphone() -> bool:
    try:
        from edgesim.sources.mic import list_input_devices

        return bool(list_input_devices())
    except EdgesimError:
        return False


def read_clip(path: Path) -> np.ndarray:
    from edgesim.sources.wav import read_wav

    return read_wav(path).samples


def one_second(samples: np.ndarray) -> np.ndarray:
    """A word as the model was trained on it: trimmed of silence, starting 250 ms into a 1 s clip."""
    rate = AUDIO_SAMPLE_RATE_HZ
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 300)
    word = samples[loud[0]:loud[-1] + 1][:rate * 3 // 4] if loud.size else samples[:0]
    clip = np.zeros(rate, np.int16)
    clip[rate // 4:rate // 4 + len(word)] = word
    return clip


def word_stream(clips: list[Path], out: Path) -> None:
    """The clips one after another, 2 s of the quietest clip's background (or zeros) between them."""
    gap = np.zeros(32000, np.int16)
    silence_clip = SHARED / "testdata" / "micro_speech" / "silence_1000ms.wav"
    if silence_clip.is_file():
        gap = np.tile(read_clip(silence_clip), 2)
    parts = [gap]
    for clip in clips:
        parts += [read_clip(clip), gap]
    write_wav(out, np.concatenate(parts))


def run_live(spec: str, realtime: bool = False) -> None:
    from edgesim.cli import main

    argv = ["run", "wake_word", "--source", spec] + (["--realtime"] if realtime else [])
    code = main(argv)
    if code:
        raise SystemExit(code)


def classify_clips(clips: list[Path]) -> None:
    from edgesim.apps import load_app
    from edgesim.evaluation import last_inference, run_stream
    from edgesim.targets.host import HostTarget

    app = load_app("wake_word")
    with HostTarget() as target:
        target.open(app)
        for clip in clips:
            inference = last_inference(run_stream(app, target, str(clip)))
            verdict = f"{inference.top} ({inference.top_score:.2f})" if inference else "too short"
            name = f"{clip.parent.name}/{clip.name}" if clip.is_relative_to(SHARED) else clip.name
            say(f"  {name:<32} -> {verdict}")


def demo_files(testdata: Path, interactive: bool) -> None:
    clips = [testdata / c for c in CLIPS if (testdata / c).is_file()]
    say(f"No microphone in use; replaying the reference clips in {testdata}.")
    say("1) Each 1 s clip on its own (one inference over the whole clip):")
    classify_clips(clips)
    with tempfile.TemporaryDirectory() as folder:
        stream = Path(folder) / "stream.wav"
        word_stream([c for c in clips if "silence" not in c.name], stream)
        say("2) The same clips in one stream, 2 s apart; the command recognizer reports each word it hears"
            + (" (played in real time):" if interactive else ":"))
        run_live(str(stream), realtime=interactive)


def demo_espeak(interactive: bool) -> None:
    say(f"No microphone and no reference clips; synthesizing {', '.join(SPOKEN)!s} with espeak-ng.")
    with tempfile.TemporaryDirectory() as folder:
        clips = []
        for index, word in enumerate(SPOKEN):
            path = Path(folder) / f"{index}_{word}.wav"
            subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), word], check=True,
                           capture_output=True, timeout=30)
            write_wav(path, one_second(read_clip(path)))
            clips.append(path)
        classify_clips(clips)
        stream = Path(folder) / "stream.wav"
        word_stream(clips, stream)
        say("The words in one stream; the recognizer reports what it hears:")
        run_live(str(stream), realtime=interactive)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edgesim.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", action="store_true", help="do not use the microphone")
    args = parser.parse_args(argv)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    say("edgesim demo: the wake word app (micro_speech: 'yes' / 'no') on the host, through the C kernels.")
    use_shared_models()
    try:
        from edgesim.apps import load_app
        from edgesim.store import resolve_model

        say(f"model: {resolve_model(load_app('wake_word').model)}")
        if not args.files and interactive and have_microphone():
            say("Listening on the default microphone: say 'yes' or 'no'.  Ctrl-C stops and prints a summary.")
            run_live("mic")
        elif (SHARED / "testdata").is_dir():
            demo_files(SHARED / "testdata", interactive)
        elif shutil.which("espeak-ng"):
            demo_espeak(interactive)
        else:
            say("No microphone, no reference clips and no espeak-ng: running 3 s of a synthetic tone "
                "(the pipeline works, but there is no word to hear).")
            run_live("synthetic:tone:440,duration=3")
    except EdgesimError as error:
        print(f"edgesim demo: {error}", file=sys.stderr)
        return 1
    say("Next: 'edgesim run wake_word --source FILE.wav', 'edgesim apps', 'edgesim run --help'.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
