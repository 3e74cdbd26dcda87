"""`edgesim record APP --label L --out DIR`: capture labelled samples in the layouts `edgesim eval` reads."""
from __future__ import annotations

import argparse
import csv
import itertools
import math
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Iterator

import numpy as np

HELP = """\
Capture labelled samples for an app from a live source, one take at a time,
into a dataset 'edgesim eval' reads:
  --layout folders (default)  DIR/LABEL/LABEL_YYYYmmdd-HHMMSS_N.wav (.png, .csv)
  --layout csv                DIR/LABEL_....wav plus a row in DIR/labels.csv
Audio apps: each take is preceded by a countdown and shows a level meter
(RMS and peak dBFS) while it records; a clipped or silent take is flagged.
Camera apps: each take saves one frame after the countdown.
IMU apps: from a drawing source (mouse, browser) each take is one stroke,
saved as an x,y CSV; from IMU samples each take is --seconds of them after
the countdown, saved as an ax,ay,az,gx,gy,gz CSV.

Sources: mic[:NAME|INDEX] (default for audio apps), camera[:INDEX] (default
for camera apps), the app's own default for IMU apps (mouse), device[:PORT]
(the board's own microphone or camera, through the device target: firmware
flashed with --sensors forwards what it hears or sees instead of running the
model; the port is found by USB VID:PID when not given), browser (the
dashboard page's microphone, webcam or drawing canvas: open the printed URL
and press its mic or camera button, or draw), or any source 'edgesim run
--source' takes.
"""

EXAMPLES = """\
examples:
  edgesim record wake_word --label yes --out clips/ --count 20
  edgesim record wake_word --label no --out clips/ --source mic:USB --seconds 1.5
  edgesim record person_detection --label person --out photos/ --layout csv --count 5
  edgesim record gesture --label ring --out strokes/ --source browser --count 10
  edgesim record wake_word --label yes --out clips/ --source browser   then open the printed URL
  edgesim flash wake_word --sensors && edgesim record wake_word --label yes --out clips/ --source device
  edgesim eval wake_word clips/
"""

METER_WIDTH = 30


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("record", help="capture labelled samples (countdown, level meter) for eval",
                                   description=HELP, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", metavar="APP", help="app name or app file")
    parser.add_argument("--label", "-l", required=True, help="label of every take (one of the app's labels)")
    parser.add_argument("--out", "-o", type=Path, required=True, metavar="DIR", help="dataset folder")
    parser.add_argument("--source", "-s", metavar="SPEC",
                        help="mic[:NAME], camera[:INDEX], device[:PORT], ... (default: by sensor)")
    parser.add_argument("--count", "-n", type=int, default=1, metavar="N", help="number of takes (default 1)")
    parser.add_argument("--seconds", type=float, default=1.0, metavar="S",
                        help="length of an audio or IMU-sample take (default 1)")
    parser.add_argument("--countdown", type=float, default=3.0, metavar="S",
                        help="seconds of countdown before each take (default 3; 0 for none)")
    parser.add_argument("--layout", choices=("folders", "csv"), default="folders",
                        help="one folder per label, or files plus labels.csv (default folders)")
    parser.add_argument("--ui-port", type=int, default=None, metavar="N",
                        help="--source browser: the page's port on 127.0.0.1 (default 8765; 0 picks a free one)")
    parser.add_argument("--no-browser", action="store_true",
                        help="--source browser: print the page's URL, do not open a browser")
    parser.set_defaults(func=run)


def dbfs(samples: np.ndarray) -> tuple[float, float]:
    """(RMS, peak) of int16 samples in dB relative to full scale; -inf for silence.

        >>> dbfs(np.array([32767, -32767], np.int16))
        (0.0, 0.0)
    """
    if samples.size == 0:
        return -math.inf, -math.inf
    values = samples.astype(np.float64) / 32767.0
    rms = math.sqrt(float(np.mean(values * values)))
    peak = float(np.max(np.abs(values)))
    to_db = lambda v: round(20 * math.log10(v), 1) if v > 0 else -math.inf
    return to_db(rms), to_db(peak)


def meter(rms_db: float, peak_db: float) -> str:
    """A text level bar from -60 to 0 dBFS."""
    filled = 0 if rms_db == -math.inf else max(0, min(METER_WIDTH, int((rms_db + 60) / 60 * METER_WIDTH)))
    return f"[{'#' * filled}{'.' * (METER_WIDTH - filled)}] RMS {rms_db:6.1f} dBFS  peak {peak_db:6.1f} dBFS"


class Recorder:
    """Writes takes into the dataset layout and tells the user what happens on stderr."""

    def __init__(self, out: Path, label: str, layout: str, live: bool) -> None:
        self.out, self.label, self.layout, self.live = out, label, layout, live
        self.folder = out / label if layout == "folders" else out
        self.folder.mkdir(parents=True, exist_ok=True)
        self.stamp = time.strftime("%Y%m%d-%H%M%S")
        self.written: list[Path] = []

    def path(self, take: int, suffix: str) -> Path:
        return self.folder / f"{self.label}_{self.stamp}_{take}{suffix}"

    def saved(self, path: Path) -> None:
        self.written.append(path)
        if self.layout == "csv":
            manifest = self.out / "labels.csv"
            new = not manifest.exists()
            with open(manifest, "a", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                if new:
                    writer.writerow(["file", "label"])
                writer.writerow([path.relative_to(self.out).as_posix(), self.label])

    def say(self, text: str, end: str = "\n") -> None:
        print(text, end=end, file=sys.stderr, flush=True)


class SampleReader:
    """Exact numbers of samples (rows) from a chunked audio or IMU source (a chunk's rest is kept for the next read)."""

    def __init__(self, chunks: Iterator[Any], empty: np.ndarray) -> None:
        self._chunks = chunks
        self._rest = empty

    def read(self, count: int, on_chunk: Any = None) -> np.ndarray:
        parts, got = [self._rest[:count]], min(count, len(self._rest))
        self._rest = self._rest[count:]
        while got < count:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            if on_chunk is not None:
                on_chunk(chunk.samples)
            parts.append(chunk.samples[:count - got])
            self._rest = chunk.samples[count - got:]
            got += len(parts[-1])
        return np.concatenate(parts)


def count_down(recorder: Recorder, take: int, count: int, countdown: float, what: str,
               reader: SampleReader, rate_hz: float) -> None:
    """The countdown before a take, run on the source's own clock (its samples are discarded)."""
    left = countdown
    while left > 0:
        recorder.say(f"take {take}/{count}: {what} in {math.ceil(left)}...", end="\r" if recorder.live else "\n")
        step = left - (math.ceil(left) - 1)  # to the next whole second
        reader.read(int(round(step * rate_hz)))
        left -= step


def record_audio(source: Any, recorder: Recorder, count: int, seconds: float, countdown: float) -> None:
    """Takes of ``seconds``; the countdown runs on the source's own clock (its samples are discarded)."""
    from edgesim.sources import AUDIO_RATE_HZ
    from edgesim.sources.wav import write_wav

    want = int(round(seconds * AUDIO_RATE_HZ))
    reader = SampleReader(iter(source), np.zeros(0, np.int16))
    live_meter = (lambda samples: recorder.say(meter(*dbfs(samples)), end="\r")) if recorder.live else None
    for take in range(1, count + 1):
        count_down(recorder, take, count, countdown, "speak", reader, AUDIO_RATE_HZ)
        recorder.say(f"take {take}/{count}: speak now!{' ' * 12}")
        samples = reader.read(want, live_meter)
        if len(samples) < want:
            recorder.say(f"take {take}: the source ended after {len(samples) / AUDIO_RATE_HZ:.2f} s; not saved")
            return
        rms, peak = dbfs(samples)
        path = recorder.path(take, ".wav")
        write_wav(path, samples)
        recorder.saved(path)
        warning = "  CLIPPED: move back or lower the gain" if peak >= -0.1 else (
            "  very quiet: is the microphone muted?" if rms < -50 else "")
        recorder.say(f"take {take}/{count}: {path}  {meter(rms, peak)}{warning}")


def record_frames(source: Any, recorder: Recorder, count: int, countdown: float) -> None:
    from edgesim.sources.camera import import_cv2

    cv2 = import_cv2()
    chunks = iter(source)
    for take in range(1, count + 1):
        for left in range(math.ceil(countdown), 0, -1):
            recorder.say(f"take {take}/{count}: picture in {left}...", end="\r" if recorder.live else "\n")
            time.sleep(countdown / math.ceil(countdown))
        frame = next(chunks, None)
        if frame is None:
            recorder.say(f"take {take}: the source has no more frames; not saved")
            return
        pixels = frame.pixels
        if pixels.ndim == 3 and frame.pixel_format == "rgb888":
            pixels = pixels[:, :, ::-1]  # OpenCV writes BGR
        path = recorder.path(take, ".png")
        if not cv2.imwrite(str(path), pixels):
            from edgesim.errors import SourceError

            raise SourceError(f"{path}: cannot write the image")
        recorder.saved(path)
        recorder.say(f"take {take}/{count}: {path} ({pixels.shape[1]}x{pixels.shape[0]})")


def record_motion(source: Any, recorder: Recorder, count: int, seconds: float, countdown: float) -> None:
    """IMU-app takes: one stroke each from a drawing source, or ``seconds`` of IMU samples after a countdown."""
    from edgesim.sources.base import StrokeChunk
    from edgesim.sources.files import write_imu_csv, write_stroke_csv

    chunks = iter(source)
    first = next(chunks, None)
    if first is None:
        recorder.say("the source gave nothing to record")
        return
    chunks = itertools.chain([first], chunks)
    if isinstance(first, StrokeChunk):
        for take in range(1, count + 1):
            recorder.say(f"take {take}/{count}: draw the gesture now")
            stroke = next(chunks, None)
            if stroke is None:
                recorder.say(f"take {take}: the source has no more strokes; not saved")
                return
            path = recorder.path(take, ".csv")
            write_stroke_csv(path, stroke.points)
            recorder.saved(path)
            recorder.say(f"take {take}/{count}: {path} ({len(stroke.points)} points)")
        return
    rate_hz = float(first.rate_hz)
    want = int(round(seconds * rate_hz))
    reader = SampleReader(chunks, np.zeros((0, first.samples.shape[1]), np.float32))
    for take in range(1, count + 1):
        count_down(recorder, take, count, countdown, "move", reader, rate_hz)
        recorder.say(f"take {take}/{count}: move now!{' ' * 12}")
        samples = reader.read(want)
        if len(samples) < want:
            recorder.say(f"take {take}: the source ended after {len(samples) / rate_hz:.2f} s; not saved")
            return
        path = recorder.path(take, ".csv")
        write_imu_csv(path, samples)
        recorder.saved(path)
        recorder.say(f"take {take}/{count}: {path} ({want} samples at {rate_hz:g} Hz)")


def open_record_source(spec: str, app: Any, args: argparse.Namespace, stack: ExitStack) -> Any:
    """The source to record from: the board's own sensors for device[:PORT], the dashboard page
    (which stays up while recording) for browser, else as 'edgesim run' opens it."""
    from edgesim.sources import open_source

    name, _, tail = spec.partition(":")
    if name == "device":
        from edgesim.sources.device import open_device

        return open_device(tail, app)
    if name != "browser":
        return open_source(spec, app.sensor.kind)
    from edgesim.commands.run import browser_source, start_dashboard
    from edgesim.ui.server import DEFAULT_PORT

    server = start_dashboard(app, source="browser", target_name="record", compare=None, host="127.0.0.1",
                             port=DEFAULT_PORT if args.ui_port is None else args.ui_port,
                             open_browser=not args.no_browser)
    stack.callback(server.close)
    print("edgesim: press the page's microphone or camera button to start", file=sys.stderr, flush=True)
    return browser_source(app, server)


def run(args: argparse.Namespace) -> int:
    from edgesim.apps import load_app
    from edgesim.errors import SourceError

    app = load_app(args.app)
    if args.label not in app.labels:
        raise SourceError(f"--label {args.label!r} is not a label of app {app.name!r} ({', '.join(app.labels)})")
    if args.count < 1 or args.seconds <= 0:
        raise SourceError("--count must be at least 1 and --seconds positive")
    kind = app.sensor.kind
    spec = args.source or {"audio": "mic", "camera": "camera"}.get(kind, app.default_source)
    with ExitStack() as stack:
        source = stack.enter_context(open_record_source(spec, app, args, stack))
        recorder = Recorder(args.out, args.label, args.layout, live=sys.stderr.isatty())
        recorder.say(f"recording {args.count} take(s) of {args.label!r} for {app.name} from {source.description}")
        if kind == "audio":
            record_audio(source, recorder, args.count, args.seconds, args.countdown)
        elif kind == "camera":
            record_frames(source, recorder, args.count, args.countdown)
        else:
            record_motion(source, recorder, args.count, args.seconds, args.countdown)
    where = args.out / "labels.csv" if args.layout == "csv" else recorder.folder
    recorder.say(f"{len(recorder.written)} take(s) saved in {where}; evaluate with: edgesim eval {app.name} {args.out}")
    return 0 if len(recorder.written) == args.count else 1
