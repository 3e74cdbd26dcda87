"""Cost of decoding a camera JPEG: edgesim's kernel on the host vs OpenCV, and on the Cortex-M4.

    .venv/bin/python benchmarks/bench_jpeg.py [--repeat 20]

The frame is ../shared/testdata/person_detection/person.jpg resized to the
camera's 160x120 and re-encoded (baseline 4:2:0, quality 85), as the
ArduCAM delivers it.  Host: best-of-repeat wall time of edgesim.compute.jpeg.decode
(gray) vs cv2.imdecode(IMREAD_GRAYSCALE), and their ratio.  Cortex-M4: the
kernel compiled with arm-none-eabi-gcc -O2 (the firmware's flags) and run in
unicorn, counting executed instructions; the time at the Nano 33 BLE's
64 MHz assumes one instruction per cycle.  Exits non-zero if any decode
differs from OpenCV's.
"""
from __future__ import annotations

import argparse
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edgesim.compute import jpeg  # noqa: E402

KERNELS = REPO / "edgesim" / "kernels"
FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-std=c99", "-O2",
         "-ffp-contract=off", "-nostartfiles", "--specs=nano.specs", "-Wl,--no-warn-rwx-segments"]
RAM, RAM_SIZE, STOP = 0x20000000, 256 * 1024, 0x000FFF00


def camera_frame() -> bytes:
    import cv2

    image = cv2.imread(str(REPO.parent / "shared" / "testdata" / "person_detection" / "person.jpg"))
    if image is None:
        image = (np.random.default_rng(1).random((120, 160, 3)) * 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", cv2.resize(image, (160, 120), interpolation=cv2.INTER_AREA),
                            [cv2.IMWRITE_JPEG_QUALITY, 85])
    return data.tobytes()


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def m4_instructions(frame: bytes, width: int, height: int) -> tuple[int, np.ndarray]:
    """Instructions es_jpeg_decode executes on the M4 for `frame`, and its output."""
    from unicorn import UC_ARCH_ARM, UC_HOOK_CODE, UC_MODE_MCLASS, UC_MODE_THUMB, Uc, arm_const

    with tempfile.TemporaryDirectory() as tmp:
        elf = Path(tmp) / "jpeg.elf"
        sources = [*sorted((KERNELS / "dsp" / "image").glob("jpeg*.c")), KERNELS / "common" / "status.c"]
        subprocess.run(["arm-none-eabi-gcc", *FLAGS, f"-I{KERNELS / 'include'}",
                        f"-T{REPO / 'tests' / 'c' / 'unicorn_m4.ld'}", *map(str, sources), "-o", str(elf)],
                       check=True)
        data = elf.read_bytes()
        nm = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    decode = next(int(p[0], 16) for p in (l.split() for l in nm.splitlines()) if p[-1] == "es_jpeg_decode")
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(arm_const.UC_CPU_ARM_CORTEX_M4)
    uc.mem_map(0, 1024 * 1024)
    uc.mem_map(RAM, RAM_SIZE)
    phoff, = struct.unpack_from("<I", data, 28)
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    for i in range(phnum):
        p_type, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIIII", data, phoff + i * phentsize)
        if p_type == 1 and p_filesz:
            uc.mem_write(p_vaddr, data[p_offset:p_offset + p_filesz])
    uc.mem_write(STOP, b"\xfe\xe7")
    src, ws, out = RAM + 0x10000, RAM + 0x18000, RAM + 0x20000
    uc.mem_write(src, frame)
    count = [0]
    uc.hook_add(UC_HOOK_CODE, lambda *_: count.__setitem__(0, count[0] + 1))
    sp = RAM + RAM_SIZE - 64
    for reg, value in ((arm_const.UC_ARM_REG_R0, src), (arm_const.UC_ARM_REG_R1, len(frame)),
                       (arm_const.UC_ARM_REG_R2, 0), (arm_const.UC_ARM_REG_R3, ws)):
        uc.reg_write(reg, value)
    # stack arguments: workspace_size, out, out_size, detail
    uc.mem_write(sp, struct.pack("<IIII", 0x8000, out, width * height, RAM + RAM_SIZE - 32))
    uc.reg_write(arm_const.UC_ARM_REG_SP, sp)
    uc.reg_write(arm_const.UC_ARM_REG_LR, STOP | 1)
    uc.emu_start(decode | 1, STOP)
    status = uc.reg_read(arm_const.UC_ARM_REG_R0)
    if status != 0:
        raise SystemExit(f"es_jpeg_decode on the M4 returned status {status}")
    pixels = np.frombuffer(bytes(uc.mem_read(out, width * height)), np.uint8).reshape(height, width)
    return count[0], pixels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    import cv2

    frame = camera_frame()
    width, height, _ = jpeg.info(frame)
    ours = jpeg.decode(frame)
    theirs = cv2.imdecode(np.frombuffer(frame, np.uint8), cv2.IMREAD_GRAYSCALE)
    t_ours = best(lambda: jpeg.decode(frame), args.repeat)
    t_cv = best(lambda: cv2.imdecode(np.frombuffer(frame, np.uint8), cv2.IMREAD_GRAYSCALE), args.repeat)
    print(f"frame: {width}x{height} baseline JPEG, {len(frame)} bytes")
    print(f"host: edgesim {t_ours * 1e3:.3f} ms, OpenCV {t_cv * 1e3:.3f} ms, ratio {t_ours / t_cv:.2f}x")
    instructions, m4_pixels = m4_instructions(frame, width, height)
    print(f"cortex-m4: {instructions} instructions per frame = {instructions / 64e3:.1f} ms at 64 MHz "
          f"({instructions / (width * height):.1f} per pixel)")
    same = np.array_equal(ours, theirs) and np.array_equal(m4_pixels, theirs)
    print(f"identical to OpenCV (host and M4): {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
