"""`edgesim run APP`: run an app on a live sensor, a file, a folder or a synthetic signal."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from edgesim.targets import TARGETS

HELP = """\
Run an app: sensor -> preprocess -> infer -> postprocess, printing what it
recognizes.  Live sources (mic, camera, mouse) run until Ctrl-C, then print a
summary; files and folders are replayed as fast as possible (add --realtime
to pace them) with a progress bar on a terminal.

Sources (--source; default: the app's own sensor):
  mic | mic:NAME | mic:INDEX        microphone, 16 kHz mono (resampled when needed)
  camera | camera:INDEX | camera:URL
  mouse                             draw gesture strokes in a window
  synthetic:tone[:HZ] | synthetic:noise | synthetic:silence [,duration=S,level=F]
  FILE                              .wav (any rate/width/channels), .bmp/.png/.jpg,
                                    .avi/.mkv/.mp4/.webm, .csv (IMU rows or stroke points)
  DIR                               every file of the app's kind, in name order

Output: one line per detection (a heard word, a person appearing or leaving,
a finished gesture) and a summary with latency percentiles, dropped input and
deadline misses.  With --json: JSON lines on stdout, one per event:
  {"type": "inference", "t_ms": ..., "scores": {label: probability}, "top": label, "raw": [int8...]}
  {"type": "detection", "t_ms": ..., "label": ..., "score": ...}
  {"type": "summary", ...}
t_ms is stream time in milliseconds (from sample counts), identical on every target.
"""

EXAMPLES = """\
examples:
  edgesim run wake_word                                  listen on the default microphone
  edgesim run wake_word --source ../shared/testdata/micro_speech/yes_1000ms.wav
  edgesim run wake_word --source synthetic:noise,duration=5 --json
  edgesim run person_detection --source camera           webcam (Ctrl-C to stop)
  edgesim run person_detection --source photos/ --json   every image in a folder
  edgesim run gesture --source mouse                     draw digits with the mouse
  edgesim run gesture --source stroke_digit7.csv
  edgesim run wake_word --model my_model.tflite --source clip.wav
  edgesim run wake_word --target emulator --source clip.wav   same app on the emulated Cortex-M4
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("run", help="run an app on a sensor, file or folder",
                                   description=HELP, epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", metavar="APP", help="app name (see 'edgesim apps') or path of an app file")
    parser.add_argument("--source", "-s", metavar="SPEC", help="where the input comes from (see above)")
    parser.add_argument("--target", "-t", default="host", choices=list(TARGETS),
                        help="where the app runs (default: host)")
    parser.add_argument("--model", "-m", metavar="PATH", help="use this .tflite file instead of the app's model")
    parser.add_argument("--json", action="store_true", help="JSON lines on stdout, one per event")
    parser.add_argument("--verbose", "-v", action="store_true", help="also print every inference")
    parser.add_argument("--realtime", action="store_true", help="pace file sources to real time")
    parser.add_argument("--seconds", type=float, metavar="S", help="stop after S seconds of input")
    parser.add_argument("--board", metavar="BOARD", help="board for the emulator/renode/device targets")
    parser.add_argument("--port", metavar="PORT", help="serial port for the device target")
    parser.add_argument("--link-faults", type=float, metavar="RATE",
                        help="emulator: damage this fraction of the UART's bytes (bit flips, drops, repeats, stalls) "
                             "to test the link's recovery, e.g. 1e-3; the summary counts what it took")
    parser.set_defaults(func=run)


def target_options(args: argparse.Namespace) -> dict[str, Any]:
    """Target-specific options given on the command line (unknown ones are rejected by the target)."""
    return {name: value for name in ("board", "port", "link_faults") if (value := getattr(args, name, None)) is not None}


def run(args: argparse.Namespace) -> int:
    from edgesim.apps import load_app
    from edgesim.display import make_display
    from edgesim.pipeline import Runner
    from edgesim.sources import open_source
    from edgesim.targets import create_target

    app = load_app(args.app)
    if args.model:
        app = app.with_model(args.model)
    spec = args.source or app.default_source
    with create_target(args.target, **target_options(args)) as target:
        target.open(app)
        with open_source(spec, app.sensor.kind) as source:
            display = make_display(app, source, json_lines=args.json, verbose=args.verbose)
            try:
                Runner(app, target, source, realtime=args.realtime,
                       max_stream_ms=None if args.seconds is None else args.seconds * 1000.0,
                       ).run(on_event=display.event, on_chunk=display.chunk)
            except BrokenPipeError:  # `edgesim run ... --json | head`: the reader has gone, stop quietly
                sys.stdout = open(os.devnull, "w")
                return 0
            finally:
                display.close()
    return 0
