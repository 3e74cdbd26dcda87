"""`edgesim test --target renode`: run the Renode robot tests in renode/ with renode-test."""
from __future__ import annotations

import argparse

EXAMPLES = """\
examples:
  edgesim test --target renode                    every app's robot test (needs Renode)
  edgesim test --target renode --app wake_word    one app
  edgesim test --target renode --plots out/       also profile each detection run and plot its metrics

Each run builds the app's firmware with on-board sensor input for the
nano33ble board, prepares its input from --testdata (default $EDGESIM_TESTDATA,
else ../shared/testdata beside a checkout: raw s16le audio,
a JPEG frame, IMU samples) under build/renode/, and runs renode-test on
renode/<app>.robot.  Needs Renode v1.15.x (on Mono): `renode` and
`renode-test` on PATH, or $RENODE naming the renode launcher with
renode-test beside it; without them the command says so and exits
non-zero.  Profiling (--plots) slows Renode many times over and writes a
dump of up to gigabytes per app under build/renode/.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "test", help="run the Renode robot tests (renode-test) on the firmware",
        description="Run renode/<app>.robot with renode-test against the nano33ble firmware built "
                    "with on-board sensor input.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", "-t", default="renode", choices=["renode"],
                        help="where the tests run (only renode has robot tests)")
    parser.add_argument("--app", action="append", metavar="APP",
                        help="app to test (repeatable; default: all)")
    parser.add_argument("--plots", metavar="DIR",
                        help="profile each detection run and plot the metrics into DIR/<app>/ (slow)")
    parser.add_argument("--testdata", metavar="DIR",
                        help="reference inputs laid out like shared/testdata (default: $EDGESIM_TESTDATA, "
                             "else ../shared/testdata beside a checkout)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import os

    from edgesim.mcu.renode_tests import run_robot_tests

    if args.testdata:
        os.environ["EDGESIM_TESTDATA"] = args.testdata

    results = run_robot_tests(args.app or None, plots=Path(args.plots) if args.plots else None)
    for result in results:
        print(f"{result.app}: {'passed' if result.passed else 'FAILED'} in {result.wall_s:.1f} s ({result.log})")
        for plot in result.plots:
            print(f"  {plot}")
    return 0 if all(r.passed for r in results) else 1
