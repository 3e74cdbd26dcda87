"""`edgesim eval APP DATASET`: accuracy and confusion matrix, or false accepts/rejects on a stream."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from edgesim.targets import TARGETS

HELP = """\
Measure an app on labelled data, on any target.

DATASET is either
  a folder of labelled files: one sub-folder per label (DATASET/yes/a.wav,
  DATASET/no/b.wav, ...) or a labels.csv in DATASET with file,label rows.
  Each file is its own stream; its prediction is the top label of the last
  inference (for a 1 s wake word clip: the inference over the whole clip).
  Prints accuracy and a confusion matrix.
or
  a long recording (WAV) with the times of its words: label,start_ms,end_ms
  rows in a CSV (or a JSON list) beside it with the same name, or --words.
  Every detection must fall between a word's start and --tolerance-ms after
  its end; prints hits, false rejects and false accepts (per hour), in the
  spirit of the MLPerf Tiny streaming wake word benchmark.
"""

EXAMPLES = """\
examples:
  edgesim eval wake_word clips/                    clips/yes/*.wav, clips/no/*.wav, clips/silence/...
  edgesim eval gesture ../shared/testdata/magic_wand/real       (uses its labels.csv)
  edgesim eval person_detection photos/ --json
  edgesim eval wake_word long.wav --words long_words.csv --tolerance-ms 1500
  edgesim eval wake_word clips/ --target emulator --min-accuracy 0.9
  edgesim eval gesture ../shared/testdata/magic_wand/real --target emulator --compare host
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("eval", help="accuracy / confusion matrix, or stream false accepts/rejects",
                                   description=HELP, epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", metavar="APP", help="app name or app file")
    parser.add_argument("dataset", metavar="DATASET", type=Path, help="folder of labelled files, or a long WAV")
    parser.add_argument("--target", "-t", default="host", choices=list(TARGETS), help="where to run (default: host)")
    parser.add_argument("--model", "-m", metavar="PATH", help="use this .tflite file instead of the app's model")
    parser.add_argument("--words", type=Path, metavar="FILE", help="word times of a stream (CSV or JSON)")
    parser.add_argument("--tolerance-ms", type=float, default=None, metavar="MS",
                        help="how long after a word ends its detection may come (default 1500)")
    parser.add_argument("--min-accuracy", type=float, metavar="F",
                        help="exit 1 when accuracy (or the stream's hit rate) is below F, e.g. 0.9")
    parser.add_argument("--max-false-accepts", type=int, metavar="N",
                        help="stream: exit 1 when there are more than N false accepts")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--board", metavar="BOARD", help="board for the emulator/renode/device targets")
    parser.add_argument("--port", metavar="PORT", help="serial port for the device target")
    parser.add_argument("--compare", metavar="TARGET", choices=list(TARGETS),
                        help="also run on TARGET and exit 1 unless every file's int8 scores and every "
                             "detection are identical (regression: --target emulator --compare host)")
    parser.set_defaults(func=run)


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\r{done}/{total} files", end="" if done < total else "\n", file=sys.stderr, flush=True)


def _differences(ours: dict[str, Any], theirs: dict[str, Any], limit: int = 20) -> list[str]:
    """Per-file raw scores/predictions (folders) or report fields (streams) that differ."""
    if "results" in ours:
        pairs = zip(ours["results"], theirs.get("results", []))
        out = [f"{a['file']}: {a['prediction']} {a['raw']} vs {b['prediction']} {b['raw']}"
               for a, b in pairs if (a["prediction"], a["raw"]) != (b["prediction"], b["raw"])]
    else:
        out = [f"{key}: {ours[key]} vs {theirs.get(key)}" for key in ours if ours[key] != theirs.get(key)]
    return out[:limit]


def run(args: argparse.Namespace) -> int:
    from edgesim.apps import load_app
    from edgesim import evaluation
    from edgesim.commands.run import target_options
    from edgesim.errors import SourceError
    from edgesim.targets import create_target

    app = load_app(args.app)
    if args.model:
        app = app.with_model(args.model)
    dataset: Path = args.dataset
    if not dataset.exists():
        raise SourceError(f"{dataset}: no such folder or file")
    tolerance = evaluation.DEFAULT_TOLERANCE_MS if args.tolerance_ms is None else args.tolerance_ms

    def evaluate(target_name: str, options: dict[str, Any]) -> Any:
        with create_target(target_name, **options) as target:
            target.open(app)
            if dataset.is_dir():
                return evaluation.evaluate_folder(app, target, dataset, progress=_progress)
            words = evaluation.read_word_times(args.words or evaluation.word_times_beside(dataset))
            return evaluation.evaluate_stream(app, target, dataset, words, tolerance)

    report: Any = evaluate(args.target, target_options(args))
    score = report.accuracy if dataset.is_dir() else report.hit_rate
    result = {"app": app.name, "target": args.target, "dataset": str(dataset), **report.to_dict()}
    if args.compare:
        differences = _differences(report.to_dict(), evaluate(args.compare, {}).to_dict())
        result["compare"] = {"target": args.compare, "identical": not differences, "differences": differences}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{app.name} on {args.target}, {dataset}")
        print(report.format())
        if args.compare:
            print(f"\ncompared with {args.compare}: " + ("identical" if not result["compare"]["differences"]
                                                      else "\n  ".join(["DIFFERENT", *result["compare"]["differences"]])))
    if args.compare and result["compare"]["differences"]:
        return 1
    if args.min_accuracy is not None and score < args.min_accuracy:
        print(f"edgesim: score {score:.3f} is below --min-accuracy {args.min_accuracy}", file=sys.stderr)
        return 1
    false_accepts = len(getattr(report, "false_accepts", []))
    if args.max_false_accepts is not None and false_accepts > args.max_false_accepts:
        print(f"edgesim: {false_accepts} false accepts, more than --max-false-accepts {args.max_false_accepts}",
              file=sys.stderr)
        return 1
    return 0
