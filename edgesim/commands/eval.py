"""`edgesim eval APP DATASET`: accuracy and confusion matrix, or false accepts/rejects on a stream."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from edgesim.commands.run import add_channel_argument
from edgesim.targets import TARGETS

HELP = """\
Measure an app on labelled data, on any target.

DATASET is either
  labelled files: a folder with one sub-folder per label (DATASET/yes/a.wav,
  DATASET/no/b.wav, ...), or with a labels.csv of file,label rows, or a CSV
  manifest given directly (file,label; paths relative to it), or a Speech
  Commands folder (label folders + validation_list.txt / testing_list.txt;
  --split, default testing; words the app lacks count as "unknown").
  Each file is its own stream; its prediction is the top label of the last
  inference (for a 1 s wake word clip: the inference over the whole clip).
  Files run --workers at a time, each worker with its own target (one QEMU
  each for the emulator), or on a Ray cluster (--cluster); the results are
  the same as one worker's, in the same order.  A file that fails is retried
  once on another worker; both are reported.
  Prints accuracy, per-class accuracy and a confusion matrix.
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
  edgesim eval wake_word speech_commands_v0.02/ --split testing --workers 8 --junit eval.xml
  edgesim eval wake_word manifest.csv --target emulator --cluster ray://head:10001
  edgesim eval wake_word clips/ --report eval-report/ --min-class-accuracy yes=0.95
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("eval", help="accuracy / confusion matrix, or stream false accepts/rejects",
                                   description=HELP, epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", metavar="APP", help="app name or app file")
    parser.add_argument("dataset", metavar="DATASET", type=Path,
                        help="folder of labelled files, CSV manifest, Speech Commands folder, or a long WAV")
    parser.add_argument("--target", "-t", default="host", choices=list(TARGETS), help="where to run (default: host)")
    parser.add_argument("--model", "-m", metavar="PATH", help="use this .tflite file instead of the app's model")
    parser.add_argument("--split", metavar="SPLIT",
                        help="Speech Commands split: testing (default), validation, train or all")
    parser.add_argument("--workers", "-j", type=_positive, default=None, metavar="N",
                        help=f"files in parallel, one target each (default: the machine's cores, {os.cpu_count()})")
    parser.add_argument("--cluster", metavar="ADDRESS",
                        help="run the files on Ray: 'ray' (Ray on this machine), ray://HOST:PORT (Ray client) "
                             "or HOST:PORT (the head's GCS address, from a cluster node) "
                             "(pip install 'edgesim[ray]'); one worker per cluster CPU unless --workers")
    parser.add_argument("--words", type=Path, metavar="FILE", help="word times of a stream (CSV or JSON)")
    parser.add_argument("--tolerance-ms", type=float, default=None, metavar="MS",
                        help="how long after a word ends its detection may come (default 1500)")
    parser.add_argument("--min-accuracy", type=float, metavar="F",
                        help="fail when accuracy (or the stream's hit rate) is below F, e.g. 0.9")
    parser.add_argument("--min-class-accuracy", action="append", default=[], metavar="LABEL=F",
                        help="fail when LABEL's accuracy is below F (repeatable)")
    parser.add_argument("--max-false-accepts", type=int, metavar="N",
                        help="stream: fail when there are more than N false accepts")
    parser.add_argument("--junit", type=Path, metavar="FILE",
                        help="write JUnit XML: one test case per file (or word), failures with expected vs got")
    parser.add_argument("--report", type=Path, metavar="DIR",
                        help="write an HTML report with plots (confusion matrix, per-class accuracy, "
                             "score timeline, DET curve) into DIR")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--board", metavar="BOARD", help="board for the emulator/renode/device targets")
    parser.add_argument("--port", metavar="PORT", help="serial port for the device target")
    add_channel_argument(parser)
    parser.add_argument("--compare", metavar="TARGET", choices=list(TARGETS),
                        help="also run on TARGET and fail unless every file's int8 scores and every "
                             "detection are identical (regression: --target emulator --compare host)")
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _class_minimums(items: list[str], labels: tuple[str, ...]) -> dict[str, float]:
    from edgesim.errors import SourceError

    minimums = {}
    for item in items:
        label, _, value = item.partition("=")
        if label not in labels:
            raise SourceError(f"--min-class-accuracy {item}: {label!r} is not a label of the app ({', '.join(labels)})")
        try:
            minimums[label] = float(value)
        except ValueError:
            raise SourceError(f"--min-class-accuracy {item}: expected LABEL=FRACTION, e.g. {label}=0.9") from None
    return minimums


def _differences(ours: dict[str, Any], theirs: dict[str, Any], limit: int = 20) -> list[str]:
    """Per-file raw scores/predictions (folders) or detections (streams) that differ."""
    if "results" in ours:
        pairs = zip(ours["results"], theirs.get("results", []))
        out = [f"{a['file']}: {a['prediction']} {a['raw']} vs {b['prediction']} {b['raw']}"
               for a, b in pairs if (a["prediction"], a["raw"]) != (b["prediction"], b["raw"])]
    else:
        out = [f"{key}: {ours[key]} vs {theirs.get(key)}" for key in ours if ours[key] != theirs.get(key)]
    return out[:limit]


def threshold_failures(args: argparse.Namespace, report: Any, minimums: dict[str, float]) -> list[str]:
    """Every threshold the run misses, as one line each."""
    failures = []
    classification = hasattr(report, "accuracy")
    score = report.accuracy if classification else report.hit_rate
    if args.min_accuracy is not None and score < args.min_accuracy:
        failures.append(f"{'accuracy' if classification else 'hit rate'} {score:.3f} is below "
                        f"--min-accuracy {args.min_accuracy}")
    if classification:
        per_class = report.per_class_accuracy()
        for label, minimum in minimums.items():
            value = per_class[label]
            if value is None or value < minimum:
                shown = "no files" if value is None else f"{value:.3f}"
                failures.append(f"class {label!r} accuracy {shown} is below {minimum}")
        if report.errors:
            failures.append(f"{len(report.errors)} file(s) failed on the target twice")
    false_accepts = len(getattr(report, "false_accepts", []))
    if args.max_false_accepts is not None and false_accepts > args.max_false_accepts:
        failures.append(f"{false_accepts} false accepts, more than --max-false-accepts {args.max_false_accepts}")
    return failures


def _threshold_det(app: Any, report: Any, words: list[Any], tolerance: float) -> Any:
    """A stream's DET curve: the detection threshold swept over the scores the target returned."""
    from edgesim.evaluation import calibrate as cal

    if app.postprocess.kernel != "recognize_commands":
        return None
    stream = cal.StreamScores.from_events("stream", report.inferences, words, report.stream_ms)
    table = cal.calibrate(app, [stream], {"detection_threshold": range(40, 256, 8)}, tolerance)
    return cal.det_curves(table, cal.check_app(app))


def run(args: argparse.Namespace) -> int:
    from edgesim import evaluation
    from edgesim.apps import load_app
    from edgesim.commands.run import target_options
    from edgesim.errors import SourceError
    from edgesim.evaluation.parallel import Progress
    from edgesim.targets import create_target

    app = load_app(args.app)
    if args.model:
        app = app.with_model(args.model)
    dataset: Path = args.dataset
    if not dataset.exists():
        raise SourceError(f"{dataset}: no such folder or file")
    labelled = dataset.is_dir() or dataset.suffix.lower() == ".csv"
    minimums = _class_minimums(args.min_class_accuracy, app.labels)
    tolerance = evaluation.DEFAULT_TOLERANCE_MS if args.tolerance_ms is None else args.tolerance_ms
    files = evaluation.find_labelled_files(dataset, app, args.split) if labelled else []
    words = [] if labelled else evaluation.read_word_times(args.words or evaluation.word_times_beside(dataset))
    workers = args.workers or os.cpu_count() or 1
    if args.target != "host" or (args.compare or "host") != "host":
        from edgesim.sources.frames import check_frames_fit

        check_frames_fit([str(f.path) for f in files] if labelled else [str(dataset)], app.sensor)

    def evaluate(target_name: str, options: dict[str, Any]) -> Any:
        if labelled:
            progress = Progress(len(files), sys.stderr, live=sys.stderr.isatty())
            return evaluation.evaluate_folder(app, target_name, options, files, workers=workers,
                                              cluster=args.cluster, explicit_workers=args.workers is not None,
                                              on_done=progress.file_done, on_retry=progress.retry)
        with create_target(target_name, **options) as target:
            target.open(app)
            return evaluation.evaluate_stream(app, target, dataset, words, tolerance)

    report: Any = evaluate(args.target, target_options(args, on_files=True))
    result = {"app": app.name, "target": args.target, "dataset": str(dataset), **report.to_dict()}
    if args.compare:
        differences = _differences(report.to_dict(), evaluate(args.compare, target_options(args, args.compare, on_files=True)).to_dict())
        result["compare"] = {"target": args.compare, "identical": not differences, "differences": differences}
    failures = threshold_failures(args, report, minimums)
    if args.compare and result["compare"]["differences"]:
        failures.append(f"{len(result['compare']['differences'])} difference(s) from {args.compare}")
    if args.junit:
        from edgesim.evaluation.junit import write_junit

        write_junit(args.junit, result, failures)
    if args.report:
        from edgesim.evaluation.report import write_report

        page = write_report(args.report, app, result, failures, inferences=getattr(report, "inferences", ()),
                            calibration_det=None if labelled else _threshold_det(app, report, words, tolerance))
        print(f"edgesim: report written to {page}", file=sys.stderr)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{app.name} on {args.target}, {dataset}")
        print(report.format())
        if args.compare:
            print(f"\ncompared with {args.compare}: " + ("identical" if not result["compare"]["differences"]
                                                      else "\n  ".join(["DIFFERENT", *result["compare"]["differences"]])))
    if failures:
        print("edgesim: eval FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0
