"""Inference latency and arena size of edgesim against TFLite Micro and LiteRT.

For each reference model (../shared/models) this measures, in one run and on
the same random inputs, the median time of one inference (input in, output
out, through each runtime's Python API) for:

  edgesim            edgesim.Model (the C99 kernels)
  tflite-micro       tflite_micro.runtime.Interpreter (TFLM reference kernels)
  litert             ai_edge_litert Interpreter, default resolver (XNNPACK), 1 thread
  litert-ref         ai_edge_litert Interpreter, OpResolverType.BUILTIN_REF

and prints the ratios (how many times faster edgesim is), plus edgesim's arena
bytes against TFLM's (7584 / 85264 / 10144, from ../shared/models/README.md).
Every runtime's output is compared with TFLM's on each input; differences are
reported, not hidden.  Targets: edgesim >= 3x faster than tflite-micro on
every model, arena <= 0.8x TFLM's.

Usage:
    .venv/bin/python benchmarks/bench_inference.py [--repeat 200] [--models person_detect ...]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO.parent / "shared" / "models"
# TFLM arena totals on x86-64 (../shared/models/README.md, "host arena").
TFLM_ARENA = {"micro_speech_quantized": 7584, "person_detect": 85264, "magic_wand": 10144}


def litert_loadable(model: bytes) -> bytes:
    """LiteRT rejects rank-1 tensors whose quantized_dimension is out of range
    (person_detect's biases carry 3, a converter quirk TFLM ignores); return a
    copy with those set to 0, as ../shared/models/README.md describes."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema
    import flatbuffers

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    changed = False
    for graph in m.subgraphs:
        for t in graph.tensors:
            q = t.quantization
            if q is not None and t.shape is not None and q.quantizedDimension >= max(len(t.shape), 1):
                q.quantizedDimension = 0
                changed = True
    if not changed:
        return model
    builder = flatbuffers.Builder(len(model) + 1024)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def runners(model: bytes) -> dict[str, Callable[[np.ndarray], np.ndarray] | str]:
    """name -> function(input) -> output, or a string saying why it is unavailable."""
    out: dict[str, Callable[[np.ndarray], np.ndarray] | str] = {}
    import edgesim

    es = edgesim.Model(model)
    out["edgesim"] = lambda x: es.invoke(x)

    from tflite_micro import runtime

    tflm = runtime.Interpreter.from_bytes(model, arena_size=512 * 1024)

    def run_tflm(x: np.ndarray) -> np.ndarray:
        tflm.set_input(x, 0)
        tflm.invoke()
        return tflm.get_output(0)

    out["tflite-micro"] = run_tflm
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError as error:
        out["litert"] = out["litert-ref"] = f"ai-edge-litert not installed ({error})"
        return out
    for name, resolver in (("litert", OpResolverType.AUTO), ("litert-ref", OpResolverType.BUILTIN_REF)):
        try:
            interp = Interpreter(model_content=litert_loadable(model), num_threads=1,
                                 experimental_op_resolver_type=resolver)
            interp.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            out[name] = f"cannot load: {error}"
            continue
        inp, outp = interp.get_input_details()[0]["index"], interp.get_output_details()[0]["index"]

        def run_litert(x: np.ndarray, interp=interp, inp=inp, outp=outp) -> np.ndarray:
            interp.set_tensor(inp, x)
            interp.invoke()
            return interp.get_tensor(outp)

        out[name] = run_litert
    return out


def median_seconds(funcs: dict[str, Callable[[np.ndarray], np.ndarray]], inputs: list[np.ndarray],
                   repeat: int) -> dict[str, float]:
    """Median seconds per call of each function.  The runtimes take turns on
    every input, so load from other processes on a shared machine slows them
    alike instead of skewing the ratios."""
    for fn in funcs.values():
        for x in inputs[:3]:
            fn(x)  # warm up caches and lazy allocation
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for i in range(repeat):
        x = inputs[i % len(inputs)]
        for name, fn in funcs.items():
            t0 = time.perf_counter()
            fn(x)
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200, help="timed inferences per runtime and model")
    parser.add_argument("--models", nargs="*", default=list(TFLM_ARENA), help="model names in ../shared/models")
    args = parser.parse_args(argv)
    if not MODELS_DIR.is_dir():
        print(f"bench_inference: reference models not found at {MODELS_DIR}", file=sys.stderr)
        return 2
    import edgesim

    rows = []
    rng = np.random.default_rng(0)
    for name in args.models:
        data = (MODELS_DIR / f"{name}.tflite").read_bytes()
        info = edgesim.Model(data)
        shape, dtype = info.inputs[0].shape, info.inputs[0].dtype
        inputs = [rng.integers(-128, 128, shape).astype(dtype) for _ in range(16)]
        funcs = runners(data)
        reference = [np.array(funcs["tflite-micro"](x), copy=True) for x in inputs]
        result: dict = {"model": name, "arena": info.arena_bytes, "notes": []}
        available = {}
        for runtime_name, fn in funcs.items():
            if isinstance(fn, str):
                result[runtime_name] = None
                result["notes"].append(f"{runtime_name}: {fn}")
                continue
            diffs = [int(np.abs(np.asarray(fn(x), np.int64) - r.astype(np.int64)).max()) for x, r in zip(inputs, reference)]
            if max(diffs):
                result["notes"].append(f"{runtime_name}: output differs from TFLM by up to {max(diffs)} LSB")
            available[runtime_name] = fn
        result.update(median_seconds(available, inputs, args.repeat))
        rows.append(result)

    header = (f"{'model':<24}{'edgesim':>10}{'tflm':>10}{'litert':>10}{'lrt-ref':>10}"
              f"{'tflm/es':>9}{'litert/es':>10}{'ref/es':>8}{'arena':>8}{'TFLM':>8}{'ratio':>7}")
    print("median latency per inference in microseconds; x/es = how many times faster edgesim is than x")
    print(header)
    ok = True
    for r in rows:
        def us(key: str) -> str:
            return f"{r[key] * 1e6:10.1f}" if r.get(key) else f"{'n/a':>10}"

        def ratio(key: str, width: int) -> str:
            return f"{r[key] / r['edgesim']:{width}.2f}" if r.get(key) else f"{'n/a':>{width}}"

        tflm_arena = TFLM_ARENA.get(r["model"])
        arena_ratio = f"{r['arena'] / tflm_arena:7.2f}" if tflm_arena else f"{'n/a':>7}"
        print(f"{r['model']:<24}{us('edgesim')}{us('tflite-micro')}{us('litert')}{us('litert-ref')}"
              f"{ratio('tflite-micro', 9)}{ratio('litert', 10)}{ratio('litert-ref', 8)}"
              f"{r['arena']:8d}{tflm_arena or 0:8d}{arena_ratio}")
        ok &= r["tflite-micro"] / r["edgesim"] >= 3.0
    for r in rows:
        for note in r["notes"]:
            print(f"note: {r['model']}: {note}")
    print("target edgesim >= 3x faster than tflite-micro on every model:", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
