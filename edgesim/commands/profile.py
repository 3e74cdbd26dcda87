"""`edgesim profile MODEL|APP`: where the time of one inference goes."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

HELP = """\
Profile one inference operator by operator: op, input and output shapes,
multiply-accumulates, and on the emulated Cortex-M4 (QEMU mps2-an386, the
default target) the exact instructions of each operator, instructions per
MAC and share of the total, with the arena, the stack high-water mark, flash
and the latency at 64 MHz (instructions / 64 MHz: QEMU counts instructions,
not cycles, so real-board latency is higher).  The input is pseudo-random (counts move by well under
1% with the data).  --target host times the host runtime instead.

For an APP, also its CPU duty cycle at 64 MHz (inference schedule plus the
audio front end, measured in the app's own image) and the nRF52840's average
current and battery life from the datasheet's run and sleep currents.
"""

EXAMPLES = """\
examples:
  edgesim profile micro_speech_quantized
  edgesim profile person_detection --optimize speed
  edgesim profile my_model.tflite --json
  edgesim profile wake_word --battery-mah 220 --plot ops.png
  edgesim profile gesture --rate 0.5
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("profile", help="per-operator instructions on the emulated Cortex-M4, duty cycle",
                                   description=HELP, epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("subject", metavar="MODEL|APP", help="a .tflite path, a model store name or an app name")
    parser.add_argument("--target", choices=("emulator", "host"), default="emulator", help="where to run it")
    parser.add_argument("--optimize", choices=("none", "speed", "size"), default="none",
                        help="emulator: run the build-time compiled model (default: the interpreter)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--plot", metavar="FILE.png", help="draw the per-operator instructions as bars")
    parser.add_argument("--rate", type=float, metavar="HZ", help="camera/IMU apps: inferences per second (default 1)")
    parser.add_argument("--battery-mah", type=float, default=1000.0, help="battery capacity for the life estimate")
    parser.set_defaults(func=run)


def _resolve(subject: str) -> tuple[Path, Any]:
    """(model path, app or None)."""
    from edgesim.store import resolve_model

    if not subject.endswith(".tflite"):
        from edgesim.apps import app_names, load_app

        if subject in app_names() or subject.endswith(".py"):
            app = load_app(subject)
            return Path(resolve_model(app.model)), app
    return Path(resolve_model(subject)), None


def run(args: argparse.Namespace) -> int:
    from edgesim.errors import TargetError
    from edgesim.mcu.profile import app_duty, profile_model

    model_path, app = _resolve(args.subject)
    if args.target == "host" and args.optimize != "none":
        raise TargetError("--optimize applies to the emulator target (the host runs the interpreter)")
    profile = profile_model(model_path, args.target, args.optimize)
    if app is not None and args.target == "emulator":
        profile.app = {"name": app.name, **app_duty(app, profile, args.rate, args.battery_mah)}
    if args.plot:
        _plot(profile, Path(args.plot))
    if args.json:
        print(json.dumps(profile.as_dict(), indent=2))
        return 0
    _print(profile)
    return 0


def _print(p: Any) -> None:
    mode = "interpreter" if p.optimize == "none" else f"compiled --optimize {p.optimize} ({p.compiled_steps} steps)"
    where = "host" if p.target == "host" else f"emulated Cortex-M4 (QEMU mps2-an386), {mode}"
    print(f"{p.model} on the {where}")
    name_width = max([18, *(len(op.op) for op in p.ops)])  # UNIDIRECTIONAL_SEQUENCE_LSTM is 28
    print(f"{'#':>3} {'op':<{name_width}} {'input':<18} {'output':<18} {'MACs':>10} {'instructions':>13} {'/MAC':>6} "
          f"{'share':>6}")
    for op in p.ops:
        ins = f"{op.instructions:,}" if op.instructions is not None else "-"
        per_mac = f"{op.per_mac:.2f}" if op.per_mac is not None else "-"
        share = f"{100 * op.instructions / p.invoke_instructions:.1f}%" if op.instructions and p.invoke_instructions else "-"
        print(f"{op.index:>3} {op.op:<{name_width}} {'x'.join(map(str, op.input_shape)):<18} "
              f"{'x'.join(map(str, op.output_shape)):<18} {op.macs:>10,} {ins:>13} {per_mac:>6} {share:>6}")
    print(f"total: {p.macs:,} MACs", end="")
    if p.invoke_instructions is not None:
        print(f", {p.invoke_instructions:,} instructions per inference ({p.invoke_instructions / max(p.macs, 1):.2f}"
              f"/MAC), {p.latency_ms:.2f} ms at 64 MHz (instructions, not cycles: a lower bound on silicon)")
    else:
        print(f", host {p.host_us:,.0f} us per inference")
    flash = f", flash {p.flash_bytes:,} B (model {p.model_bytes:,})" if p.flash_bytes is not None else ""
    stack = f", stack high-water {p.stack_bytes:,} B" if p.stack_bytes is not None else ""
    print(f"arena {p.arena_bytes:,} B{stack}{flash}")
    if p.app:
        a = p.app
        print(f"app {a['name']}: {a['schedule']}: CPU duty {100 * a['duty']:.1f}% at 64 MHz; nRF52840 average "
              f"{a['average_current_ma']:.3f} mA (run {a['run_current_ma']} mA, sleep {a['sleep_current_ma'] * 1000:.2f} uA,"
              f" datasheet v1.7), {a['battery_hours']:,.0f} h on {a['battery_mah']:g} mAh (CPU only)")


def _plot(p: Any, path: Path) -> None:
    from edgesim.errors import EdgesimError

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise EdgesimError("--plot needs matplotlib: pip install matplotlib") from None
    values = [op.instructions if op.instructions is not None else 0 for op in p.ops]
    fig, ax = plt.subplots(figsize=(max(6, len(p.ops) * 0.3), 4))
    ax.bar(range(len(values)), values)
    ax.set_xticks(range(len(values)), [f"{op.index} {op.op}" for op in p.ops], rotation=90, fontsize=7)
    ax.set_ylabel("instructions (emulated Cortex-M4)")
    ax.set_title(Path(p.model).name)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
