"""The runtime's C (runtime/, ops/, quant/) builds for both targets and keeps no state.

- warning-free (-Werror) with -std=c99 -Wall -Wextra on the host gcc and on
  arm-none-eabi-gcc with the Cortex-M4 flags the firmware uses;
- no writable global or static data in any object file (.data/.bss symbols),
  so several models can coexist;
- two models loaded side by side give the same answers as each alone.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from native_build import KERNELS, kernel_sources, require_compiler

FOLDERS = ("common", "runtime", "ops", "quant")
M4_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]


def compile_objects(compiler: str, flags: list[str], out_dir: Path) -> list[Path]:
    objects = []
    for source in kernel_sources(*FOLDERS):
        obj = out_dir / f"{source.parent.name}_{source.stem}.o"
        cmd = [compiler, "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", *flags, f"-I{KERNELS / 'include'}", "-c",
               str(source), "-o", str(obj)]
        result = subprocess.run(cmd, capture_output=True, text=True)
        assert result.returncode == 0, f"{' '.join(cmd)}\n{result.stderr}"
        objects.append(obj)
    return objects


@pytest.mark.parametrize("target", ["host", "cortex-m4"])
def test_compiles_warning_free_without_writable_globals(target: str, tmp_path: Path) -> None:
    if target == "host":
        # -fno-pic: position-independent code would put const tables of
        # pointers in .data.rel.ro, which nm also lists as "D".
        compiler, flags, nm = require_compiler("gcc"), ["-fno-pic"], "nm"
    else:
        compiler, flags, nm = require_compiler("arm-none-eabi-gcc"), M4_FLAGS, "arm-none-eabi-nm"
    objects = compile_objects(compiler, flags, tmp_path)
    symbols = subprocess.run([nm, *map(str, objects)], capture_output=True, text=True, check=True).stdout
    # nm lines: "<address> <type> <name>"; B/b = .bss, D/d = .data, C = common.
    writable = [line for line in symbols.splitlines()
                if len(line.split()) == 3 and line.split()[1] in ("B", "b", "D", "d", "C")]
    assert not writable, f"writable global/static data (no global mutable state allowed):\n" + "\n".join(writable)


def test_models_coexist() -> None:
    import edgesim

    speech_path = shared_path("models", "micro_speech_quantized.tflite")
    wand_path = shared_path("models", "magic_wand.tflite")
    rng = np.random.default_rng(3)
    speech_inputs = [rng.integers(-128, 128, (1, 1960), dtype=np.int8) for _ in range(5)]
    wand_inputs = [rng.integers(-128, 128, (1, 32, 32, 3), dtype=np.int8) for _ in range(5)]
    alone_speech = [edgesim.Model(speech_path).invoke(x) for x in speech_inputs]
    alone_wand = [edgesim.Model(wand_path).invoke(x) for x in wand_inputs]
    speech_a, speech_b, wand = edgesim.Model(speech_path), edgesim.Model(speech_path), edgesim.Model(wand_path)
    for i in range(5):
        np.testing.assert_array_equal(speech_a.invoke(speech_inputs[i]), alone_speech[i])
        np.testing.assert_array_equal(wand.invoke(wand_inputs[i]), alone_wand[i])
        np.testing.assert_array_equal(speech_b.invoke(speech_inputs[4 - i]), alone_speech[4 - i])
