"""`edgesim calibrate APP STREAMS...`: sweep post-processing settings, trade false accepts against false rejects."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from edgesim.commands.run import add_channel_argument
from edgesim.targets import TARGETS

HELP = """\
Find the post-processing settings of an app (detection threshold, suppression,
averaging window, minimum count) that fit a false-accept budget.

Each STREAM is a long recording (WAV) with its word times beside it
(STREAM.csv with label,start_ms,end_ms rows, or STREAM.json), as for
'edgesim eval'.  The streams run once through the model on --target; every
setting is then replayed over the model's scores with the same C
post-processing kernel the firmware runs, and scored like 'edgesim eval'
scores a stream.  Prints the best trade-offs (false accepts per hour against
false rejects), recommends the setting with the fewest false rejects within
--max-fa-per-hour, draws the DET curve with --plot and writes the setting
into the app file with --write.

Value lists are comma-separated numbers or START:STOP:STEP (STOP included);
a parameter not given keeps the app's value.
"""

EXAMPLES = """\
examples:
  edgesim calibrate wake_word long1.wav long2.wav
  edgesim calibrate wake_word long.wav --threshold 120:220:10 --suppression-ms 1000,1500 --plot det.png
  edgesim calibrate my_app.py long.wav --max-fa-per-hour 0.5 --write
"""

OPTIONS = {"threshold": "detection_threshold", "suppression_ms": "suppression_ms",
           "window_ms": "average_window_ms", "min_count": "minimum_count"}
DEFAULT_THRESHOLDS = "80:240:10"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("calibrate", help="tune post-processing on labelled streams (FA/hour vs FR)",
                                   description=HELP, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", metavar="APP", help="app name or app file")
    parser.add_argument("streams", metavar="STREAM", nargs="+", type=Path, help="long WAV with word times beside it")
    parser.add_argument("--target", "-t", default="host", choices=list(TARGETS), help="where the model runs (default: host)")
    parser.add_argument("--board", metavar="BOARD", help="board for the emulator/renode/device targets")
    parser.add_argument("--port", metavar="PORT", help="serial port for the device target")
    add_channel_argument(parser)
    parser.add_argument("--threshold", type=_values, default=_values(DEFAULT_THRESHOLDS), metavar="LIST",
                        help=f"detection thresholds, of 255 (default {DEFAULT_THRESHOLDS})")
    parser.add_argument("--suppression-ms", type=_values, metavar="LIST", help="suppression times after a detection")
    parser.add_argument("--window-ms", type=_values, metavar="LIST", help="averaging windows")
    parser.add_argument("--min-count", type=_values, metavar="LIST", help="minimum inferences in the window")
    parser.add_argument("--max-fa-per-hour", type=float, default=1.0, metavar="F",
                        help="false-accept budget for the recommendation (default 1.0 per hour)")
    parser.add_argument("--tolerance-ms", type=float, default=None, metavar="MS",
                        help="how long after a word ends its detection may come (default 1500)")
    parser.add_argument("--plot", type=Path, metavar="PNG", help="write the DET curve (false rejects vs FA/hour)")
    parser.add_argument("--write", action="store_true", help="write the recommended setting into the app file")
    parser.add_argument("--json", action="store_true", help="print the table and recommendation as JSON")
    parser.set_defaults(func=run)


def _values(text: str) -> list[int]:
    try:
        if ":" in text:
            start, stop, step = (int(v) for v in text.split(":"))
            if step <= 0 or stop < start:
                raise ValueError
            return list(range(start, stop + 1, step))
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected numbers like 100,150,200 or 100:200:10") from None


def app_file(name_or_path: str) -> Path:
    """The file an app was loaded from (what --write edits)."""
    from edgesim.apps import app_dirs

    path = Path(name_or_path)
    if path.suffix == ".py":
        return path
    return next(folder / f"{name_or_path}.py" for folder in app_dirs() if (folder / f"{name_or_path}.py").is_file())


def _row(outcome: Any, marker: str = "") -> str:
    s = outcome.setting
    return (f"{s['detection_threshold']:>9} {s['suppression_ms']:>11} {s['average_window_ms']:>9} "
            f"{s['minimum_count']:>9} {outcome.fa_per_hour:>9.2f} {outcome.false_accepts:>4} "
            f"{outcome.false_reject_rate * 100:>8.1f}% {outcome.false_rejects:>4}/{outcome.words:<4}{marker}")


def run(args: argparse.Namespace) -> int:
    from edgesim import evaluation
    from edgesim.apps import load_app
    from edgesim.commands.run import target_options
    from edgesim.errors import SourceError
    from edgesim.evaluation import calibrate as cal
    from edgesim.events import InferenceEvent
    from edgesim.targets import create_target

    app = load_app(args.app)
    current = cal.check_app(app)
    tolerance = evaluation.DEFAULT_TOLERANCE_MS if args.tolerance_ms is None else args.tolerance_ms
    for stream in args.streams:
        if not stream.is_file():
            raise SourceError(f"{stream}: no such stream file")
    words = [evaluation.read_word_times(evaluation.word_times_beside(s)) for s in args.streams]
    streams = []
    with create_target(args.target, **target_options(args, on_files=True)) as target:
        target.open(app)
        for number, (path, stream_words) in enumerate(zip(args.streams, words), start=1):
            print(f"stream {number}/{len(args.streams)}: {path} on {args.target}", file=sys.stderr, flush=True)
            events = evaluation.run_stream(app, target, str(path))
            stream_ms = float(events[-1].to_dict().get("stream_ms", 0.0)) if events else 0.0
            inferences = [e for e in events if isinstance(e, InferenceEvent)]
            streams.append(cal.StreamScores.from_events(str(path), inferences, stream_words, stream_ms))
    grid = {OPTIONS[option]: values for option in OPTIONS if (values := getattr(args, option)) is not None}

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{done}/{total} settings", end="" if done < total else "\n", file=sys.stderr, flush=True)

    table = cal.calibrate(app, streams, grid, tolerance, progress)
    best = cal.recommend(table, args.max_fa_per_hour, current)
    now = next(o for o in table if o.setting == current) if any(o.setting == current for o in table) else None
    if args.plot:
        from edgesim.evaluation.report import det_png

        args.plot.parent.mkdir(parents=True, exist_ok=True)
        det_png(args.plot, cal.det_curves(table, current), "false accepts per hour",
                f"{app.name}: post-processing sweep over {len(streams)} stream(s)")
    if args.write and best is not None:
        cal.write_setting(app_file(args.app), best.setting)
    if args.json:
        print(json.dumps({"app": app.name, "target": args.target, "hours": round(table[0].hours, 6),
                          "current": now.to_dict() if now else current,
                          "recommended": best.to_dict() if best else None,
                          "max_fa_per_hour": args.max_fa_per_hour, "pareto": [o.to_dict() for o in cal.pareto(table)],
                          "settings": [o.to_dict() for o in table], "written": bool(args.write and best)}))
    else:
        hours = table[0].hours
        print(f"{app.name} on {args.target}: {len(table)} settings over {len(streams)} stream(s), "
              f"{hours * 60:.1f} min, {table[0].words} words")
        print(f"{'threshold':>9} {'suppress_ms':>11} {'window_ms':>9} {'min_count':>9} {'FA/hour':>9} {'FA':>4} "
              f"{'FR rate':>9} {'FR':>4}")
        front = cal.pareto(table)
        for outcome in front:
            print(_row(outcome, "  <- recommended" if outcome is best else ""))
        if best is not None and best not in front:
            print(_row(best, "  <- recommended"))
        if now is not None:
            print(_row(now, "  (current)"))
        if best is None:
            print(f"no setting stays within {args.max_fa_per_hour} false accepts per hour; "
                  f"the fewest is {min(o.fa_per_hour for o in table):.2f}")
        else:
            print(f"recommended for <= {args.max_fa_per_hour} false accepts/hour: "
                  + ", ".join(f"{k}={v}" for k, v in best.setting.items()))
        if args.write and best is not None:
            print(f"written into {app_file(args.app)}")
        if args.plot:
            print(f"DET curve: {args.plot}")
    return 0 if best is not None else 1
