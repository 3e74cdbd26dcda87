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
  .npz  several arrays in one file: as the only --input, the model's inputs
        by tensor name (or arr_0, arr_1, ... in input order); as the only
        --output, every output saved under its tensor name
Give --input once per model input (in order) and --output once per output,
or one .npz for all of them.  Float32 and int8 tensors both work.
"""

EXAMPLES = """\
examples:
  edgesim invoke micro_speech_quantized.tflite --input yes.features.int8.bin --output scores.npy
  edgesim invoke person_detect.tflite --input image.npy --output scores.bin
  edgesim invoke two_input_model.tflite --input a.npy --input b.npy --output outputs.npz
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("invoke", help="run one inference on raw tensor data (.npy or .bin files)",
                                   description=HELP, epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", metavar="MODEL", help="path of a .tflite file")
    parser.add_argument("--input", "-i", action="append", required=True, metavar="IN.npy|IN.bin|IN.npz",
                        help="input tensor data (repeat for models with several inputs, or one .npz)")
    parser.add_argument("--output", "-o", action="append", required=True, metavar="OUT.npy|OUT.bin|OUT.npz",
                        help="where to write the output tensor (repeat for several outputs, or one .npz)")
    parser.set_defaults(func=run)


def _kind(path: Path, role: str) -> str:
    from edgesim.errors import SourceError

    if path.suffix.lower() not in (".npy", ".bin", ".npz"):
        raise SourceError(f"{path}: {role} file must end in .npy (numpy array), .bin (raw tensor bytes) "
                          f"or .npz (several arrays)")
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


def _read_npz_inputs(path: Path, infos: list[Any]) -> list[Any]:
    """The model's inputs from one .npz: by tensor name, else arr_<k> in order."""
    import numpy as np

    from edgesim.errors import SourceError

    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError) as error:
        raise SourceError(f"{path}: cannot read inputs: {error}") from error
    values = []
    for k, info in enumerate(infos):
        key = info.name if info.name in arrays else f"arr_{k}"
        if key not in arrays:
            raise SourceError(f"{path}: no array for input {k} '{info.name}' (arrays: {', '.join(arrays) or 'none'}; "
                              f"name them after the input tensors or save them in order as arr_0, arr_1, ...)")
        values.append(arrays[key])
    return values


def _output_names(infos: list[Any]) -> list[str]:
    """Tensor names as .npz keys; output_<k> where a name is empty or repeated."""
    names = [info.name for info in infos]
    return [n if n and names.count(n) == 1 else f"output_{k}" for k, n in enumerate(names)]


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from edgesim.errors import SourceError
    from edgesim.compute.model import Model

    model = Model(args.model)
    inputs, outputs = [Path(p) for p in args.input], [Path(p) for p in args.output]
    npz_in = len(inputs) == 1 and _kind(inputs[0], "input") == ".npz"
    npz_out = len(outputs) == 1 and _kind(outputs[0], "output") == ".npz"
    if (not npz_in and len(inputs) != len(model.inputs)) or (not npz_out and len(outputs) != len(model.outputs)):
        raise SourceError(f"{args.model} has {len(model.inputs)} input(s) and {len(model.outputs)} output(s); "
                          f"got {len(inputs)} --input and {len(outputs)} --output (or give one .npz)")
    for paths in (inputs, outputs):
        for path in paths:
            if len(paths) > 1 and path.suffix.lower() == ".npz":
                raise SourceError(f"{path}: a .npz holds all inputs or all outputs; give it as the only one")
    values = (_read_npz_inputs(inputs[0], model.inputs) if npz_in
              else [_read_input(p, info) for p, info in zip(inputs, model.inputs)])
    results = model.invoke(*values)
    if len(model.outputs) == 1:
        results = [results]
    try:
        if npz_out:
            np.savez(outputs[0], **dict(zip(_output_names(model.outputs), results)))
        for path, value in zip(outputs if not npz_out else [], results):
            if path.suffix.lower() == ".npy":
                np.save(path, value)
            else:
                path.write_bytes(np.ascontiguousarray(value).tobytes())
    except OSError as error:
        raise SourceError(f"{error.filename or outputs[0]}: cannot write output: {error.strerror or error}") from error
    for k, (info, value) in enumerate(zip(model.outputs, results)):
        path = outputs[0] if npz_out else outputs[k]
        shown = np.array2string(value.reshape(-1)[:16], separator=" ")
        print(f"{info.name} {list(info.shape)} {info.dtype} -> {path}: {shown}{' ...' if value.size > 16 else ''}")
    return 0
