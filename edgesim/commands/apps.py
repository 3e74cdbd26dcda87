"""`edgesim apps`: the apps you can run, what each one listens to and which model it uses."""
from __future__ import annotations

import argparse
import json
from typing import Any

HELP = """\
List the apps in apps/ (one declarative file each: sensor, preprocessing,
model, postprocessing, labels).  To add an app, copy one of those files,
change its name, model and labels; it appears here and in 'edgesim run'.
"""

EXAMPLES = """\
examples:
  edgesim apps                  name, sensor, model and labels of every app
  edgesim apps --json           the full definitions, one JSON object per app
  cp apps/gesture.py apps/my_gesture.py && edgesim run my_gesture --source stroke.csv
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("apps", help="list the apps (wake_word, person_detection, gesture, ...)",
                                   description=HELP, epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="full definitions as JSON lines")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edgesim.apps import all_apps

    found = all_apps()
    if args.json:
        for app in found:
            print(json.dumps(app.to_dict()))
        return 0
    for app in found:
        sensor = app.sensor
        rate = f"{sensor.rate_hz:g} Hz" if sensor.kind != "camera" else f"{sensor.rate_hz:g} fps"
        print(f"{app.name}\n  {app.description}")
        print(f"  sensor      {sensor.kind} ({sensor.format}, {rate}"
              + (f"; also {', '.join(sensor.accepts)}" if sensor.accepts else "") + ")")
        print(f"  pipeline    {app.preprocess.kernel} -> {app.model} -> {app.postprocess.kernel}")
        print(f"  labels      {', '.join(app.labels)}")
        print(f"  run         edgesim run {app.name}   (default source: {app.default_source})")
    return 0
