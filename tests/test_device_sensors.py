"""The nano33ble sensor drivers, compiled for the Cortex-M4, run under unicorn against peripheral models.

Neither a board nor Renode exists here.  The drivers (firmware/boards/nano33ble/
sensors/) are compiled with arm-none-eabi-gcc exactly as for the board and run
in unicorn's Cortex-M4; their MMIO goes to small Python models of the
peripherals that follow Renode's models (renode-infrastructure NRF52840_PDM,
NRF52840_I2C + LSM9DS1_IMU, NRF52840_SPI + ArduCAMMini2MPPlus) register for
register.  The PDM model also runs in the chip's own event order.  This
checks the driver logic and, for the camera, that the shared JPEG kernel on
the M4 decodes a frame bit-identically to the host build.
"""
from __future__ import annotations

import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

unicorn = pytest.importorskip("unicorn")
from unicorn import arm_const  # noqa: E402

from unicorn_m4 import KERNELS, RAM, RAM_SIZE, REPO, STOP, build_m4_elf, elf_segments, elf_symbols, m4_machine  # noqa: E402

SENSORS = REPO / "firmware" / "boards" / "nano33ble" / "sensors"
DRIVERS = ["sensors.c", "twi.c", "spi.c", "pdm.c", "lsm9ds1.c", "arducam.c"]

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="needs gcc-arm-none-eabi (tools/bootstrap.sh dev)")


@pytest.fixture(scope="module")
def elf() -> Path:
    sources = [SENSORS / f for f in DRIVERS] + sorted((KERNELS / "dsp" / "image").glob("jpeg*.c"))
    sources.append(KERNELS / "common" / "status.c")
    return build_m4_elf("sensors-m4", sources, headers=sorted(SENSORS.glob("*.h")))


# ---- peripheral models (semantics of Renode's models) -----------------------------------

class Pdm:
    """NRF52840_PDM: on a tick, MAXCNT mono samples go to SAMPLE.PTR.

    renode_order: STARTED and END raised together for the block at the current
    PTR (Renode).  Otherwise the chip's order: STARTED when a block's PTR is
    latched, END when it is full, the next block latched at once."""

    def __init__(self, samples: np.ndarray, renode_order: bool) -> None:
        self.samples = samples.astype("<i2")
        self.pos = 0
        self.regs: dict[int, int] = {}
        self.renode_order = renode_order
        self.latched: int | None = None
        self.uc = None

    def _fill(self, pointer: int) -> None:
        count = self.regs[0x564]
        block = self.samples[self.pos:self.pos + count]
        self.pos += len(block)
        block = np.pad(block, (0, count - len(block)))
        self.uc.mem_write(pointer, block.tobytes())

    def tick(self) -> None:
        if not self.regs.get(0x000):
            return
        if self.renode_order:
            self._fill(self.regs[0x560])
            self.regs[0x100] = self.regs[0x108] = 1
        elif self.latched is None:
            self.latched = self.regs[0x560]
            self.regs[0x100] = 1
        else:
            self._fill(self.latched)
            self.regs[0x108] = 1
            self.latched = self.regs[0x560]
            self.regs[0x100] = 1

    def read(self, uc, offset: int, size: int, _=None) -> int:
        if offset == 0x100 and not self.regs.get(0x100) and not self.regs.get(0x108):
            self.tick()  # time passes while the driver polls
        return self.regs.get(offset, 0)

    def write(self, uc, offset: int, size: int, value: int, _=None) -> None:
        self.regs[offset] = value


class Lsm9ds1:
    """LSM9DS1_IMU: reading OUT_X_L_XL / OUT_X_L_G dequeues a sample; FIFO_SRC reports up to MaxFifoDepth."""

    def __init__(self, accel: list, gyro: list, max_fifo_depth: int = 32) -> None:
        self.accel, self.gyro = list(accel), list(gyro)
        self.a = self.g = (0.0, 0.0, 0.0)
        self.address = 0
        self.writing = False
        self.regs = {0x0F: 0x68, 0x22: 0x04}
        self.depth = 0
        self.max_depth = max_fifo_depth

    def write(self, data: bytes) -> None:
        for b in data:
            if not self.writing:
                self.address, self.writing = b & 0x7F, True
            else:
                self.regs[self.address] = b
                self.address = (self.address + 1) & 0x7F

    def read(self) -> int:
        if self.address == 0x28 and self.accel:
            self.a = self.accel.pop(0)
            self.depth = max(0, self.depth - 1)
        elif self.address == 0x18 and self.gyro:
            self.g = self.gyro.pop(0)
        value = self._register(self.address)
        if self.regs.get(0x22, 0) & 0x04:
            self.address = (self.address + 1) & 0x7F
        return value

    def _register(self, reg: int) -> int:
        accel_lsb = {0: 16384, 1: 2048, 2: 8192, 3: 4096}[(self.regs.get(0x20, 0) >> 3) & 3]
        gyro_lsb = {0: 120, 1: 60, 3: 15}.get((self.regs.get(0x10, 0) >> 3) & 3, 120)
        if 0x28 <= reg <= 0x2D or 0x18 <= reg <= 0x1D:
            vector, lsb = (self.a, accel_lsb) if reg >= 0x28 else (self.g, gyro_lsb)
            raw = int(np.int16(int(vector[(reg & 0x7) // 2 if reg >= 0x28 else (reg - 0x18) // 2] * lsb)))
            return (raw >> 8) & 0xFF if reg & 1 else raw & 0xFF
        if reg == 0x2F:
            if self.depth == 0:
                self.depth = max(1, min(self.max_depth, max(len(self.accel), len(self.gyro))))
                return 0
            return self.depth
        return self.regs.get(reg, 0)

    def finish(self) -> None:
        self.writing = False


class Ov2640:
    """OV2640 over SCCB: register bank select and writes (reads return 0 here, as in Renode)."""

    def __init__(self) -> None:
        self.writes: list[tuple[int, int]] = []
        self.address = None

    def write(self, data: bytes) -> None:
        for b in data:
            if self.address is None:
                self.address = b
            else:
                self.writes.append((self.address, b))

    def read(self) -> int:
        return 0

    def finish(self) -> None:
        self.address = None


class Twi:
    """NRF52840_I2C (legacy TWI): byte queues, one slave byte per STARTRX/RESUME, BB_STOP after RXD read."""

    def __init__(self, slaves: dict) -> None:
        self.slaves = slaves
        self.regs: dict[int, int] = {}
        self.tx: list[int] = []
        self.rx: list[int] = []
        self.slave = None
        self.enabled = False

    def _send(self) -> None:
        if self.tx and self.slave is not None:
            self.slave.write(bytes(self.tx))
        self.tx = []

    def _fill(self) -> None:
        if self.slave is not None and not self.rx:
            self.rx.append(self.slave.read())
            self.regs[0x108] = 1

    def _stop(self) -> None:
        self._send()
        if self.slave is not None:
            self.slave.finish()
        self.regs[0x104] = 1

    def read(self, uc, offset: int, size: int, _=None) -> int:
        if offset == 0x518:
            value = self.rx.pop(0) if self.rx else 0
            if self.regs.get(0x200, 0) & 2:
                self._stop()
            return value
        return self.regs.get(offset, 0)

    def write(self, uc, offset: int, size: int, value: int, _=None) -> None:
        if offset == 0x588:
            self.slave = self.slaves.get(value)
        elif offset == 0x500:
            self.enabled = value == 5
        elif offset == 0x51C:
            if self.slave is None:
                self.regs[0x124] = 1
                self.regs[0x4C4] = 2
                return
            self.tx.append(value & 0xFF)
            self.regs[0x11C] = 1
        elif offset == 0x008 and value:
            self._send()
            self.rx = []
        elif offset == 0x000 and value:
            self._send()
            self.rx = []
            self._fill()
        elif offset == 0x020 and value:
            self._fill()
        elif offset == 0x014 and value:
            self._stop()
        else:
            self.regs[offset] = value


class ArduCam:
    """ArduCAMMini2MPPlus over SPI: register reads/writes, capture, FIFO length, burst read."""

    def __init__(self, image: bytes) -> None:
        self.image = image
        self.pointer = 0
        self.state = "idle"
        self.reg = 0
        self.regs = {0x00: 0}
        self.done = False

    def transmit(self, b: int) -> int:
        if self.state == "idle":
            self.reg, self.state = b & 0x7F, ("write" if b & 0x80 else "read")
            return 0
        if self.state == "write":
            if self.reg == 0x04:
                if b & 1:
                    self.done = False
                if b & 2:
                    self.pointer, self.done = 0, True
            else:
                self.regs[self.reg] = b
            return 0
        if self.reg == 0x3C:
            value = self.image[self.pointer] if self.pointer < len(self.image) else 0
            self.pointer += 1
            return value
        if self.reg == 0x41:
            return 0x08 if self.done else 0
        if self.reg in (0x42, 0x43, 0x44):
            return (len(self.image) >> (8 * (self.reg - 0x42))) & 0xFF
        return self.regs.get(self.reg, 0)

    def deselect(self) -> None:
        self.state = "idle"


class Spi:
    """NRF52840_SPI (legacy): TXD transmits at once; READY when a byte reaches the RXD head."""

    def __init__(self, device: ArduCam) -> None:
        self.device = device
        self.regs: dict[int, int] = {}
        self.rx: list[int] = []

    def read(self, uc, offset: int, size: int, _=None) -> int:
        if offset == 0x518:
            value = self.rx.pop(0) if self.rx else 0
            if self.rx:
                self.regs[0x108] = 1
            return value
        return self.regs.get(offset, 0)

    def write(self, uc, offset: int, size: int, value: int, _=None) -> None:
        if offset == 0x51C and self.regs.get(0x500) == 1:
            self.rx.append(self.device.transmit(value & 0xFF))
            if len(self.rx) == 1:
                self.regs[0x108] = 1
        else:
            self.regs[offset] = value


class Gpio:
    """P0/P1 output registers; P0.23 low selects the camera (CS), high ends its transaction."""

    def __init__(self, camera: ArduCam | None) -> None:
        self.camera = camera
        self.regs: dict[int, int] = {}

    def read(self, uc, offset: int, size: int, _=None) -> int:
        return self.regs.get(offset, 0)

    def write(self, uc, offset: int, size: int, value: int, _=None) -> None:
        if offset == 0x508 and value & (1 << 23) and self.camera is not None:
            self.camera.deselect()
        self.regs[offset] = value


class Board:
    """unicorn Cortex-M4 with the driver ELF and the peripheral models mapped."""

    def __init__(self, elf: Path, pdm: Pdm | None = None, twi0: Twi | None = None, twi1: Twi | None = None,
                 spi: Spi | None = None, gpio: Gpio | None = None) -> None:
        uc = m4_machine(elf_segments(elf))
        models = {0x4001D000: pdm, 0x40003000: twi0 or Twi({}), 0x40004000: twi1 or Twi({}),
                  0x40023000: spi, 0x50000000: gpio or Gpio(None)}
        for base, model in models.items():
            if model is None:
                continue
            if isinstance(model, Pdm):
                model.uc = uc
            uc.mmio_map(base, 0x1000, model.read, None, model.write, None)
        self.uc = uc
        self.symbols = elf_symbols(elf)
        self.scratch = RAM + RAM_SIZE - 64 * 1024  # below the stack

    def call(self, name: str, *args: int, count: int = 50_000_000) -> int:
        uc = self.uc
        for reg, value in zip((arm_const.UC_ARM_REG_R0, arm_const.UC_ARM_REG_R1, arm_const.UC_ARM_REG_R2,
                               arm_const.UC_ARM_REG_R3), args):
            uc.reg_write(reg, value)
        uc.reg_write(arm_const.UC_ARM_REG_SP, RAM + RAM_SIZE - 16)
        uc.reg_write(arm_const.UC_ARM_REG_LR, STOP | 1)
        uc.emu_start(self.symbols[name] | 1, STOP, count=count)
        return uc.reg_read(arm_const.UC_ARM_REG_R0)

    def error(self) -> str:
        pointer = self.call("sensors_error")
        return "" if pointer == 0 else bytes(self.uc.mem_read(pointer, 120)).split(b"\0")[0].decode()


# ---- tests ------------------------------------------------------------------------------

@pytest.mark.parametrize("renode_order", [True, False], ids=["renode-event-order", "chip-event-order"])
def test_pdm_driver_delivers_the_samples_in_order(elf: Path, renode_order: bool) -> None:
    samples = (np.arange(5000) * 7 % 65536 - 32768).astype(np.int16)
    pdm = Pdm(samples, renode_order)
    board = Board(elf, pdm=pdm)
    got = []
    out = board.scratch
    for _ in range(40):
        n = board.call("board_sensor_audio", out, 1500)  # faster than one block per poll: no drops
        got.append(np.frombuffer(bytes(board.uc.mem_read(out, 2 * n)), "<i2"))
        if sum(len(g) for g in got) >= 4096:
            break
    got = np.concatenate(got)
    assert len(got) >= 4096
    assert np.array_equal(got[:4096], samples[:4096])
    assert pdm.regs[0x504] == 0x0A000000 and pdm.regs[0x520] == 1 and pdm.regs[0x508] == 1  # 16 kHz mono


def test_lsm9ds1_driver_reads_the_fifo_in_g_and_dps(elf: Path) -> None:
    from edgesim.mcu.renode import GYRO_FEED_SCALE

    rng = np.random.default_rng(5)
    accel = rng.uniform(-3.9, 3.9, (50, 3)).round(3)
    dps = rng.uniform(-1500, 1500, (50, 3)).round(1)
    imu = Lsm9ds1([tuple(a) for a in accel], [tuple(g * GYRO_FEED_SCALE) for g in dps])  # as the .resc feeds it
    board = Board(elf, twi0=Twi({0x6B: imu}))
    got = []
    for _ in range(200):
        n = board.call("board_sensor_imu", board.scratch, 64)
        got += list(np.frombuffer(bytes(board.uc.mem_read(board.scratch, 24 * n)), "<f4").reshape(-1, 6))
        if len(got) >= 50:
            break
    got = np.array(got[:50])
    assert board.error() == ""
    assert imu.regs[0x10] == 0x78 and imu.regs[0x20] == 0x70 and imu.regs[0x23] == 0x02 and imu.regs[0x2E] == 0xC0
    np.testing.assert_allclose(got[:, :3], accel, atol=4 / 8192 + 1e-6)    # one LSB at +-4 g (Renode: 8192/g)
    np.testing.assert_allclose(got[:, 3:], dps, atol=2000 / 32768 * 1.1)   # one LSB at +-2000 dps


def test_lsm9ds1_absent_is_reported(elf: Path) -> None:
    board = Board(elf, twi0=Twi({}))
    assert board.call("board_sensor_imu", board.scratch, 8) == 0
    assert board.error() == "I2C device did not acknowledge (NACK)"


def test_camera_jpeg_decodes_on_the_m4_exactly_as_on_the_host(elf: Path, testdata_dir: Path,
                                                              tmp_path: Path) -> None:
    from edgesim.compute import jpeg
    from edgesim.mcu.renode_tests import camera_jpeg

    frame = camera_jpeg(testdata_dir / "person_detection" / "person.jpg", tmp_path / "frame.jpg")
    data = b"\x00\x00" + frame.read_bytes() + b"\x00" * 5  # FIFO filler around the JPEG, as on the module
    camera, sensor = ArduCam(data), Ov2640()
    board = Board(elf, twi0=Twi({0x30: sensor}), twi1=Twi({}), spi=Spi(camera), gpio=Gpio(camera))
    out, dims = board.scratch, board.scratch + 20000
    n = board.call("board_sensor_image", out, 19200, dims, dims + 2, dims + 4)
    assert board.error() == "" and n == 160 * 120
    width, height, fmt = struct.unpack("<HHB", bytes(board.uc.mem_read(dims, 5)))
    assert (width, height, fmt) == (160, 120, 0)
    pixels = np.frombuffer(bytes(board.uc.mem_read(out, n)), np.uint8).reshape(120, 160)
    assert np.array_equal(pixels, jpeg.decode(frame.read_bytes()))
    assert (0xFF, 0x01) in sensor.writes and (0x12, 0x80) in sensor.writes  # sensor bank, soft reset


def test_camera_missing_is_reported(elf: Path) -> None:
    camera = ArduCam(b"")
    camera.transmit = lambda b: 0  # nothing on the SPI bus: the test register never echoes
    board = Board(elf, spi=Spi(camera), gpio=Gpio(None))
    assert board.call("board_sensor_image", board.scratch, 19200, board.scratch + 20000,
                      board.scratch + 20002, board.scratch + 20004) == 0
    assert "ArduCAM does not echo its SPI test register" in board.error()


def test_corrupt_camera_frame_is_reported_not_decoded(elf: Path, testdata_dir: Path, tmp_path: Path) -> None:
    from edgesim.mcu.renode_tests import camera_jpeg

    frame = camera_jpeg(testdata_dir / "person_detection" / "person.jpg", tmp_path / "frame.jpg").read_bytes()
    camera = ArduCam(frame[:len(frame) // 2])  # the FIFO holds half a JPEG
    board = Board(elf, twi0=Twi({0x30: Ov2640()}), spi=Spi(camera), gpio=Gpio(camera))
    dims = board.scratch + 20000
    assert board.call("board_sensor_image", board.scratch, 19200, dims, dims + 2, dims + 4) == 0
    assert board.error() == "entropy-coded data ends before the image is complete"
