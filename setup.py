"""Builds the C kernels into the Python package.

Every file edgesim/_native/<stem>.c is a thin CPython binding that becomes the
extension module `edgesim._<stem>`; it is compiled together with the kernel
folders of its concern (MODULE_KERNELS).  The firmware compiles the very same
kernel sources for the Cortex-M4 (see firmware/), so there is one copy of
every kernel.

EDGESIM_ONLY=<stem>[,<stem>] builds just those modules (used by `make build`
while developing one concern).
"""
import os
import platform
import shutil
from pathlib import Path

from setuptools import Extension, find_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
KERNELS = Path("edgesim") / "kernels"

# extension stem -> kernel folders (under edgesim/kernels) it compiles
MODULE_KERNELS = {
    "runtime": ["common", "runtime", "ops", "quant"],
    "audio": ["common", "dsp/audio"],
    "image": ["common", "dsp/image"],
    "imu": ["common", "dsp/imu"],
    "post": ["common", "post"],
    "protocol": ["common", "protocol"],
    "jpeg": ["common", "dsp/image"],
    # the app layer with the kernels it composes (the host target's stream logic)
    "app": ["common", "app", "dsp/audio", "dsp/imu", "post"],
}

# -ffp-contract=off: the few float stages (IMU integration) must round the
# same way on x86-64 and on the Cortex-M4 FPU, so no fused multiply-add.
CFLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-ffp-contract=off", "-fno-strict-aliasing"]

# Extra flags per module.  The audio front end's integer kernels are written
# to vectorize (see dsp/audio/fft_fixed.h); -O3 makes them fast on the host
# with the same bits (integer code: flags cannot change results; the tests
# compare every frame with the reference model).  -fno-math-errno lets the
# square-root seed (always >= 0, errno never set) vectorize.  The app layer
# runs the audio front end for the host target: the same flags.
AUDIO_CFLAGS = ["-O3", "-fno-math-errno"]
MODULE_CFLAGS = {"audio": AUDIO_CFLAGS, "app": AUDIO_CFLAGS}

X86_64 = platform.machine() in ("x86_64", "AMD64")
# Wheels run on any CPU of their architecture: nothing is built for the build
# machine's CPU unless EDGESIM_NATIVE=1 asks for it (a local build).  On x86-64
# the modules listed here are also built with AVX2 as edgesim._<stem>_avx2,
# chosen at import time when the CPU has it (edgesim/compute/cpu.py): ~2x
# faster audio front end, same bits.
NATIVE = ["-march=native"] if os.environ.get("EDGESIM_NATIVE") == "1" else []
AVX2_VARIANTS = ("audio", "app") if X86_64 else ()


def sources_of(stem: str) -> list[str]:
    if stem not in MODULE_KERNELS:
        raise SystemExit(f"setup.py: add edgesim/_native/{stem}.c to MODULE_KERNELS")
    kernel_files = sorted(str(p) for d in MODULE_KERNELS[stem] for p in (ROOT / KERNELS / d).rglob("*.c"))
    return [str(Path("edgesim") / "_native" / f"{stem}.c")] + [str(Path(p).relative_to(ROOT)) for p in kernel_files]


stems = sorted(p.stem for p in (ROOT / "edgesim" / "_native").glob("*.c"))
only = [s for s in os.environ.get("EDGESIM_ONLY", "").split(",") if s]
if only:
    stems = [s for s in stems if s in only]

INCLUDE_DIRS = [str(KERNELS / "include"), str(Path("edgesim") / "_native")]
extensions = [
    Extension(name=f"edgesim._{stem}", sources=sources_of(stem), include_dirs=INCLUDE_DIRS,
              extra_compile_args=CFLAGS + MODULE_CFLAGS.get(stem, []) + NATIVE)
    for stem in stems
] + [
    Extension(name=f"edgesim._{stem}_avx2", sources=sources_of(stem), include_dirs=INCLUDE_DIRS,
              define_macros=[("ES_MODULE", f"_{stem}_avx2")],
              extra_compile_args=CFLAGS + MODULE_CFLAGS.get(stem, []) + ["-mavx2"])
    for stem in stems if stem in AVX2_VARIANTS
]


class build_py_with_data(build_py):
    """Also copies firmware/ and renode/ into the package as edgesim/_data/
    (edgesim/resources.py finds them there), so an installed edgesim builds
    firmware and runs Renode without the repository."""

    def run(self) -> None:
        super().run()
        for folder in DATA_FOLDERS:
            target = Path(self.build_lib) / "edgesim" / "_data" / folder
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(ROOT / folder, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


DATA_FOLDERS = ("firmware", "renode")

# The repository keeps apps/ at the top (one declarative file per app); the
# installed package carries them as edgesim.apps so nothing but `edgesim` is
# installed top-level.
PACKAGES = find_packages(include=["edgesim", "edgesim.*"]) + ["edgesim.apps"]
PACKAGE_DIR = {"edgesim.apps": "apps"}

setup(ext_modules=extensions, packages=PACKAGES, package_dir=PACKAGE_DIR, cmdclass={"build_py": build_py_with_data})
