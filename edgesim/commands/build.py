"""`edgesim build APP --board B`: the app's Cortex-M4 firmware image and its size report."""
from __future__ import annotations

import argparse
import json
from typing import Any

HELP = """\
Build the firmware image of an app for a board: the same C kernels as the
host, the app loop (firmware/app_main.c), the board layer and the app's model
embedded from the model store.  Builds are cached by a hash of everything
that goes in, so repeating a build is instant.

Prints the image path and a size report: flash and RAM per section, model
bytes, tensor arena, reserved stack.  The arena is exactly what the model's
load needs on the Cortex-M4 with this image's code (interpreter or compiled
schedule), measured once per model and mode by the model runner on QEMU and
cached; without qemu-system-arm it is a host-runtime estimate, labelled so.  Every image must fit the nRF52840 of
the Arduino Nano 33 BLE (1 MB flash, 256 KB RAM); the build fails otherwise.
--measure-stack also boots the image in QEMU (mps2-an386 only) and reports
the stack high-water mark after processing silence/blank input.

--optimize speed|size compiles the model at build time into a schedule of
specialized Cortex-M4 kernels (constant shapes, weights pre-packed for the
kernel, bias and input zero point folded, requantization tables in flash;
operators without one run through the interpreter; outputs are identical):
"speed" packs weights as int16 pairs (more flash, fastest); "size" adds at
most a few KB per layer (int8 FC weights, only small convolutions packed).  The
report then also shows the flash of every mode.

Boards:
  mps2-an386   QEMU's Cortex-M4F board (what 'edgesim run --target emulator' runs)
  nano33ble    Arduino Nano 33 BLE (Sense), app at 0x10000 above the bootloader

Consoles (the protocol's channel; nano33ble):
  usb          the board's native USB serial port (CDC-ACM, 2341:805A; default)
  uart         Serial1 (TX D1 = P1.03, RX D0 = P1.10, 115200 baud): a 3.3 V
               USB-serial adapter, or Renode's uart0
"""

EXAMPLES = """\
examples:
  edgesim build wake_word                          mps2-an386 image + size report
  edgesim build person_detection --board nano33ble
  edgesim build gesture --model my_wand.tflite --json
  edgesim build wake_word --measure-stack
  edgesim build gesture --board nano33ble --sensors   on-board IMU instead of host frames
  edgesim build wake_word --board nano33ble --console uart   protocol on Serial1, not USB
  edgesim build person_detection --optimize speed   compiled model, int16-packed weights
"""


def register(subparsers: Any) -> None:
    from edgesim.mcu.firmware_builder import BOARDS

    parser = subparsers.add_parser("build", help="build an app's firmware image for a board",
                                   description=HELP, epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", metavar="APP", help="app name (see 'edgesim apps') or path of an app file")
    parser.add_argument("--board", "-b", default="mps2-an386", choices=list(BOARDS), help="target board")
    parser.add_argument("--model", "-m", metavar="PATH", help="embed this .tflite instead of the app's model")
    parser.add_argument("--stack", type=int, metavar="BYTES", help="stack to reserve (default 16384)")
    parser.add_argument("--measure-stack", action="store_true",
                        help="run the image in QEMU and report the stack high-water mark")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--sensors", action="store_true",
                        help="read the board's own microphone/IMU/camera instead of host frames (nano33ble; "
                             "mps2-an386: a test microphone and camera, for recording through QEMU)")
    parser.add_argument("--console", choices=("usb", "uart", "uart-polled"),
                        help="protocol channel: nano33ble 'usb' (default, native USB port), 'uart' (Serial1) or "
                             "'uart-polled' (Serial1 as Renode models it, what --target renode runs)")
    parser.add_argument("--optimize", choices=("none", "speed", "size"), default="none",
                        help="run the model through a build-time compiled schedule (default: the interpreter)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edgesim.apps import load_app
    from edgesim.mcu.firmware_builder import DEFAULT_STACK_BYTES, build_app

    from edgesim.commands.run import validate_app

    app = load_app(args.app)
    validate_app(app.with_model(args.model) if args.model else app)
    image = build_app(app, args.board, model=args.model, stack_bytes=args.stack or DEFAULT_STACK_BYTES,
                      sensors=args.sensors, console=args.console, optimize=args.optimize)
    flash_by_mode = {}
    if args.optimize != "none":  # the flash each mode costs (cached builds)
        flash_by_mode = {mode: build_app(app, args.board, model=args.model,
                                         stack_bytes=args.stack or DEFAULT_STACK_BYTES, sensors=args.sensors,
                                         console=args.console, optimize=mode).size.flash_bytes
                         for mode in ("none", "speed", "size")}
    size = image.size
    if args.measure_stack:
        size = size.with_stack_used(_measure_stack(app, image, args.board))
    if args.json:
        print(json.dumps({"app": app.name, "board": args.board, "elf": str(image.elf), "bin": str(image.binary),
                          "cached": image.cached, "optimize": args.optimize, **size.as_dict(),
                          **({"flash_by_optimize": flash_by_mode} if flash_by_mode else {})}))
    else:
        print(f"{app.name} for {args.board}: {image.elf}{' (cached)' if image.cached else ''}")
        print(size.report())
        if flash_by_mode:
            print("flash by --optimize: " + ", ".join(f"{mode} {flash:,} B" for mode, flash in flash_by_mode.items()))
    return 0


def _measure_stack(app: Any, image: Any, board: str) -> int:
    """Stack high-water mark after one inference on neutral input (QEMU)."""
    import numpy as np

    from edgesim import protocol as p
    from edgesim.errors import TargetError
    from edgesim.mcu.qemu import run_bulk

    if board != "mps2-an386":
        raise TargetError("--measure-stack runs the image in QEMU, which emulates mps2-an386 only")
    kind = app.preprocess.kernel
    if kind == "audio_frontend":
        frames = [(p.AUDIO, payload) for payload in p.audio_payloads(np.zeros(16000, np.int16))]
    elif kind == "image":
        frames = [(p.IMAGE, payload) for payload in p.image_payloads(np.zeros((96, 96), np.uint8), 0)]
    else:
        frames = [(p.STROKE, p.stroke_payload(np.array([[0, 0], [20, 20], [40, 0]], np.int8)))]
    frames = [(p.CONFIG, p.config_payload()), *frames, (p.END, b"")]
    stream = b"".join(p.encode_frame(t, seq, payload) for seq, (t, payload) in enumerate(frames))
    result = run_bulk(image.elf, stream, timeout=60)
    ends = [m for m in map(p.decode_message, p.FrameDecoder().feed(result.output)) if isinstance(m, p.End)]
    if not ends:
        raise TargetError(f"the image did not answer END (exit code {result.exit_code})")
    return ends[-1].stack_bytes
