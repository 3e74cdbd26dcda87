"""Builds the Cortex-M4 firmware image of an app from the shared C kernels.

The firmware compiles the very same kernel sources as the Python extension
(edgesim/kernels/**), plus firmware/ (app loop, board layer); the model is
embedded at build time from the model store.  Results are cached by a hash
of everything that goes in (sources, headers, flags, model, app parameters),
so a second build of the same app is instant::

    from edgesim.mcu.firmware_builder import build_app
    image = build_app("wake_word", board="mps2-an386")
    image.elf            # Path of the linked ELF (QEMU loads it with -kernel)
    print(image.size.report())

Images are cached under ``<build dir>/firmware`` (``~/.cache/edgesim/build/firmware``;
``EDGESIM_BUILD_DIR`` or ``EDGESIM_CACHE`` move it, see edgesim.resources).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from edgesim import resources
from edgesim.errors import TargetError
from edgesim.mcu.size import SizeReport, measure

if TYPE_CHECKING:
    from edgesim.app import App, FilterbankTable

# firmware/ of the checkout or of the installed package (edgesim.resources);
# sources are named relative to SOURCE_ROOT ("firmware/app_main.c").
SOURCE_ROOT = resources.data_root()
FIRMWARE = resources.firmware_dir()
KERNELS = resources.KERNELS_DIR
CC = "arm-none-eabi-gcc"
INSTALL_HINT = ("install the cross compiler: sudo apt-get install --no-install-recommends "
                "gcc-arm-none-eabi libnewlib-arm-none-eabi")

CPU_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]
# -ffp-contract=off as for the extension: float stages round the same way as on x86-64.
C_FLAGS = CPU_FLAGS + ["-std=c99", "-O2", "-g", "-Wall", "-Wextra", "-ffp-contract=off", "-fno-strict-aliasing",
                       "-ffunction-sections", "-fdata-sections", "-fno-common"]
LINK_FLAGS = CPU_FLAGS + ["-nostartfiles", "-Wl,--gc-sections", "--specs=nano.specs", "-Wl,--no-warn-rwx-segments"]
DEFAULT_STACK_BYTES = 16 * 1024


@dataclass(frozen=True)
class Board:
    """A board layer: its folder under firmware/boards and what it compiles."""

    name: str
    sources: tuple[str, ...]
    description: str
    consoles: tuple[str, ...] = ("uart",)  # protocol channels; the first is the default

    def console_defines(self, console: str | None) -> dict[str, str]:
        """-D macros selecting the console; TargetError for one the board lacks."""
        chosen = console or self.consoles[0]
        if chosen not in self.consoles:
            raise TargetError(f"board {self.name!r} has no {chosen!r} console (available: {', '.join(self.consoles)})")
        if chosen == "uart-polled":  # UARTE0 without PPI or shorts: what Renode models (boards/nano33ble/board.c)
            return {"FW_CONSOLE_UART": "1", "FW_UART_RX_BYTEWISE": "1"}
        return {"FW_CONSOLE_UART": "1"} if chosen == "uart" and "usb" in self.consoles else {}

    @property
    def folder(self) -> Path:
        return FIRMWARE / "boards" / self.name


BOARDS: dict[str, Board] = {b.name: b for b in (
    Board("mps2-an386", ("board.c",), "QEMU's Cortex-M4F board (CMSDK UART0, semihosting)"),
    Board("nano33ble", ("board.c", "usb/usbd.c", "usb/descriptors.c", "usb/cdc_acm.c"),
          "Arduino Nano 33 BLE (Sense): nRF52840, app at 0x10000 above the bootloader", ("usb", "uart", "uart-polled")),
)}

# Firmware files every image links (the app loop is added by build_app).
CORE_SOURCES = ("firmware/cortex_m4.c", "firmware/link.c")
# Kernel folders an app image compiles: the inference runtime and the
# folders of its preprocessing kind (the same folders setup.py gives the
# extension modules), so a kernel under construction elsewhere cannot break it.
RUNTIME_KERNELS = ("common", "protocol", "runtime", "ops", "quant", "post", "app")
APP_KERNELS = {"audio_frontend": ("dsp/audio",), "image": ("dsp/image",), "imu_stroke": ("dsp/imu",)}
# App I/O per preprocessing kind of the app definition (apps/*.py).
APP_GLUE = {"audio_frontend": "firmware/apps/audio.c", "image": "firmware/apps/image.c",
            "imu_stroke": "firmware/apps/imu.c"}


@dataclass(frozen=True)
class FirmwareImage:
    """A linked firmware image and its size report."""

    name: str
    board: str
    elf: Path
    binary: Path
    size: SizeReport
    cached: bool

    def with_arena_source(self, source: str) -> "FirmwareImage":
        """The image with its size report saying where the arena figure comes from."""
        return replace(self, size=replace(self.size, arena_source=source))


def get_board(name: str) -> Board:
    try:
        return BOARDS[name]
    except KeyError:
        raise TargetError(f"unknown board {name!r}; available: {', '.join(BOARDS)}") from None


def toolchain() -> str:
    """Path of arm-none-eabi-gcc, or TargetError saying how to install it."""
    path = shutil.which(CC)
    if path is None:
        raise TargetError(f"{CC} not found on PATH; {INSTALL_HINT}")
    return path


def cache_root() -> Path:
    return resources.build_dir() / "firmware"


# Kernel folders every image needs (status strings, the frame codec).
CORE_KERNELS = ("common", "protocol")


def kernel_sources(*folders: str) -> list[Path]:
    """The .c files of kernel folders (all folders when none is given): the
    very files the extension modules compile (setup.py MODULE_KERNELS)."""
    roots = [KERNELS / f for f in folders] if folders else [KERNELS]
    return sorted({p for root in roots for p in root.rglob("*.c")})


def _headers_digest() -> str:
    h = hashlib.sha256()
    for root in (KERNELS, FIRMWARE):
        for path in sorted(root.rglob("*.h")):
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())  # every header's text: an edited header rebuilds what includes it
    return h.hexdigest()


def _resolve(source: str | Path) -> Path:
    path = Path(source)
    return path if path.is_absolute() else SOURCE_ROOT / path


def _compile(cc: str, source: Path, flags: Sequence[str], headers: str, out_dir: Path) -> Path:
    key = hashlib.sha256("\0".join([cc, *flags, headers, str(source)]).encode() + source.read_bytes()).hexdigest()[:20]
    obj = out_dir / f"{source.stem}-{key}.o"
    if obj.exists():
        return obj
    tmp = obj.with_suffix(f".{os.getpid()}.tmp")
    result = subprocess.run([cc, *flags, "-c", str(source), "-o", str(tmp)], capture_output=True, text=True)
    if result.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise TargetError(f"firmware: compiling {source.relative_to(SOURCE_ROOT) if source.is_relative_to(SOURCE_ROOT) else source} "
                          f"failed:\n{result.stderr.strip()}")
    os.replace(tmp, obj)
    return obj


def link_image(name: str, board: str, sources: Iterable[str | Path], *, kernels: Sequence[str] = CORE_KERNELS,
               defines: Mapping[str, str] = {},
               model: Path | None = None, generated: Mapping[str, str] = {},
               stack_bytes: int = DEFAULT_STACK_BYTES) -> FirmwareImage:
    """Compile `sources` + the board layer + the core files and link an image.

    defines: -D macros; generated: header name -> text written into the
    build's include folder (e.g. app_config.h); model: a .tflite embedded in
    the .model section as es_model_data / es_model_end.
    """
    cc = toolchain()
    spec = get_board(board)
    firmware_sources = [_resolve(s) for s in (*CORE_SOURCES, *sources)] + [spec.folder / s for s in spec.sources]
    kernel_files = kernel_sources(*kernels)
    headers = _headers_digest()
    h = hashlib.sha256()
    for part in (cc, name, board, str(stack_bytes), headers, repr(sorted(defines.items())),
                 repr(sorted(generated.items()))):
        h.update(part.encode() + b"\0")
    for path in firmware_sources + kernel_files + [spec.folder / "board.ld", FIRMWARE / "boards" / "cortex_m4.ld"]:
        h.update(path.read_bytes())
    if model is not None:
        h.update(Path(model).read_bytes())
    key = h.hexdigest()[:16]
    out = cache_root() / f"{name}-{board}-{key}"
    elf = out / f"{name}.elf"
    binary = out / f"{name}.bin"
    if elf.exists() and binary.exists():
        return FirmwareImage(name, board, elf, binary, measure(elf, stack_bytes), cached=True)

    gen_dir = out / "include"
    gen_dir.mkdir(parents=True, exist_ok=True)
    for header, text in generated.items():
        (gen_dir / header).write_text(text)
    # Kernels see only the kernel headers, so their objects are shared by
    # every app and board; firmware files also see the board and app_config.h.
    kernel_flags = C_FLAGS + [f"-I{KERNELS / 'include'}"]
    firmware_flags = kernel_flags + [f"-I{gen_dir}", f"-I{FIRMWARE}", f"-I{spec.folder}"]
    firmware_flags += [f"-D{k}={v}" for k, v in sorted(defines.items())]
    obj_dir = cache_root() / "objects"
    obj_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(s, kernel_flags, headers) for s in kernel_files]
    jobs += [(s, firmware_flags, headers + repr(sorted(generated.items()))) for s in firmware_sources]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        objects = list(pool.map(lambda job: _compile(cc, job[0], job[1], job[2], obj_dir), jobs))
    if model is not None:
        objects.append(_model_object(cc, Path(model), out))
    tmp = elf.with_suffix(f".{os.getpid()}.tmp")  # parallel eval workers may link at once
    cmd = [cc, *LINK_FLAGS, f"-L{FIRMWARE / 'boards'}", f"-T{spec.folder / 'board.ld'}",
           f"-Wl,--defsym=__stack_size={stack_bytes}", f"-Wl,-Map={out / (name + '.map')}",
           *map(str, objects), "-lm", "-o", str(tmp)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise TargetError(f"firmware: linking {name} for {board} failed:\n{result.stderr.strip()}")
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", str(tmp), str(binary)], check=True)
    os.replace(tmp, elf)
    return FirmwareImage(name, board, elf, binary, measure(elf, stack_bytes), cached=False)


def generated_source(text: str) -> Path:
    """A generated C file, stored by content hash in the firmware cache."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = cache_root() / "generated" / f"compiled_model-{digest}.c"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    return path


def _model_object(cc: str, model: Path, out: Path) -> Path:
    """An object holding the model bytes (.incbin: no C array to generate)."""
    if not model.is_file():
        raise TargetError(f"firmware: model file {model} not found")
    asm = out / "model.S"
    asm.write_text(
        '  .section .model,"a"\n  .balign 16\n  .global es_model_data\nes_model_data:\n'
        f'  .incbin "{model.resolve()}"\n  .global es_model_end\nes_model_end:\n')
    obj = out / "model.o"
    subprocess.run([cc, *CPU_FLAGS, "-c", str(asm), "-o", str(obj)], check=True, capture_output=True)
    return obj


# HELLO's app id per preprocessing kind (informative: the host checks it).
_APP_IDS = {"audio_frontend": "APP_WAKE_WORD", "image": "APP_PERSON_DETECTION", "imu_stroke": "APP_GESTURE"}
# The post feed's kernel numbers (edgesim/app_layer.h es_post_kind).
_POST_KINDS = {"recognize_commands": "ES_POST_RECOGNIZE", "hysteresis": "ES_POST_HYSTERESIS",
               "classify": "ES_POST_CLASSIFY"}
# The recognizer averages over stream time in ms, which only the audio feed
# gives the firmware (camera and IMU results carry frame / sample indices).
_TIMED_PREPROCESS = ("audio_frontend",)

def _post_values(app: "App") -> dict[str, object]:
    """app_config.h's postprocessing macros: the post feed's parameters (app_main.c)."""
    from edgesim import _app

    post = app.postprocess.params
    kernel = app.postprocess.kernel
    if kernel == "recognize_commands" and app.preprocess.kernel not in _TIMED_PREPROCESS:
        raise TargetError(f"app {app.name!r}: the firmware runs recognize_commands only on audio apps "
                          f"(it averages over milliseconds of stream time); use hysteresis or classify")
    if len(app.labels) > _app.POST_MAX_LABELS:
        raise TargetError(f"app {app.name!r}: the firmware postprocesses at most {_app.POST_MAX_LABELS} labels")
    report = {app.label_index(label) for label in post.get("report", app.labels[1:])}
    mask = [sum(1 << (i % 32) for i in report if i // 32 == word) for word in range(_app.POST_MAX_LABELS // 32)]
    recognizing = kernel == "recognize_commands"
    return {
        "FW_POST_KIND": _POST_KINDS[kernel],
        "FW_RC_AVERAGE_WINDOW_MS": int(post.get("average_window_ms", 1000)),
        "FW_RC_DETECTION_THRESHOLD": int(post.get("detection_threshold", 200)),
        "FW_RC_SUPPRESSION_MS": int(post.get("suppression_ms", 1500)),
        "FW_RC_MINIMUM_COUNT": int(post.get("minimum_count", 3)),
        # Queue memory only for the recognizer.
        "FW_RC_CAPACITY": int(post.get("capacity", 128)) if recognizing else 1,
        "FW_POST_REPORT_MASK": "{" + ", ".join(f"0x{word:x}u" for word in mask) + "}",
        "FW_HYST_LABEL": app.label_index(post.get("label", app.labels[-1])),
        "FW_HYST_ON_THRESHOLD": int(post.get("on_threshold", 160)),
        "FW_HYST_OFF_THRESHOLD": int(post.get("off_threshold", 96)),
        "FW_HYST_ON_COUNT": int(post.get("on_count", 1)),
        "FW_HYST_OFF_COUNT": int(post.get("off_count", 1)),
        "FW_CLASSIFY_MIN_SCORE": int(post.get("min_score", 0)),
    }


def _filterbank_values(bank: "FilterbankTable | None") -> dict[str, object]:
    """An app's own filter bank as initializer lists (firmware/apps/audio.c); none for the built-in one."""
    if bank is None:
        return {"FW_AUDIO_FILTERBANK": 0}
    def values(numbers: tuple[int, ...]) -> str:
        return "{" + ", ".join(str(n) for n in numbers) + "}"
    return {"FW_AUDIO_FILTERBANK": 1, "FW_AUDIO_FB_START": bank.start, "FW_AUDIO_FB_END": bank.end,
            "FW_AUDIO_FB_WEIGHTS": values(bank.weights), "FW_AUDIO_FB_UNWEIGHTS": values(bank.unweights),
            "FW_AUDIO_FB_CHANNEL_ENDS": values(bank.channel_ends)}


def app_config_header(app: "App", arena_bytes: int) -> str:
    """app_config.h: the app definition's parameters as the firmware reads them."""
    from edgesim import _protocol
    from edgesim.app import audio_frontend_config, float_input_params, image_output, raster_side

    kind = app.preprocess.kernel
    if kind not in APP_GLUE:
        raise TargetError(f"app {app.name!r}: the firmware has no glue for preprocessing {kind!r} "
                          f"(supported: {', '.join(APP_GLUE)})")
    pre = app.preprocess.params
    values: dict[str, object] = {
        "FW_APP_ID": getattr(_protocol, _APP_IDS[kind]),
        "FW_LABEL_COUNT": len(app.labels),
        "FW_ARENA_BYTES": arena_bytes,
    }
    if kind == "audio_frontend":
        frontend = audio_frontend_config(app)
        values.update({
            "FW_WINDOW_FRAMES": int(pre.get("window_frames", 49)),
            "FW_INFER_EVERY_FRAMES": int(pre.get("infer_every_frames", 1)),
            "FW_AUDIO_HOP_SAMPLES": frontend.hop_samples,
            "FW_AUDIO_NOISE_REDUCTION": int(frontend.noise_reduction),
            "FW_AUDIO_PCAN": int(frontend.pcan),
            "FW_AUDIO_LOG_SCALE": int(frontend.log_scale),
            "FW_AUDIO_CHANNELS": frontend.channels,
            **_filterbank_values(frontend.filterbank),
            # 0: the built-in 30 ms window; else the app's planar coefficients
            "FW_AUDIO_WINDOW_SAMPLES": 0 if frontend.window_coeffs is None else frontend.window_samples,
            **({} if frontend.window_coeffs is None else
               {"FW_AUDIO_WINDOW_COEFFS": "{" + ", ".join(map(str, frontend.window_coeffs)) + "}"}),
        })
    elif kind == "image":
        from edgesim.compute.image import RESIZE_METHODS

        resize = str(pre.get("resize", "area"))
        if resize not in RESIZE_METHODS:
            raise TargetError(f"app {app.name!r}: unknown resize {resize!r} ({', '.join(RESIZE_METHODS)})")
        values.update({
            "FW_IMAGE_RESIZE": RESIZE_METHODS[resize],
            "FW_IMAGE_SIDE": image_output(app)[0],
            "FW_IMAGE_CHANNELS": image_output(app)[1],
        })
    else:
        values.update({
            "FW_IMU_RATE_HZ": f"{float(app.sensor.rate_hz)!r}f",
            "FW_RASTER_RANGE_Q12": "ES_RASTER_RANGE_Q12",
            "FW_RASTER_SIDE": raster_side(app),
        })
    scale, zero_point = float_input_params(app)  # used by models with a float32 input
    # A hex literal: the float the host target's binding rounds the same double to.
    values.update({"FW_FLOAT_INPUT_SCALE": f"{scale.hex()}f", "FW_FLOAT_INPUT_ZERO_POINT": zero_point})
    values.update(_post_values(app))
    lines = [f"/* Generated by edgesim/mcu/firmware_builder.py from apps/{app.name}.py; do not edit. */",
             "#ifndef EDGESIM_APP_CONFIG_H", "#define EDGESIM_APP_CONFIG_H", '#include "edgesim/config.h"']
    lines += [f"#define {name} {value}" for name, value in values.items()]
    lines += ["#endif", ""]
    return "\n".join(lines)


OPTIMIZE_MODES = ("none", "speed", "size")


def build_app(app: "App | str", board: str = "mps2-an386", model: str | Path | None = None,
              stack_bytes: int = DEFAULT_STACK_BYTES, sensors: bool = False,
              console: str | None = None, optimize: str = "none") -> FirmwareImage:
    """Build (or fetch from the cache) the firmware image of an app for a board.

    app: an App or an app name/path (apps/); model: overrides the app's model
    (a path or a store name); the model is resolved through edgesim.store.
    sensors: read the board's own microphone/IMU/camera instead of host frames
    (FW_INPUT_SENSORS, firmware/sensor_input.c + firmware/boards/<board>/sensors/:
    the Nano 33 BLE Sense's drivers, or mps2-an386's audio test signal).
    console: the protocol's channel, default the board's first: nano33ble
    "usb" (native USB serial port), "uart" (Serial1 pins, PPI-counted EasyDMA
    ring) or "uart-polled" (Serial1 pins, one-byte EasyDMA transfers: what Renode models).
    optimize: "none" runs the model with the interpreter; "speed" or "size"
    with its build-time compiled schedule (edgesim/mcu/model_compiler.py).
    """
    from edgesim.apps import load_app
    from edgesim.mcu.model_runner import arena_need
    from edgesim.store import resolve_model

    defines = get_board(board).console_defines(console)
    app_def = load_app(app) if isinstance(app, str) else app
    model_path = Path(resolve_model(str(model) if model is not None else app_def.model))
    if optimize not in OPTIMIZE_MODES:
        raise TargetError(f"unknown optimize mode {optimize!r} (choose from {', '.join(OPTIMIZE_MODES)})")
    # Sized by the model's load on the Cortex-M4 code this image runs (the
    # model runner probe on QEMU), exactly: no margin.
    arena = arena_need(model_path, optimize)
    header = app_config_header(app_def, arena.bytes)
    sources = ["firmware/app_main.c", APP_GLUE[app_def.preprocess.kernel]]
    if sensors:
        drivers = sorted(str(p) for p in (get_board(board).folder / "sensors").glob("*.c"))
        if not drivers:
            raise TargetError(f"board {board!r} has no on-board sensor layer (firmware/boards/{board}/sensors/)")
        sources += ["firmware/sensor_input.c", *drivers]
        defines["FW_INPUT_SENSORS"] = "1"
    if optimize != "none":
        from edgesim.mcu.model_compiler import compile_model
        sources.append(str(generated_source(compile_model(model_path, optimize))))
        defines["FW_COMPILED"] = "1"
    kernels = RUNTIME_KERNELS + APP_KERNELS[app_def.preprocess.kernel]
    image = link_image(app_def.name + ("" if optimize == "none" else f"-{optimize}"), board, sources, kernels=kernels, defines=defines,
                       generated={"app_config.h": header}, model=model_path, stack_bytes=stack_bytes)
    image = image.with_arena_source(arena.source)
    image.size.check_limits()
    return image
