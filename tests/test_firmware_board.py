"""The mps2-an386 board layer under QEMU: UART protocol echo, resync, exit codes,
FPU, fault reporting, hang detection, instruction counting, semihosting channel."""
from __future__ import annotations

import struct
import time

import pytest

from edgesim import protocol as p
from edgesim.errors import TargetError
from firmware_support import selftest_image

UNDEFINED, HANG, DIV_ZERO, BUS_FAULT, EXIT_7, FLOAT = (0xDEAD0001, 0xDEAD0002, 0xDEAD0003, 0xDEAD0004,
                                                       0xDEAD0005, 0xDEAD0006)


@pytest.fixture(scope="module")
def elf():
    return selftest_image().elf


def boot(elf, timeout: float = 5.0):
    from edgesim.mcu.qemu import QemuMachine

    machine = QemuMachine(elf)
    link = p.Link(machine, timeout=timeout)
    hello = link.receive(waiting_for="HELLO")
    assert hello.board == p.BOARD_IDS["mps2-an386"]
    return machine, link


def command(link: p.Link, word: int) -> None:
    link.send(p.CONFIG, struct.pack("<I", word))


def test_uart_echoes_frames_and_resyncs_after_garbage(elf) -> None:
    machine, link = boot(elf)
    with machine:
        link.send(p.AUDIO, b"\x01\x02\x03\x04")
        assert link.receive_frame() == p.Frame(p.AUDIO, 1, b"\x01\x02\x03\x04")
        garbage = b"\xe5\x01\x03\x00\xff\xff" + bytes(range(40))
        machine.write(garbage)
        link.send(p.IMAGE, b"after garbage")
        assert link.receive_frame().payload == b"after garbage"
        big = bytes(range(256)) * 16
        link.send(p.FEATURES, big)  # a max-size payload survives the UART both ways
        assert link.receive_frame().payload == big
        link.send(p.END)
        end = link.receive()
        assert isinstance(end, p.End) and end.skipped == len(garbage) and end.rejected >= 1
        assert 0 < end.stack_bytes < 4096
        assert machine.wait(5) == 0


def test_semihosting_exit_code_is_passed_through(elf) -> None:
    machine, link = boot(elf)
    with machine:
        command(link, EXIT_7)
        assert machine.wait(5) == 7


def test_fpu_is_enabled_before_float_code(elf) -> None:
    machine, link = boot(elf)
    with machine:
        command(link, FLOAT)
        (value,) = struct.unpack("<f", link.receive_frame().payload)
        assert value == struct.unpack("<f", struct.pack("<f", 1 / 3))[0]


@pytest.mark.parametrize("word,cause,register", [
    (UNDEFINED, "UNDEFINSTR", "PC=0x"),
    (DIV_ZERO, "DIVBYZERO", "PC=0x"),
    (BUS_FAULT, "PRECISERR", "BFAR=0xfffffff0"),
])
def test_faults_are_reported_with_registers_and_exit_code_3(elf, word: int, cause: str, register: str) -> None:
    machine, link = boot(elf)
    with machine:
        command(link, word)
        with pytest.raises(TargetError, match=f"{cause}.*{register}"):
            link.receive()
        assert machine.wait(5) == 3


def test_a_hang_times_out_and_qemu_is_killed(elf) -> None:
    machine, link = boot(elf, timeout=1.0)
    start = time.monotonic()
    with machine:
        command(link, HANG)
        with pytest.raises(p.ProtocolError, match="timed out"):
            link.receive(waiting_for="an answer")
        with pytest.raises(TargetError, match="did not exit"):
            machine.wait(0.5)
    assert machine.process.poll() is not None
    assert time.monotonic() - start < 10


def test_timer_counts_instructions_and_plugin_counts_them_exactly(elf, tmp_path) -> None:
    from edgesim.mcu.qemu import QemuMachine, parse_counts, plugin_argument

    exact = []
    for run in range(2):
        out = tmp_path / f"counts{run}.txt"
        with QemuMachine(elf, plugin=plugin_argument(elf, out)) as machine:
            link = p.Link(machine, timeout=5)
            link.receive()
            for _ in range(3):
                link.send(p.STROKE)
                stats = link.receive()
                # 200,000 loop instructions, measured with the 40-instruction timer resolution
                assert 200_000 - 40 <= stats.instructions["preprocess"] <= 200_000 + 80
            link.send(p.END)
            link.receive()
            assert machine.wait(5) == 0
        counts, total, _ = parse_counts(out.read_text())
        assert len(counts) == 3 and total > 200_000 * 3
        exact.append(counts)
    assert exact[0] == exact[1]  # repeatable to the instruction across runs
    assert len({c[0] for c in exact[0]}) == 1 and 200_000 <= exact[0][0][0] < 200_100


def test_semihosting_channel_carries_the_same_frames_fast(elf) -> None:
    from edgesim.mcu.qemu import run_bulk

    payloads = [bytes([i]) * 4000 for i in range(200)]  # 800 kB: ~50 s over the UART
    frames = b"".join(p.encode_frame(p.AUDIO, i, data) for i, data in enumerate(payloads))
    result = run_bulk(elf, frames + p.encode_frame(p.END, len(payloads)), timeout=30)
    assert result.exit_code == 0
    got = p.FrameDecoder().feed(result.output)
    assert [f.payload for f in got[1:-1]] == payloads and got[-1].type == p.END
    assert result.seconds < 10
