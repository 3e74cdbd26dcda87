"""`edgesim run APP`: run an app on a live sensor, a file, a folder or a synthetic signal."""
from __future__ import annotations

import argparse
from pathlib import Path
import sys
from contextlib import ExitStack
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
  browser                           with --ui: the page's microphone, webcam or drawing canvas

Streams end: after an audio file, silence as long as the recognizer's
averaging window goes through the same target (--tail-ms to change), so a
1 s clip with "yes" reports it.  A folder is one independent stream per file;
every event then carries its "file" and the summary lists per-file results.

Knobs: --param NAME=VALUE overrides any parameter the app declares (see
'edgesim apps --json'), e.g. --param detection_threshold=180; on every target.

Dashboard: --ui serves a live page on http://127.0.0.1:8765/ (GET /events is a
server-sent-event stream of the --json objects plus previews of what the model
saw); --compare emulator runs the emulated Cortex-M4 beside the host on the
same input and reports the first differing event.

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
  edgesim run wake_word --param detection_threshold=180 --source clips/ --json
  edgesim run wake_word --ui                             the dashboard, listening on the microphone
  edgesim run gesture --ui                               draw digits on the page (--source browser)
  edgesim run wake_word --ui --source clip.wav --compare emulator   host and MCU side by side
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
    parser.add_argument("--tail-ms", type=float, metavar="MS",
                        help="silence fed after each audio file ends (default: the recognizer's averaging window)")
    parser.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE",
                        help="override an app parameter (repeatable), e.g. detection_threshold=180")
    parser.add_argument("--board", metavar="BOARD", help="board for the emulator/renode/device targets")
    parser.add_argument("--port", metavar="PORT",
                        help="serial port for the device target; with --ui (other targets) the dashboard's port")
    parser.add_argument("--compare", metavar="TARGET", choices=list(TARGETS),
                        help="run a second target on the same input and check every event is identical")
    parser.add_argument("--link-faults", type=float, metavar="RATE",
                        help="emulator: damage this fraction of the UART's bytes (bit flips, drops, repeats, stalls) "
                             "to test the link's recovery, e.g. 1e-3; the summary counts what it took")
    add_channel_argument(parser)
    ui = parser.add_argument_group("dashboard (--ui)")
    ui.add_argument("--ui", action="store_true", help="serve the live dashboard page (files play at real time)")
    ui.add_argument("--ui-port", metavar="N", help="the dashboard's port (default 8765; 0 picks a free one)")
    ui.add_argument("--host", metavar="ADDR",
                    help="address to serve on (default 127.0.0.1; any other prints a one-time token URL)")
    ui.add_argument("--no-browser", action="store_true", help="print the dashboard URL, do not open a browser")
    parser.set_defaults(func=run)


CHANNEL_HELP = ("emulator: how frames reach the firmware: semihosting (named pipes, many times faster; the "
                "default for files) or uart (the wire a board has; the default for live sources and --link-faults)")


def add_channel_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--channel", choices=("semihosting", "uart"), help=CHANNEL_HELP)


def target_options(args: argparse.Namespace, target: str | None = None, on_files: bool = False) -> dict[str, Any]:
    """Options for `target` (default --target) from the command line (unknown ones are rejected by the target).

    With --ui, --port is the dashboard's unless the target is a device (which needs its serial port).
    The emulator reads files over the fast semihosting channel and live input over the UART a
    board has, unless --channel says otherwise; --compare's target gets only that choice.
    """
    options: dict[str, Any] = {}
    if target is None or target == args.target:
        target = args.target
        names = ("board", "port", "link_faults") if not getattr(args, "ui", False) or target == "device" \
            else ("board", "link_faults")
        options = {name: value for name in names if (value := getattr(args, name, None)) is not None}
    if target == "emulator":
        fast = on_files and not options.get("link_faults")
        options["channel"] = getattr(args, "channel", None) or ("semihosting" if fast else "uart")
    return options


def validate_app(app: Any) -> None:
    """Open ``app`` on the host target: the model, label and parameter checks every `run` makes first.

    `edgesim build` and `flash` call this too, so a truncated, float or mismatched model
    fails there with the same one-line error instead of producing an image.
    """
    from edgesim.targets import create_target

    with create_target("host") as host:
        host.open(app)


def run(args: argparse.Namespace) -> int:
    from edgesim.apps import load_app
    from edgesim.cli import EXIT_INTERRUPTED
    from edgesim.demo import use_shared_models
    from edgesim.display import make_display
    from edgesim.errors import EdgesimError
    from edgesim.pipeline import Runner, default_tail_ms
    from edgesim.targets import create_target

    app = load_app(args.app)
    if args.model:
        app = app.with_model(args.model)
    if args.param:
        app = app.with_params(args.param)
    if args.tail_ms is not None and not 0 <= args.tail_ms <= 60_000:
        raise EdgesimError(f"--tail-ms {args.tail_ms:g}: expected 0 to 60000 ms")
    if args.compare is not None and args.compare == args.target:
        raise EdgesimError(f"--compare {args.compare}: choose a target other than --target {args.target}")
    spec = args.source or app.default_source
    if args.ui and args.source is None and spec == "mouse":
        spec = "browser"  # the page's canvas is the dashboard's way to draw
    if spec == "browser" and not args.ui:
        raise EdgesimError("--source browser takes its input from the dashboard page: add --ui")
    tail_ms = default_tail_ms(app) if args.tail_ms is None else args.tail_ms
    firmware_target = args.target != "host" or (args.compare or "host") != "host"
    on_files = Path(spec).exists() and not args.ui  # the dashboard plays files at real time, like a sensor
    if firmware_target and Path(spec).exists():  # files and folders; live cameras deliver their own size
        from edgesim.sources.frames import check_frames_fit

        check_frames_fit([spec], app.sensor)  # a too-large frame is refused before a firmware target starts
    use_shared_models(lambda text: print(f"edgesim: {text}", file=sys.stderr))
    with ExitStack() as stack:
        target = stack.enter_context(create_target(args.target, **target_options(args, on_files=on_files)))
        if args.compare is not None:
            from edgesim.ui.compare import CompareTarget

            compared = create_target(args.compare, **target_options(args, args.compare, on_files=on_files))
            target = CompareTarget(target, stack.enter_context(compared))
        target.open(app)
        server = None
        if args.ui:
            server = _start_dashboard(args, app, spec, target)
            stack.callback(server.close)
        source = stack.enter_context(_open_source(spec, app, server))
        shown_target = target.name if args.compare is None else f"{target.name}, compared with {args.compare}"
        display = make_display(app, source, json_lines=args.json, verbose=args.verbose, target_name=shown_target)
        if server is not None:
            display = _connect_dashboard(server, app, display, target, source)
        live = bool(getattr(source, "is_live", False))
        try:
            summary = Runner(app, target, source, realtime=args.realtime or (server is not None and not live),
                             tail_ms=tail_ms, max_stream_ms=None if args.seconds is None else args.seconds * 1000.0,
                             ).run(on_event=display.event, on_chunk=display.chunk)
        finally:
            display.close()
        if summary.stats.get("interrupted"):
            return EXIT_INTERRUPTED
        if server is not None:
            print(f"edgesim: the stream has ended; the dashboard stays at {server.url} until Ctrl-C",
                  file=sys.stderr, flush=True)
            try:
                server.closing.wait()
            except KeyboardInterrupt:
                return EXIT_INTERRUPTED
    return 0


def _ui_port(args: argparse.Namespace) -> int:
    from edgesim.errors import EdgesimError
    from edgesim.ui.server import DEFAULT_PORT

    text = args.ui_port if args.ui_port is not None else (args.port if args.target != "device" else None)
    if text is None:
        return DEFAULT_PORT
    try:
        port = int(text)
    except ValueError:
        raise EdgesimError(f"--port {text}: the dashboard needs a TCP port number (1..65535)") from None
    if not 0 <= port <= 65535:
        raise EdgesimError(f"--port {port}: expected 1..65535")
    return port


def _start_dashboard(args: argparse.Namespace, app: Any, spec: str, target: Any) -> Any:
    return start_dashboard(app, source=spec, target_name=target.name, compare=args.compare,
                           host=args.host or "127.0.0.1", port=_ui_port(args), open_browser=not args.no_browser)


def start_dashboard(app: Any, *, source: str, target_name: str, compare: str | None, host: str, port: int,
                    open_browser: bool) -> Any:
    """The dashboard server for ``app``, started, its URL printed (and opened in a browser if asked)."""
    from edgesim.ui.preview import page_config
    from edgesim.ui.security import is_loopback
    from edgesim.ui.server import DashboardServer

    browser_input = ("stroke" if app.sensor.kind == "imu" else app.sensor.kind) if source == "browser" else None
    config = page_config(app, source=source, target=target_name, browser_input=browser_input, compare=compare,
                         budget_ms=app.deadline_ms)
    server = DashboardServer(config, host=host, port=port)
    server.start()
    print(f"edgesim: dashboard at {server.url}", file=sys.stderr, flush=True)
    if not is_loopback(host):
        print(f"edgesim: reachable from the network on {host}; only this URL (with its one-time token) is "
              f"let in", file=sys.stderr, flush=True)
    if open_browser:
        import webbrowser

        try:
            webbrowser.open(server.url)
        except Exception:  # no browser on this machine: the printed URL is enough
            pass
    return server


def _open_source(spec: str, app: Any, server: Any) -> Any:
    from edgesim.sources import open_source

    if spec != "browser":
        return open_source(spec, app.sensor.kind)
    return browser_source(app, server)


def browser_source(app: Any, server: Any) -> Any:
    """The dashboard page's microphone, webcam or canvas as the app's source."""
    from edgesim.sources.browser import BrowserSource

    source = BrowserSource(app.sensor.kind, frame_rate_hz=app.sensor.rate_hz)
    server.input_handler = source.handle
    return source


def _connect_dashboard(server: Any, app: Any, display: Any, target: Any, source: Any) -> Any:
    """The dashboard display around ``display``; file sources wait for the page so it sees the whole stream."""
    from edgesim.ui.compare import CompareTarget
    from edgesim.ui.preview import UiDisplay

    ui = UiDisplay(server, app, display, target)
    if hasattr(display, "message"):  # a terminal: the server's log lines go above the status line
        server.log = lambda text: display.message(f"edgesim: ui: {text}")
    if isinstance(target, CompareTarget):
        target.on_status = server.publish_preview
        target.on_other_event = lambda event: server.publish_preview(
            {"kind": "compare_event", "target": target.other.name, "event": event.to_dict()})
    if not getattr(source, "is_live", False):
        print("edgesim: waiting for the dashboard page to open before replaying the input", file=sys.stderr,
              flush=True)
        server.client_connected.wait()
    return ui
