"""`edgesim invoke MODEL --input IN --output OUT`: one inference on raw tensor data."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

HELP = """\
Run one inference with edgesim's C runtime.  Inputs and outputs are files:
  .npy  a numpy array of the tensor's exact shape (values converted to the
        tensor's dtype only when nothing is lost)
  .bin  the tensor's exact bytes (for int8 [1,1960]: 1960 bytes), as the
        firmware sees them
Give --input once per model input (in order) and --output once per output.
"""

EXAMPLES = """\
examples:
  edgesim invoke micro_speech_quantized.tflite --input yes.features.int8.bin --output scores.npy
  edgesim invoke person_detect.tflite --input image.npy --output scores.bin
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("invoke", help="run one inference on raw tensor data (.npy or .bin files)",
                                   description=HELP, epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", metavar="MODEL", help="path of a .tflite file")
    parser.add_argument("--input", "-i", action="append", required=True, metavar="IN.npy|IN.bin",
                        help="input tensor data (repeat for models with several inputs)")
    parser.add_argument("--output", "-o", action="append", required=True, metavar="OUT.npy|OUT.bin",
                        help="where to write the output tensor (repeat for several outputs)")
    parser.set_defaults(func=run)


def _kind(path: Path, role: str) -> str:
    from edgesim.errors import SourceError

    if path.suffix.lower() not in (".npy", ".bin"):
        raise SourceError(f"{path}: {role} file must end in .npy (numpy array) or .bin (raw tensor bytes)")
    return path.suffix.lower()


def _read_input(path: Path, info: Any) -> Any:
    import numpy as np

    from edgesim.errors import SourceError

    kind = _kind(path, "input")
    try:
        if kind == ".npy":
            return np.load(path, allow_pickle=False)
        raw = path.read_bytes()
    except (OSError, ValueError) as error:
        raise SourceError(f"{path}: cannot read input: {error}") from error
    if len(raw) != info.nbytes:
        raise SourceError(f"{path}: has {len(raw)} bytes, input '{info.name}' {list(info.shape)} {info.dtype} "
                          f"needs exactly {info.nbytes}")
    return np.frombuffer(raw, dtype=info.dtype).reshape(info.shape)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from edgesim.errors import SourceError
    from edgesim.compute.model import Model

    model = Model(args.model)
    inputs, outputs = [Path(p) for p in args.input], [Path(p) for p in args.output]
    if len(inputs) != len(model.inputs) or len(outputs) != len(model.outputs):
        raise SourceError(f"{args.model} has {len(model.inputs)} input(s) and {len(model.outputs)} output(s); "
                          f"got {len(inputs)} --input and {len(outputs)} --output")
    for path in outputs:
        _kind(path, "output")
    results = model.invoke(*[_read_input(p, info) for p, info in zip(inputs, model.inputs)])
    if len(model.outputs) == 1:
        results = [results]
    for path, info, value in zip(outputs, model.outputs, results):
        try:
            if path.suffix.lower() == ".npy":
                np.save(path, value)
            else:
                path.write_bytes(np.ascontiguousarray(value).tobytes())
        except OSError as error:
            raise SourceError(f"{path}: cannot write output: {error.strerror or error}") from error
        shown = np.array2string(value.reshape(-1)[:16], separator=" ")
        print(f"{info.name} {list(info.shape)} {info.dtype} -> {path}: {shown}{' ...' if value.size > 16 else ''}")
    return 0
