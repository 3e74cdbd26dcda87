"""`edgesim info MODEL [--json]`: what a .tflite model contains and what it costs to run."""
from __future__ import annotations

import argparse
import json
from typing import Any

HELP = """\
Load a .tflite model with edgesim's C runtime (the same code the firmware
runs) and print its inputs and outputs with quantization, the operators and
how often each is used, the arena the runtime needs (tensor records, op data
and planned activations) and the bytes of weights.  A model the runtime
cannot run fails here with the reason (unsupported op and version, malformed
or truncated file).
"""

EXAMPLES = """\
examples:
  edgesim info person_detect.tflite
  edgesim info micro_speech_quantized.tflite --json | jq .arena_bytes
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("info", help="show a model's tensors, quantization, ops, arena and weight bytes",
                                   description=HELP, epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", metavar="MODEL", help="path of a .tflite file")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--all-tensors", action="store_true", help="also list every tensor (text output)")
    parser.set_defaults(func=run)


def _tensor_json(t: Any) -> dict[str, Any]:
    return {"index": t.index, "name": t.name, "shape": list(t.shape), "dtype": str(t.dtype), "bytes": t.nbytes,
            "constant": t.is_constant, "scale": t.scale, "zero_point": t.zero_point,
            "quantized_channels": t.channels, "quantized_dimension": t.quantized_dimension}


def run(args: argparse.Namespace) -> int:
    from edgesim.compute.model import Model

    model = Model(args.model)
    if args.json:
        print(json.dumps({
            "model": str(args.model),
            "arena_bytes": model.arena_bytes,
            "weight_bytes": model.weight_bytes,
            "ops": model.ops,
            "inputs": [_tensor_json(t) for t in model.inputs],
            "outputs": [_tensor_json(t) for t in model.outputs],
            "tensors": [_tensor_json(t) for t in model.tensors],
        }, indent=2))
        return 0
    print(f"{args.model}: {len(model.tensors)} tensors, {sum(model.ops.values())} operators")
    print(f"arena:   {model.arena_bytes} bytes")
    print(f"weights: {model.weight_bytes} bytes")
    for title, tensors in (("inputs", model.inputs), ("outputs", model.outputs)):
        print(f"{title}:")
        for t in tensors:
            print(f"  {t.index:4d} {t.describe()}")
    print("operators:")
    for op, count in model.ops.items():
        print(f"  {op} x{count}")
    if args.all_tensors:
        print("tensors:")
        for t in model.tensors:
            print(f"  {t.index:4d} {'const ' if t.is_constant else ''}{t.describe()}")
    return 0
