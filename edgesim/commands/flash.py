"""`edgesim flash APP`: build an app for the Nano 33 BLE and write it to the board."""
from __future__ import annotations

import argparse

EXAMPLES = """\
examples:
  edgesim flash wake_word                       find the board by USB VID:PID and flash it
  edgesim flash wake_word --port /dev/ttyACM0   use this serial port
  edgesim flash gesture --sensors               firmware reading the board's own IMU
  edgesim flash person_detection --tool pyocd   through an SWD probe instead of USB

Over USB the board gets a 1200-baud touch (it reboots into its bootloader),
then Arduino's bossac (1.9.1-arduino2 or later: `arduino-cli core install
arduino:mbed_nano` installs it under ~/.arduino15) writes the image, which the
bootloader places at 0x10000.
Debian's bossa-cli cannot flash the nRF52840.  With an SWD probe, pyocd
(`pip install pyocd`) loads the ELF.  Afterwards:
  edgesim run wake_word --target device
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "flash", help="build an app for the Arduino Nano 33 BLE and flash it",
        description="Build APP for the nano33ble board and write it to an Arduino Nano 33 BLE (Sense).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", metavar="APP", help="app name (see `edgesim apps`) or path to an app file")
    parser.add_argument("--port", metavar="PORT", help="the board's serial port (default: found by VID:PID)")
    parser.add_argument("--tool", choices=["auto", "bossac", "pyocd"], default="auto",
                        help="bossac over USB or pyocd over SWD (default: whichever finds a board)")
    parser.add_argument("--sensors", action="store_true",
                        help="read the board's own microphone/IMU/camera instead of data sent over USB "
                             "(also what edgesim record --source device needs)")
    parser.add_argument("--console", choices=("usb", "uart"), default="usb",
                        help="protocol on the native USB port (default) or on Serial1 pins via a USB-serial "
                             "adapter (uart: the board then shows no USB port; re-flash after a reset double-tap)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edgesim.apps import load_app
    from edgesim.commands.run import validate_app
    from edgesim.mcu.firmware_builder import build_app
    from edgesim.mcu.flash import flash_image

    app = load_app(args.app)
    validate_app(app)
    image = build_app(app, board="nano33ble", sensors=args.sensors, console=args.console)
    print(image.size.report())
    result = flash_image(image.binary, image.elf, port=args.port, tool=args.tool)
    for step in result.steps:
        print(f"flash: {step}")
    print(f"flash: {image.name} written with {result.tool}" + (f" via {result.port}" if result.port else ""))
    return 0
