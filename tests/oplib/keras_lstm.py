"""Keras LSTM layers converted by TFLiteConverter into one fused
UNIDIRECTIONAL_SEQUENCE_LSTM, float32 or full-integer int8 (int8 I/O, int16
cell state), as a user's model would be.

Conversion runs in a child process (`python keras_lstm.py SPEC_JSON OUT_DIR`):
the fused op comes from Keras 2 (the `tf_keras` package with
TF_USE_LEGACY_KERAS=1, which must be set before TensorFlow is imported; Keras
3's LSTM converts to a WHILE loop instead, whose int8 calibration crashes the
converter), and a converter crash must not take pytest down with it.

Usage::

    specs = random_specs(np.random.default_rng(1), 3, "int8")
    models = convert(specs, tmp_dir)          # one .tflite bytes per spec
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class LstmSpec:
    units: int
    input_size: int
    time_steps: int
    batch: int
    return_sequences: bool
    time_major: bool
    dtype: str  # "float32" or "int8"
    seed: int
    float_io: bool = False  # int8: float input and output (QUANTIZE/DEQUANTIZE around the LSTM)

    @property
    def description(self) -> str:
        return (f"LSTM {self.dtype} units {self.units} input {self.input_size} steps {self.time_steps} "
                f"batch {self.batch} return_sequences {self.return_sequences} time_major {self.time_major}"
                + (" float I/O" if self.float_io else ""))


def random_specs(rng: np.random.Generator, count: int, dtype: str) -> list[LstmSpec]:
    return [LstmSpec(units=int(rng.integers(1, 9)), input_size=int(rng.integers(1, 7)),
                     time_steps=int(rng.integers(1, 7)), batch=int(rng.integers(1, 3)),
                     return_sequences=bool(rng.integers(0, 2)), time_major=bool(rng.integers(0, 2)),
                     dtype=dtype, seed=int(rng.integers(0, 1 << 30))) for _ in range(count)]


def convert(specs: list[LstmSpec], out_dir: Path, timeout: float = 600) -> list[bytes]:
    """The converted models (TensorFlow and tf_keras needed: the caller skips without them)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, __file__, json.dumps([asdict(s) for s in specs]), str(out_dir)],
                            capture_output=True, timeout=timeout, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"converting the Keras LSTM models failed (exit {result.returncode}):\n"
                           + result.stderr.decode(errors="replace")[-2000:])
    return [(out_dir / f"lstm_{i}.tflite").read_bytes() for i in range(len(specs))]


def _convert_one(spec: LstmSpec) -> bytes:
    import tensorflow as tf
    import tf_keras as keras

    keras.utils.set_random_seed(spec.seed)
    # Random weights of a trained network's magnitude (Keras' orthogonal
    # recurrent init gives small gates; scaling them up exercises saturation).
    inputs = keras.Input(shape=(spec.time_steps, spec.input_size), batch_size=spec.batch)
    # time_major: the layer reads axis 0 of the [batch, time, n] Keras input as
    # time (the converter's fused op gets time_major=True).
    layer = keras.layers.LSTM(spec.units, return_sequences=spec.return_sequences, time_major=spec.time_major,
                              kernel_initializer=keras.initializers.RandomNormal(stddev=0.8),
                              recurrent_initializer=keras.initializers.RandomNormal(stddev=0.6),
                              bias_initializer=keras.initializers.RandomNormal(stddev=0.5))
    model = keras.Model(inputs, layer(inputs))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if spec.dtype == "int8":
        rng = np.random.default_rng(spec.seed)
        shape = (spec.batch, spec.time_steps, spec.input_size)

        def representative():
            for _ in range(30):
                yield [rng.normal(0, 1, shape).astype(np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if not spec.float_io:
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
    return converter.convert()


if __name__ == "__main__":
    out = Path(sys.argv[2])
    for i, fields in enumerate(json.loads(sys.argv[1])):
        (out / f"lstm_{i}.tflite").write_bytes(_convert_one(LstmSpec(**fields)))
