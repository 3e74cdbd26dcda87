"""The nano33ble USB CDC-ACM stack, compiled for the Cortex-M4, run under unicorn against a USBD model.

No board is here.  The firmware's USB stack (firmware/boards/nano33ble/usb/)
and its console glue (board.c, link.c, the protocol codec) are compiled with
arm-none-eabi-gcc exactly as for the board and executed in unicorn's
Cortex-M4.  Their MMIO goes to a Python model of the nRF52840 USBD and the
USB parts of POWER written from the nRF52840 Product Specification v1.7
(6.35 USBD, 6.23 POWER): tasks, events, INTEN, EPDATASTATUS, SIZE.EPOUT, and
EasyDMA that copies between RAM and endpoint buffers (refusing pointers
outside Data RAM, more than 64 bytes, disabled endpoints, or overwriting an
IN packet the host has not taken).  The test plays the NVIC (it runs the
interrupt handlers whenever an enabled event or a pended interrupt is
there) and the USB host: power-up, enumeration, CDC requests, protocol
frames over the bulk endpoints, the 1200-baud touch.

This verifies the stack against the model only; the model can share a
misreading of the specification with the firmware.
"""
from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

unicorn = pytest.importorskip("unicorn")
from unicorn import arm_const  # noqa: E402

from unicorn_m4 import KERNELS, RAM, RAM_SIZE, REPO, STOP, build_m4_elf, elf_segments, elf_symbols, m4_machine  # noqa: E402

BOARD = REPO / "firmware" / "boards" / "nano33ble"
DEVICE_ID = (0x89ABCDEF, 0x01234567)  # FICR DEVICEID[0], DEVICEID[1]

pytestmark = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                reason="needs gcc-arm-none-eabi (tools/bootstrap.sh dev)")


@pytest.fixture(scope="module")
def elf() -> Path:
    sources = [BOARD / "board.c", *sorted((BOARD / "usb").glob("*.c")), REPO / "firmware" / "link.c",
               *sorted((KERNELS / "protocol").glob("*.c")), KERNELS / "common" / "status.c"]
    headers = [*sorted((BOARD / "usb").glob("*.h")), REPO / "firmware" / "board.h", REPO / "firmware" / "link.h"]
    # board_mark_stage / board_stack_high_water / board_exit live in cortex_m4.c (reset code):
    # not linked here, nothing in this image calls them.
    return build_m4_elf("usb-m4", sources, headers, extra_args=[f"-I{BOARD}", "-Wl,-e,0"])


class Stall(Exception):
    """The device answered a control transfer with STALL."""


# ---- peripheral models (nRF52840 PS v1.7) ---------------------------------------------

# USBD register offsets (6.35.13)
STARTEPIN, STARTEPOUT = 0x004, 0x028
EP0RCVOUT, EP0STATUS, EP0STALL = 0x04C, 0x050, 0x054
EV_USBRESET, EV_STARTED, EV_ENDEPIN, EV_EP0DATADONE = 0x100, 0x104, 0x108, 0x128
EV_ENDEPOUT, EV_USBEVENT, EV_EP0SETUP, EV_EPDATA = 0x130, 0x158, 0x15C, 0x160
INTEN, INTENSET, INTENCLR = 0x300, 0x304, 0x308
EVENTCAUSE, EPDATASTATUS = 0x400, 0x46C
SETUP_REGS = (0x480, 0x484, 0x488, 0x48C, 0x490, 0x494, 0x498, 0x49C)
SIZE_EPOUT, ENABLE, USBPULLUP, DTOGGLE, EPINEN, EPOUTEN, EPSTALL = 0x4A0, 0x500, 0x504, 0x50C, 0x510, 0x514, 0x518
EPIN_BASE, EPOUT_BASE = 0x600, 0x700
READY = 1 << 11
ERRATA_199 = 0xC1C  # nRF52840 errata 199: 0x82 while EasyDMA runs


class Usbd:
    """NRF_USBD: endpoint buffers between the bus and EasyDMA; the host side is the methods below."""

    def __init__(self, uc, log: list) -> None:
        self.uc = uc
        self.log = log  # shared with the errata model: the order of the power-up writes
        self.regs: dict[int, int] = {EPINEN: 1, EPOUTEN: 1}  # reset values: control endpoint 0 only
        self.in_buffer: dict[int, bytes | None] = {n: None for n in range(8)}
        self.out_buffer: dict[int, bytes | None] = {n: None for n in range(8)}
        self.epdatastatus = 0
        self.errors: list[str] = []
        self.toggles: list[int] = []
        self.stalls: list[int] = []
        self.clear_control()

    def clear_control(self) -> None:
        self.status_allowed = self.stalled = self.rcvout = False
        self.setup_request = None

    def event(self, offset: int) -> None:
        self.regs[offset] = 1

    def pending(self) -> bool:
        inten = self.regs.get(INTEN, 0)
        return any(self.regs.get(0x100 + 4 * bit) and inten >> bit & 1 for bit in range(25))

    def _dma_check(self, pointer: int, count: int, what: str) -> None:
        if not self.regs.get(ENABLE):
            self.errors.append(f"{what}: USBD not enabled")
        if count > 64:
            self.errors.append(f"{what}: MAXCNT {count} > 64")
        if self.regs.get(ERRATA_199) != 0x82:
            self.errors.append(f"{what}: EasyDMA started without the errata 199 write")
        if not (RAM <= pointer and pointer + count <= RAM + RAM_SIZE):
            self.errors.append(f"{what}: EasyDMA pointer 0x{pointer:08x} is not in Data RAM")

    def read(self, uc, offset: int, size: int, _=None) -> int:
        if offset == EPDATASTATUS:
            return self.epdatastatus
        if SIZE_EPOUT <= offset < SIZE_EPOUT + 32:
            buffer = self.out_buffer[(offset - SIZE_EPOUT) // 4]
            return len(buffer) if buffer is not None else 0
        return self.regs.get(offset, 0)

    def write(self, uc, offset: int, size: int, value: int, _=None) -> None:
        if STARTEPIN <= offset < STARTEPIN + 32 and value:
            n = (offset - STARTEPIN) // 4
            pointer, count = self.regs.get(EPIN_BASE + 0x14 * n, 0), self.regs.get(EPIN_BASE + 0x14 * n + 4, 0)
            self._dma_check(pointer, count, f"STARTEPIN[{n}]")
            if not self.regs.get(EPINEN, 0) >> n & 1:
                self.errors.append(f"STARTEPIN[{n}] on a disabled endpoint")
            if n and self.in_buffer[n] is not None:
                self.errors.append(f"STARTEPIN[{n}] overwrote a packet the host has not read")
            self.in_buffer[n] = bytes(uc.mem_read(pointer, count))
            self.regs[EPIN_BASE + 0x14 * n + 8] = count
            self.event(EV_STARTED)
            self.event(EV_ENDEPIN + 4 * n)
        elif STARTEPOUT <= offset < STARTEPOUT + 32 and value:
            n = (offset - STARTEPOUT) // 4
            pointer, count = self.regs.get(EPOUT_BASE + 0x14 * n, 0), self.regs.get(EPOUT_BASE + 0x14 * n + 4, 0)
            self._dma_check(pointer, count, f"STARTEPOUT[{n}]")
            data = (self.out_buffer[n] or b"")[:count]
            uc.mem_write(pointer, data)
            self.regs[EPOUT_BASE + 0x14 * n + 8] = len(data)
            self.out_buffer[n] = None  # the endpoint accepts the next packet
            self.event(EV_STARTED)
            self.event(EV_ENDEPOUT + 4 * n)
        elif offset == EP0RCVOUT and value:
            self.rcvout = True
        elif offset == EP0STATUS and value:
            if self.setup_request == 5:
                self.errors.append("EP0STATUS for SET_ADDRESS, which the hardware answers itself")
            self.status_allowed = True
        elif offset == EP0STALL and value:
            self.stalled = True
        elif offset == ENABLE:
            self.regs[ENABLE] = value
            self.log.append(("ENABLE", value))
            if value:
                self.regs[EVENTCAUSE] = self.regs.get(EVENTCAUSE, 0) | READY
                self.event(EV_USBEVENT)
        elif offset == USBPULLUP:
            self.regs[USBPULLUP] = value
            self.log.append(("USBPULLUP", value))
        elif offset in (EVENTCAUSE,):
            self.regs[offset] = self.regs.get(offset, 0) & ~value
        elif offset == EPDATASTATUS:
            self.epdatastatus &= ~value
        elif offset == INTENSET:
            self.regs[INTEN] = self.regs.get(INTEN, 0) | value
        elif offset == INTENCLR:
            self.regs[INTEN] = self.regs.get(INTEN, 0) & ~value
        elif offset == DTOGGLE:
            self.toggles.append(value)
        elif offset == EPSTALL:
            self.stalls.append(value)
        else:
            self.regs[offset] = value


class Power:
    """CLOCK/POWER at 0x40000000: HFXO start, USB power events, GPREGRET."""

    def __init__(self, log: list) -> None:
        self.regs: dict[int, int] = {}
        self.log = log

    def pending(self) -> bool:
        inten = self.regs.get(0x300, 0)
        return any(self.regs.get(event) and inten >> bit & 1 for bit, event in ((7, 0x11C), (8, 0x120), (9, 0x124)))

    def read(self, uc, offset: int, size: int, _=None) -> int:
        return self.regs.get(offset, 0)

    def write(self, uc, offset: int, size: int, value: int, _=None) -> None:
        if offset == 0x000 and value:
            self.regs[0x100] = 1  # HFCLKSTARTED
        elif offset == 0x304:
            self.regs[0x300] = self.regs.get(0x300, 0) | value
        else:
            self.regs[offset] = value
            if offset == 0x51C:
                self.log.append(("GPREGRET", value))


class Errata:
    """The undocumented 0x4006E000 page of the errata 171/187 workarounds: records writes, reads 0 (locked)."""

    def __init__(self, log: list) -> None:
        self.log = log

    def read(self, uc, offset: int, size: int, _=None) -> int:
        return 0

    def write(self, uc, offset: int, size: int, value: int, _=None) -> None:
        self.log.append((0x4006E000 + offset, value))


class SystemControl:
    """NVIC set-enable/set-pending, VTOR, AIRCR (reset request) and DEMCR of the Cortex-M4."""

    def __init__(self, log: list) -> None:
        self.regs: dict[int, int] = {}
        self.enabled: set[int] = set()
        self.pended: set[int] = set()
        self.log = log
        self.uc = None

    def read(self, uc, offset: int, size: int, _=None) -> int:
        return self.regs.get(offset, 0)

    def write(self, uc, offset: int, size: int, value: int, _=None) -> None:
        if 0x100 <= offset < 0x120:
            self.enabled |= {32 * ((offset - 0x100) // 4) + b for b in range(32) if value >> b & 1}
        elif 0x200 <= offset < 0x220:
            self.pended |= {32 * ((offset - 0x200) // 4) + b for b in range(32) if value >> b & 1}
        elif offset == 0xD0C:
            self.log.append(("AIRCR", value))
            if value == 0x05FA0004:
                uc.emu_stop()  # the system resets: nothing after this runs
        else:
            self.regs[offset] = value


class Dwt:
    """DWT CYCCNT: every read advances 1000 cycles (time passes while code polls)."""

    def __init__(self) -> None:
        self.cycles = 0

    def read(self, uc, offset: int, size: int, _=None) -> int:
        if offset == 4:
            self.cycles = (self.cycles + 1000) & 0xFFFFFFFF
            return self.cycles
        return 0

    def write(self, uc, offset: int, size: int, value: int, _=None) -> None:
        if offset == 4:
            self.cycles = value


USBD_IRQ, POWER_IRQ = 39, 0


class Device:
    """The firmware in unicorn with the models mapped; the test is the NVIC and the USB host."""

    def __init__(self, elf: Path, vbus: bool = False, left_enabled: bool = False) -> None:
        uc = m4_machine(elf_segments(elf), ((0x10000000, 0x1000),))  # + FICR
        uc.mem_write(0x10000060, struct.pack("<II", *DEVICE_ID))
        self.log: list = []
        self.usbd, self.power, self.scs, self.dwt = Usbd(uc, self.log), Power(self.log), SystemControl(self.log), Dwt()
        for base, model in ((0x40027000, self.usbd), (0x40000000, self.power), (0x4006E000, Errata(self.log)),
                            (0xE000E000, self.scs), (0xE0001000, self.dwt)):
            uc.mmio_map(base, 0x1000, model.read, None, model.write, None)
        self.uc = uc
        self.symbols = elf_symbols(elf)
        self.scratch = RAM + RAM_SIZE - 64 * 1024
        if vbus:
            self.power.regs[0x438] = 3  # VBUSDETECT | OUTPUTRDY before the firmware starts
        if left_enabled:
            self.usbd.regs[ENABLE] = self.usbd.regs[USBPULLUP] = 1  # as a bootloader may leave it
        self.call("board_init")
        self.interrupts()

    def call(self, name: str, *args: int) -> int:
        uc = self.uc
        for reg, value in zip((arm_const.UC_ARM_REG_R0, arm_const.UC_ARM_REG_R1, arm_const.UC_ARM_REG_R2,
                               arm_const.UC_ARM_REG_R3), args):
            uc.reg_write(reg, value)
        uc.reg_write(arm_const.UC_ARM_REG_SP, RAM + RAM_SIZE - 16)
        uc.reg_write(arm_const.UC_ARM_REG_LR, STOP | 1)
        uc.emu_start(self.symbols[name] | 1, STOP, count=20_000_000)
        return uc.reg_read(arm_const.UC_ARM_REG_R0)

    def reset_requested(self) -> bool:
        return ("AIRCR", 0x05FA0004) in self.log

    def interrupts(self) -> None:
        """The NVIC: run the handler of every enabled interrupt with a pending event, until none is left."""
        for _ in range(1000):
            if self.reset_requested():
                return
            if POWER_IRQ in self.scs.enabled and self.power.pending():
                self.call("usbd_power_irq_handler")
            elif USBD_IRQ in self.scs.enabled and (self.usbd.pending() or USBD_IRQ in self.scs.pended):
                self.scs.pended.discard(USBD_IRQ)
                self.call("usbd_irq_handler")
            else:
                return
        raise AssertionError("interrupt storm: an event is never cleared")

    # ---- the host --------------------------------------------------------------------------

    def plug_in(self) -> None:
        self.power.regs[0x438] = 1
        self.power.regs[0x11C] = 1  # USBDETECTED
        self.interrupts()
        self.power.regs[0x438] = 3
        self.power.regs[0x124] = 1  # USBPWRRDY
        self.interrupts()

    def unplug(self) -> None:
        self.power.regs[0x438] = 0
        self.power.regs[0x120] = 1  # USBREMOVED
        self.interrupts()

    def bus_reset(self) -> None:
        assert self.usbd.regs.get(USBPULLUP), "the host sees no device before the pull-up is on"
        self.usbd.event(EV_USBRESET)
        self.interrupts()

    def control(self, request_type: int, request: int, value: int = 0, index: int = 0, length: int = 0,
                data: bytes = b"") -> bytes:
        usbd = self.usbd
        usbd.clear_control()
        usbd.setup_request = request if request_type == 0 else None
        for offset, byte in zip(SETUP_REGS, struct.pack("<BBHHH", request_type, request, value, index, length)):
            usbd.regs[offset] = byte
        usbd.event(EV_EP0SETUP)
        self.interrupts()
        if request_type == 0 and request == 5:  # SET_ADDRESS: the USBD completes it itself
            usbd.regs[0x470] = value
            return b""
        received = b""
        if request_type & 0x80 and length:
            while True:
                if usbd.stalled:
                    raise Stall()
                packet = usbd.in_buffer[0]
                assert packet is not None, "the device NAKs the IN data stage"
                usbd.in_buffer[0] = None
                received += packet
                usbd.event(EV_EP0DATADONE)  # the host acknowledged the packet
                self.interrupts()
                if len(packet) < 64 or len(received) >= length:
                    break
        elif data:
            for start in range(0, len(data), 64):
                if usbd.stalled:
                    raise Stall()
                assert usbd.rcvout, "the device NAKs the OUT data stage (no EP0RCVOUT)"
                usbd.rcvout = False
                usbd.out_buffer[0] = data[start:start + 64]
                usbd.event(EV_EP0DATADONE)
                self.interrupts()
        if usbd.stalled:
            raise Stall()
        assert usbd.status_allowed, "the device never allowed the status stage (EP0STATUS)"
        assert usbd.out_buffer[0] is None, "control OUT data left in the endpoint"
        return received

    def bulk_out(self, data: bytes) -> bool:
        """One bulk OUT packet to EP2; False when the device NAKs it."""
        assert len(data) <= 64 and self.usbd.regs.get(EPOUTEN, 0) & 4, "EP2 OUT is not enabled"
        if self.usbd.out_buffer[2] is not None:
            return False
        self.usbd.out_buffer[2] = data
        self.usbd.epdatastatus |= 1 << 18
        self.usbd.event(EV_EPDATA)
        self.interrupts()
        return True

    def bulk_in(self) -> bytes | None:
        """One bulk IN packet from EP2 (None: NAK)."""
        packet = self.usbd.in_buffer[2]
        if packet is None:
            return None
        self.usbd.in_buffer[2] = None
        self.usbd.epdatastatus |= 1 << 2
        self.usbd.event(EV_EPDATA)
        self.interrupts()
        return packet

    def read_all_in(self) -> bytes:
        out = b""
        while (packet := self.bulk_in()) is not None:
            out += packet
        return out

    def send(self, data: bytes) -> None:
        for start in range(0, len(data), 64):
            assert self.bulk_out(data[start:start + 64]), "the device NAKed with room in its ring"

    def enumerate(self) -> dict:
        """What Linux does on plug-in, roughly: descriptors, address, configuration."""
        self.bus_reset()
        head = self.control(0x80, 6, 0x0100, 0, 64)
        self.bus_reset()
        self.control(0x00, 5, 7)
        device = self.control(0x80, 6, 0x0100, 0, 18)
        config_head = self.control(0x80, 6, 0x0200, 0, 9)
        total = struct.unpack_from("<H", config_head, 2)[0]
        config = self.control(0x80, 6, 0x0200, 0, total)
        langs = self.control(0x80, 6, 0x0300, 0, 255)
        strings = {i: self.control(0x80, 6, 0x0300 | i, 0x0409, 255) for i in (1, 2, 3)}
        self.control(0x00, 9, 1)
        return {"head": head, "device": device, "config": config, "langs": langs, "strings": strings}

    def open_port(self, baud: int = 115200) -> None:
        """What the Linux cdc-acm driver and pyserial send when a program opens the port."""
        self.control(0x21, 0x22, 3, 0)  # DTR | RTS
        self.control(0x21, 0x20, 0, 0, 7, struct.pack("<IBBB", baud, 0, 0, 8))


def usb_string(descriptor: bytes) -> str:
    assert descriptor[0] == len(descriptor) and descriptor[1] == 3
    return descriptor[2:].decode("utf-16-le")


# ---- tests ------------------------------------------------------------------------------

def test_power_up_follows_the_sequence_with_the_errata_writes(elf: Path) -> None:
    device = Device(elf)
    assert not device.usbd.regs.get(ENABLE), "no VBUS: the USBD stays off"
    device.plug_in()
    log = [entry for entry in device.log if entry[0] != "GPREGRET"]
    enable = log.index(("ENABLE", 1))
    pullup = log.index(("USBPULLUP", 1))
    before, after = log[:enable], log[enable + 1:pullup]
    # Errata 187 and 171 (nRF52840 errata sheet): unlock, write, lock around ENABLE..READY.
    assert (0x4006ED14, 3) in before and (0x4006EC14, 0xC0) in before
    assert (0x4006ED14, 0) in after and (0x4006EC14, 0) in after
    assert before[0] == (0x4006EC00, 0x9375) and after[-1] == (0x4006EC00, 0x9375)
    assert device.usbd.regs[EVENTCAUSE] & READY == 0, "READY is cleared after it was seen"
    assert {USBD_IRQ, POWER_IRQ} <= device.scs.enabled
    vtor = device.scs.regs[0xD08]
    assert vtor % 256 == 0 and RAM <= vtor < RAM + RAM_SIZE
    handlers = struct.unpack("<64I", bytes(device.uc.mem_read(vtor, 256)))
    assert handlers[16 + USBD_IRQ] & ~1 == device.symbols["usbd_irq_handler"]
    assert handlers[16 + POWER_IRQ] & ~1 == device.symbols["usbd_power_irq_handler"]
    device.unplug()
    assert device.log[-2:] == [("USBPULLUP", 0), ("ENABLE", 0)]
    assert device.usbd.errors == []


def test_vbus_present_at_boot_connects_at_once(elf: Path) -> None:
    device = Device(elf, vbus=True)
    assert device.usbd.regs.get(ENABLE) == 1 and device.usbd.regs.get(USBPULLUP) == 1


def test_usbd_left_on_by_a_bootloader_is_disconnected_first(elf: Path) -> None:
    device = Device(elf, vbus=True, left_enabled=True)
    log = [entry for entry in device.log if entry[0] in ("ENABLE", "USBPULLUP")]
    assert log == [("USBPULLUP", 0), ("ENABLE", 0), ("ENABLE", 1), ("USBPULLUP", 1)]
    assert device.dwt.cycles >= 64_000_000 // 20, "the host needs time to see the disconnect"


def test_enumeration_returns_the_descriptors(elf: Path) -> None:
    device = Device(elf)
    device.plug_in()
    got = device.enumerate()
    dev = got["device"]
    assert got["head"] == dev and len(dev) == 18
    (length, kind, bcd_usb, cls, sub, proto, ep0, vid, pid, _, i_man, i_prod, i_serial,
     configs) = struct.unpack("<BBHBBBBHHHBBBB", dev)
    assert (length, kind, bcd_usb, cls, ep0, configs) == (18, 1, 0x0200, 2, 64, 1)
    assert (vid, pid) == (0x2341, 0x805A)  # what edgesim/mcu/flash.py and Arduino tools look for
    config = got["config"]
    assert len(config) == 67 == struct.unpack_from("<H", config, 2)[0]  # two EP0 packets: 64 + 3
    endpoints, interfaces, pos = [], [], 0
    while pos < len(config):
        size, kind = config[pos], config[pos + 1]
        if kind == 4:
            interfaces.append(tuple(config[pos + 5:pos + 8]))
        if kind == 5:
            address, attributes, max_packet = struct.unpack_from("<BBH", config, pos + 2)
            endpoints.append((address, attributes & 3, max_packet))
        pos += size
    assert pos == len(config)
    assert device.usbd.regs[ERRATA_199] == 0, "the errata 199 register is released after each transfer"
    assert interfaces == [(2, 2, 1), (10, 0, 0)]  # CDC ACM + CDC data
    assert endpoints == [(0x81, 3, 8), (0x02, 2, 64), (0x82, 2, 64)]
    assert got["langs"] == bytes([4, 3, 0x09, 0x04])
    strings = {i: usb_string(s) for i, s in got["strings"].items()}
    assert strings[i_man] == "Arduino" and strings[i_prod] == "Nano 33 BLE (edgesim)"
    assert strings[i_serial] == f"{DEVICE_ID[1]:08X}{DEVICE_ID[0]:08X}"
    assert device.usbd.regs[EPINEN] == 0b111 and device.usbd.regs[EPOUTEN] == 0b101
    assert device.control(0x80, 8, 0, 0, 1) == b"\x01"  # GET_CONFIGURATION
    assert device.control(0x80, 0, 0, 0, 2) == b"\x00\x00"  # GET_STATUS device
    assert device.control(0x80, 6, 0x0200, 0, 64) == config[:64]  # wLength cuts the transfer
    for request in ((0x80, 6, 0x0600, 0, 10),   # DEVICE_QUALIFIER: full-speed only
                    (0x80, 6, 0x0304, 0, 255),  # no string 4
                    (0x80, 6, 0x0200 | 1, 0, 9),  # no configuration 2
                    (0x00, 9, 2),               # SET_CONFIGURATION 2
                    (0x40, 1, 0, 0)):           # vendor request
        with pytest.raises(Stall):
            device.control(*request)
    assert device.usbd.errors == []


def test_endpoint_halt_is_set_cleared_and_reported(elf: Path) -> None:
    device = Device(elf)
    device.plug_in()
    device.enumerate()
    device.control(0x02, 3, 0, 0x82)  # SET_FEATURE(ENDPOINT_HALT) on bulk IN
    assert device.usbd.stalls[-1] == 0x182 and device.control(0x82, 0, 0, 0x82, 2) == b"\x01\x00"
    device.control(0x02, 1, 0, 0x82)  # CLEAR_FEATURE resets the data toggle
    assert device.usbd.stalls[-1] == 0x082 and device.usbd.toggles[-1] == 0x182
    assert device.control(0x82, 0, 0, 0x82, 2) == b"\x00\x00"
    with pytest.raises(Stall):
        device.control(0x82, 0, 0, 0x85, 2)  # no such endpoint


def test_line_coding_and_control_line_state(elf: Path) -> None:
    device = Device(elf)
    device.plug_in()
    device.enumerate()
    assert device.control(0xA1, 0x21, 0, 0, 7) == struct.pack("<IBBB", 115200, 0, 0, 8)
    assert device.call("usb_console_open") == 0
    device.open_port(baud=9600)
    assert device.control(0xA1, 0x21, 0, 0, 7) == struct.pack("<IBBB", 9600, 0, 0, 8)
    assert device.call("usb_console_open") == 1
    with pytest.raises(Stall):
        device.control(0xA1, 0x7F, 0, 0, 4)  # unknown class request
    device.control(0x21, 0x22, 0, 0)  # port closed at 9600: no touch
    assert device.call("usb_console_open") == 0 and not device.reset_requested()
    assert device.usbd.errors == []


def test_protocol_frames_round_trip_over_the_bulk_endpoints(elf: Path) -> None:
    from edgesim import protocol as p

    device = Device(elf)
    device.plug_in()
    device.enumerate()
    device.open_port()
    payload = bytes(range(256)) * 5  # 1280 bytes: 21 OUT packets
    frame = p.encode_frame(p.AUDIO, 9, payload)
    device.send(b"\x00garbage" + frame)
    frame_ptr = device.scratch
    assert device.call("link_receive", frame_ptr) == 1
    ftype, _, seq, length, pointer = struct.unpack("<BBHHxxI", bytes(device.uc.mem_read(frame_ptr, 12)))
    assert (ftype, seq, length) == (p.AUDIO, 9, len(payload))
    assert bytes(device.uc.mem_read(pointer, length)) == payload
    # The reply goes out through link_send (the firmware's framing) and bulk IN.
    device.call("link_send", p.AUDIO, pointer, length)
    device.interrupts()
    decoder = p.FrameDecoder()
    frames = decoder.feed(device.read_all_in())
    # The link acknowledges the accepted frame (an unnumbered REPEAT, issue 15's reliable link), then the echo.
    assert [f.type for f in frames] == [p.REPEAT, p.AUDIO] and decoder.pending == 0
    assert frames[1].payload == payload
    assert device.usbd.errors == []


def test_full_packet_is_followed_by_a_zero_length_packet(elf: Path) -> None:
    device = Device(elf)
    device.plug_in()
    device.enumerate()
    device.open_port()
    device.uc.mem_write(device.scratch, bytes(range(64)))
    device.call("board_link_write", device.scratch, 64)
    device.interrupts()
    assert device.bulk_in() == bytes(range(64))
    assert device.bulk_in() == b"", "a transfer ending on a full packet needs a ZLP"
    assert device.bulk_in() is None


def test_receive_ring_applies_flow_control_and_loses_nothing(elf: Path) -> None:
    device = Device(elf)
    device.plug_in()
    device.enumerate()
    device.open_port()
    stream = bytes((i * 7 + 3) & 0xFF for i in range(64 * 40))
    sent = 0
    while sent < len(stream) and device.bulk_out(stream[sent:sent + 64]):
        sent += 64
    assert 2048 <= sent < len(stream), "the device must NAK once its 2 KiB ring is full"
    received = b""
    while len(received) < len(stream):
        n = device.call("usb_console_read", device.scratch, 512)
        received += bytes(device.uc.mem_read(device.scratch, n))
        device.interrupts()  # the read pended the USBD interrupt: the waiting packet is fetched
        while sent < len(stream) and device.bulk_out(stream[sent:sent + 64]):
            sent += 64
        assert n or sent == len(stream)
    assert received == stream
    assert device.usbd.errors == []


def test_output_is_dropped_while_no_program_has_the_port_open(elf: Path) -> None:
    device = Device(elf)
    device.plug_in()
    device.enumerate()
    device.uc.mem_write(device.scratch, b"hello")
    assert device.call("usb_console_write", device.scratch, 5) == 0
    device.interrupts()
    assert device.bulk_in() is None
    device.open_port()
    assert device.call("usb_console_write", device.scratch, 5) == 5
    device.interrupts()
    assert device.bulk_in() == b"hello"


def test_1200_baud_touch_enters_the_arduino_bootloader(elf: Path) -> None:
    device = Device(elf)
    device.plug_in()
    device.enumerate()
    # pyserial: open at 1200 baud (DTR up, line coding), then dtr = False, close.
    device.control(0x21, 0x22, 3, 0)
    device.control(0x21, 0x20, 0, 0, 7, struct.pack("<IBBB", 1200, 0, 0, 8))
    assert not device.reset_requested()
    device.usbd.clear_control()
    for offset, byte in zip(SETUP_REGS, struct.pack("<BBHHH", 0x21, 0x22, 0, 0, 0)):
        device.usbd.regs[offset] = byte
    device.usbd.event(EV_EP0SETUP)
    device.interrupts()
    assert device.usbd.status_allowed, "the request is acknowledged before the reset"
    assert ("GPREGRET", 0xB0) in device.log and device.reset_requested()
    assert device.log.index(("GPREGRET", 0xB0)) < device.log.index(("AIRCR", 0x05FA0004))


def test_1200_baud_without_an_open_port_does_not_reset(elf: Path) -> None:
    """At enumeration hosts may set a line coding with DTR low: only an opened port's close is a touch."""
    device = Device(elf)
    device.plug_in()
    device.enumerate()
    device.control(0x21, 0x20, 0, 0, 7, struct.pack("<IBBB", 1200, 0, 0, 8))
    device.control(0x21, 0x22, 0, 0)
    assert not device.reset_requested()
    device.bus_reset()  # a reset forgets that the port was open
    device.enumerate()
    device.control(0x21, 0x22, 0, 0)
    assert not device.reset_requested()


# ---- the images ----------------------------------------------------------------------

def image_symbols(elf_path: Path) -> set[str]:
    out = subprocess.run(["arm-none-eabi-nm", str(elf_path)], capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


@pytest.mark.parametrize("console", [None, "uart"], ids=["usb-default", "uart"])
def test_nano33ble_images_link_the_chosen_console(console: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import shared_path
    from edgesim.mcu.firmware_builder import build_app
    from edgesim.mcu.flash import APP_OFFSET, FLASH_BYTES, RAM_BYTES

    monkeypatch.setenv("EDGESIM_MODELS", str(shared_path("models")))
    image = build_app("gesture", board="nano33ble", sensors=True, console=console)
    assert image.size.flash_bytes <= FLASH_BYTES - APP_OFFSET and image.size.ram_bytes <= RAM_BYTES
    syms = image_symbols(image.elf)
    usb = {"usbd_irq_handler", "usbd_power_irq_handler", "usb_console_init"}
    if console is None:
        assert usb <= syms
    else:
        assert not usb & syms and "board_link_write" in syms


def test_console_choice_is_checked_per_board() -> None:
    from edgesim.errors import TargetError
    from edgesim.mcu.firmware_builder import build_app

    with pytest.raises(TargetError, match="board 'mps2-an386' has no 'usb' console"):
        build_app("wake_word", board="mps2-an386", console="usb")
    with pytest.raises(TargetError, match="no 'spi' console"):
        build_app("wake_word", board="nano33ble", console="spi")
