"""The front end's generated tables and config.h parameters equal the model's.

The tables are computed by edgesim/kernels/dsp/audio/gen_audio_tables.py (the
way upstream computes them), never extracted from the model; this test reads
the model's constant tensors and custom options and asserts equality.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edgesim import _audio

from conftest import REPO_ROOT, shared_path

GENERATOR = REPO_ROOT / "edgesim" / "kernels" / "dsp" / "audio" / "gen_audio_tables.py"


def load_graph(model: Path) -> list[dict]:
    """[{op, options, inputs: [np.ndarray | None (non-constant)]}] in execution order."""
    schema = pytest.importorskip("tflite_micro.tensorflow.lite.micro.python.schema_py_generated")
    flexbuffers = pytest.importorskip("flatbuffers.flexbuffers")
    m = schema.ModelT.InitFromPackedBuf(model.read_bytes(), 0)
    graph = m.subgraphs[0]
    builtin_names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    dtypes = {schema.TensorType.INT16: np.int16, schema.TensorType.INT32: np.int32}
    ops = []
    for op in graph.operators:
        code = m.operatorCodes[op.opcodeIndex]
        name = code.customCode.decode() if code.customCode else builtin_names[max(code.builtinCode,
                                                                                   code.deprecatedBuiltinCode)]
        inputs = []
        for i in op.inputs:
            tensor = graph.tensors[i]
            data = m.buffers[tensor.buffer].data
            inputs.append(None if data is None or len(data) == 0
                          else np.frombuffer(np.asarray(data, np.uint8).tobytes(), dtypes[tensor.type]))
        options = flexbuffers.Loads(bytes(op.customOptions)) if op.customOptions is not None else {}
        ops.append({"op": name, "options": options, "inputs": inputs})
    return ops


@pytest.fixture(scope="module")
def graph() -> list[dict]:
    return load_graph(shared_path("models", "audio_preprocessor_int8.tflite"))


def op(graph: list[dict], name: str, nth: int = 0) -> dict:
    return [o for o in graph if o["op"] == name][nth]


def table(name: str) -> np.ndarray:
    raw = _audio.tables()[name]
    return np.frombuffer(raw, np.uint16 if name == "log_lut" else np.int16)


def test_graph_is_the_pipeline_the_kernels_implement(graph: list[dict]) -> None:
    assert [o["op"] for o in graph] == [
        "SignalWindow", "RESHAPE", "SignalFftAutoScale", "SignalRfft", "SignalEnergy", "CAST",
        "STRIDED_SLICE", "CONCATENATION", "CAST", "SignalFilterBank", "SignalFilterBankSquareRoot",
        "SignalFilterBankSpectralSubtraction", "SignalPCAN", "SignalFilterBankLog", "CAST", "MUL", "ADD",
        "DIV", "ADD", "MINIMUM", "MAXIMUM", "CAST"]


def test_window_coefficients_and_shift(graph: list[dict]) -> None:
    window = op(graph, "SignalWindow")
    assert window["options"] == {"shift": _audio.WINDOW_SHIFT}
    np.testing.assert_array_equal(table("window"), window["inputs"][1])
    assert len(table("window")) == _audio.WINDOW_SAMPLES
    # the fast path's copy: even-indexed coefficients, then odd-indexed
    np.testing.assert_array_equal(table("window_planar"), np.concatenate([table("window")[0::2],
                                                                          table("window")[1::2]]))


def test_fft_and_energy_range(graph: list[dict]) -> None:
    assert op(graph, "SignalRfft")["options"]["fft_length"] == _audio.FFT_LENGTH
    assert op(graph, "SignalEnergy")["options"] == {"start_index": _audio.SPECTRUM_START,
                                                    "end_index": _audio.SPECTRUM_END}
    sliced = op(graph, "STRIDED_SLICE")["inputs"]
    assert (int(sliced[1][0]), int(sliced[2][0]), int(sliced[3][0])) == (_audio.SPECTRUM_START,
                                                                          _audio.SPECTRUM_END, 1)


def test_filter_bank_tables(graph: list[dict]) -> None:
    fb = op(graph, "SignalFilterBank")
    assert fb["options"] == {"num_channels": _audio.FEATURE_CHANNELS}
    names = ["fb_weights", "fb_unweights", "fb_freq_starts", "fb_weight_starts", "fb_widths"]
    for name, model_values in zip(names, fb["inputs"][1:]):
        np.testing.assert_array_equal(table(name), model_values, err_msg=name)
    # every bin a channel reads lies inside the spectrum
    assert int((table("fb_freq_starts") + table("fb_widths")).max()) <= _audio.SPECTRUM_BINS


def test_noise_reduction_pcan_and_log_parameters(graph: list[dict]) -> None:
    assert op(graph, "SignalFilterBankSpectralSubtraction")["options"] == {
        "num_channels": _audio.FEATURE_CHANNELS,
        "smoothing": _audio.NR_SMOOTHING,
        "one_minus_smoothing": (1 << _audio.NR_COEFF_BITS) - _audio.NR_SMOOTHING,
        "alternate_smoothing": _audio.NR_ALT_SMOOTHING,
        "alternate_one_minus_smoothing": (1 << _audio.NR_COEFF_BITS) - _audio.NR_ALT_SMOOTHING,
        "min_signal_remaining": _audio.NR_MIN_SIGNAL_REMAINING,
        "smoothing_bits": _audio.NR_SMOOTHING_BITS,
        "spectral_subtraction_bits": _audio.NR_COEFF_BITS,
        "clamping": False,
    }
    pcan = op(graph, "SignalPCAN")
    assert pcan["options"] == {"snr_shift": _audio.PCAN_SNR_SHIFT}
    np.testing.assert_array_equal(table("pcan_gain_lut"), pcan["inputs"][2])
    assert op(graph, "SignalFilterBankLog")["options"] == {"input_correction_bits": _audio.LOG_CORRECTION_BITS,
                                                           "output_scale": _audio.LOG_SCALE}


def test_final_int8_scaling_constants(graph: list[dict]) -> None:
    scalar = lambda name, i=0, idx=1: int(op(graph, name, i)["inputs"][idx][0])  # noqa: E731
    assert scalar("MUL") == _audio.FEATURE_MUL
    assert scalar("ADD", 0) == _audio.FEATURE_DIV // 2
    assert scalar("DIV") == _audio.FEATURE_DIV
    assert (scalar("ADD", 1), scalar("MINIMUM"), scalar("MAXIMUM")) == (-128, 127, -128)


def test_log_lut_is_log2_fraction_table() -> None:
    lut = table("log_lut").astype(np.int64)
    assert len(lut) == 130 and lut[0] == 0 and lut[128] == 0 and lut[129] == 0
    # spot values of upstream's kLogLut (signal/src/log.cc)
    assert (lut[1], lut[64], lut[127]) == (224, 5568, 142)


def test_twiddles_are_kissfft_q15() -> None:
    n = _audio.FFT_LENGTH // 2
    kiss = [(int(np.floor(0.5 + 32767 * np.cos(-2 * np.pi * i / n))),
             int(np.floor(0.5 + 32767 * np.sin(-2 * np.pi * i / n)))) for i in range(n)]
    tw = table("fft_twiddles")
    m, offset = 1, 0
    while m < n:  # per stage m: legs 1..3, m real parts then m imaginary parts
        assert offset == 2 * (m - 1)
        for leg in (1, 2, 3):
            block = tw[offset:offset + 2 * m].reshape(2, m)
            expected = np.array([kiss[leg * k * (n // (4 * m))] for k in range(m)]).T
            np.testing.assert_array_equal(block, expected)
            offset += 2 * m
        m *= 4
    assert offset == len(tw)
    assert len(table("rfft_twiddles")) == 2 * (_audio.FFT_LENGTH // 4)


def test_generated_tables_are_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
