"""The `edgesim` command line.

Each subcommand lives in edgesim/commands/<name>.py and exposes
`register(subparsers)`, which adds its parser and sets `func` to a callable
taking the parsed args and returning an exit code.  Command modules import
heavy dependencies inside `func`, so `edgesim --help` stays instant.

Errors from edgesim (EdgesimError) become one line on stderr and exit code 1;
Ctrl-C exits with 130 (128 + SIGINT, what shells expect) and SIGTERM with 143,
both after the targets have closed (an emulator or Renode must not outlive us);
a reader that goes away (`edgesim apps | head`) ends the command quietly.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from importlib import import_module

from edgesim import __version__
from edgesim.errors import EdgesimError

# Order here is the order in `edgesim --help`.
COMMANDS: list[str] = ["apps", "new", "run", "eval", "record", "calibrate", "models", "info", "invoke", "flash", "test", "build",
                       "profile"]

EPILOG = """\
examples:
  edgesim apps                                          the apps and what they need
  edgesim run wake_word                                 listen on the microphone for "yes"/"no"
  edgesim run gesture --source mouse                    draw digits with the mouse
  edgesim run wake_word --source clip.wav --target emulator   same app on the emulated Cortex-M4
  edgesim eval person_detection photos/ --json          accuracy on a folder of images
  edgesim info person_detect.tflite                     a model's tensors, ops and arena size
  edgesim new my_app --model m.tflite --sensor camera --labels no,yes   an app file for your own model
  edgesim flash wake_word                               build and flash an Arduino Nano 33 BLE Sense

Run 'edgesim COMMAND --help' for the options and examples of each command."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edgesim",
        description="Run TinyML apps (wake word, person detection, gesture) on the host, "
        "an emulated Cortex-M4 or an Arduino Nano 33 BLE Sense, from one copy of C kernels.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"edgesim {__version__}")
    parser.add_argument("--apps", metavar="DIR", action="append", default=[],
                        help="a folder of your own app files, searched before the bundled apps "
                        "(repeatable; same as EDGESIM_APPS=DIR)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        import_module(f"edgesim.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # the process's own command line (tests call main with their arguments)
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    if args.apps:  # through the environment, so worker processes see the same apps
        from edgesim.apps import APP_PATH_VARIABLE

        os.environ[APP_PATH_VARIABLE] = os.pathsep.join(
            [*args.apps, *filter(None, os.environ.get(APP_PATH_VARIABLE, "").split(os.pathsep))])
    try:
        return int(args.func(args) or 0)
    except EdgesimError as error:
        print(f"edgesim: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("edgesim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        silence_stdout()
        return 0


EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # Unwinding runs the targets' close(): QEMU, in its own session, would otherwise run on.
    raise SystemExit(EXIT_TERMINATED)


def silence_stdout() -> None:
    """The reader of stdout has gone: send the rest (and the interpreter's final flush) to /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (captured in tests): nothing to redirect
        pass
    finally:
        os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
