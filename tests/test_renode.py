"""Renode scripts, robot files, the target's no-Renode path, the profiler metrics parser + plots,
and - with Renode v1.15.x on PATH (or $RENODE) - real runs: host-fed apps equal to the host target,
the robot tests, a profiled run parsed and plotted.

Renode is built from source on the development machine (no registry has it), so CI
skips the real runs with that reason; the parser still runs on a real dump excerpt
made with Renode v1.15.3 (tests/data/renode/).
"""
from __future__ import annotations

import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from edgesim import resources
from edgesim.mcu import renode
from edgesim.errors import TargetError
from edgesim.mcu.renode_metrics import read_metrics, plot_metrics

REAL_DUMP = Path(__file__).resolve().parent / "data" / "renode" / "gesture_boot_excerpt.dump"


def _have_renode() -> bool:
    try:
        renode.find_renode()
        return True
    except TargetError:
        return False


HAVE_RENODE = _have_renode()
needs_renode = pytest.mark.skipif(not HAVE_RENODE, reason="unavailable here: Renode is not on PATH nor in $RENODE "
                                                          "(v1.15.x on Mono, built from source on the development "
                                                          "machine; no package registry has it, so CI cannot install it)")


def test_checked_in_scripts_equal_the_generator(tmp_path: Path) -> None:
    """renode/*.resc|robot are generated: they cannot drift from edgesim.mcu.renode."""
    for path in renode.write_static_scripts(tmp_path):
        assert (resources.renode_dir() / path.name).read_text() == path.read_text(), f"regenerate renode/{path.name}"


@pytest.mark.parametrize("app, feed", [
    ("wake_word", "sysbus.pdm SetInputFile $input"),
    ("person_detection", "sysbus.spi2.camera ImageSource $input"),
    ("gesture", "sysbus.twi0.lsm9ds1_imu MaxFifoDepth 32"),
])
def test_app_scripts_use_the_board_and_its_models(app: str, feed: str) -> None:
    resc = (resources.renode_dir() / f"{app}.resc").read_text()
    assert "machine LoadPlatformDescription @platforms/boards/arduino_nano_33_ble.repl" in resc
    assert feed in resc
    assert "connector Connect sysbus.uart0 edgesim_uart" in resc
    assert "machine LoadPlatformDescription $overlay" in resc
    robot = (resources.renode_dir() / f"{app}.robot").read_text()
    assert "machine LoadPlatformDescription @${CURDIR}/edgesim_nano33ble.repl" in robot
    assert "IF    $PROFILE" in robot, "profiling is opt-in"
    assert "Resource                      ${RENODEKEYWORDS}" in robot
    assert f"Wait For Detection        {app}" in robot


def test_generated_script_feeds_each_sensor_model(tmp_path: Path) -> None:
    imu = np.array([[0.0, 0.5, 1.0, 15.0, -30.0, 0.0]], np.float32)
    script = renode.RenodeScript(app="gesture", elf=Path("/fw/gesture.elf"), uart_port=4567, imu=imu,
                                 audio_raw=Path("/in/a.s16le"), image=Path("/in/f.jpg"),
                                 profile=Path("/out/g.dump"))
    lines = script.render().splitlines()
    assert lines[3:7] == ['mach create "nano33ble"',
                          "machine LoadPlatformDescription @platforms/boards/arduino_nano_33_ble.repl",
                          "machine LoadPlatformDescription @edgesim_nano33ble.repl",
                          "sysbus LoadELF @/fw/gesture.elf"]
    assert "sysbus.pdm SetInputFile @/in/a.s16le" in lines
    assert "sysbus.spi2.camera ImageSource @/in/f.jpg" in lines
    assert "sysbus.twi0.lsm9ds1_imu FeedAccelerationSample 0 0.5 1" in lines
    # 15 deg/s is fed as 16.384 (the model's 15 LSB/dps vs the driver's 32768/2000 LSB/dps)
    assert "sysbus.twi0.lsm9ds1_imu FeedAngularRateSample 16.384 -32.768 0" in lines
    assert 'emulation CreateServerSocketTerminal 4567 "edgesim_uart" false' in lines
    assert lines[-2:] == ["machine EnableProfiler @/out/g.dump", "start"]


def test_audio_raw_is_s16le(tmp_path: Path) -> None:
    path = renode.write_audio_raw(np.array([1, -2, 32767], np.int16), tmp_path / "a.s16le")
    assert path.read_bytes() == struct.pack("<3h", 1, -2, 32767)


def test_missing_renode_is_one_clear_message(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=r"Renode not found: set \$RENODE.*Renode v1\.15\.x on Mono"):
        renode.find_renode({"PATH": str(tmp_path)})
    with pytest.raises(TargetError, match=r"\$RENODE is '/nope/renode', which is not an executable file"):
        renode.find_renode({"RENODE": "/nope/renode", "PATH": str(tmp_path)})


def test_renode_from_env_variable(tmp_path: Path) -> None:
    exe = tmp_path / "renode"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    assert renode.find_renode({"RENODE": str(exe), "PATH": ""}) == exe
    (tmp_path / "renode-test").write_text("#!/bin/sh\n")
    assert renode.find_renode_test({"RENODE": str(exe), "PATH": ""}) == tmp_path / "renode-test"


def test_target_without_renode_fails_before_building(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from edgesim.apps import load_app
    from edgesim.targets import create_target

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("RENODE", raising=False)
    with create_target("renode") as target:
        with pytest.raises(TargetError, match="Renode not found"):
            target.open(load_app("wake_word"))
        assert target.image is None


def test_cli_test_command_without_renode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         capsys: pytest.CaptureFixture) -> None:
    from edgesim.cli import main

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("RENODE", raising=False)
    assert main(["test", "--target", "renode"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("edgesim: Renode not found")


# ---- profiler metrics --------------------------------------------------------

def write_metrics(path: Path, instructions_layout: str = "<BQ") -> None:
    """A dump in Renode's metrics format (see edgesim/mcu/renode_metrics.py), built by hand."""
    out = bytearray()
    out += struct.pack("<i", 1) + struct.pack("<ii", 0, 3) + b"cpu"
    peripherals = [("sysbus.uart0", 0x40002000, 0x40002FFF), ("sysbus.pdm", 0x4001D000, 0x4001DFFF)]
    out += struct.pack("<i", len(peripherals))
    for name, start, end in peripherals:
        out += struct.pack("<i", len(name)) + name.encode() + struct.pack("<QQ", start, end)

    def entry(tick: int, ms: float, kind: int, body: bytes) -> bytes:
        return struct.pack("<qdB", tick, ms, kind) + body

    for i in range(1, 6):
        out += entry(1000 + i * 10_000, i * 1.0, 0, struct.pack(instructions_layout, 0, i * 64_000))
    out += entry(2000, 0.5, 1, bytes([2])) + entry(2001, 0.6, 1, bytes([2])) + entry(2002, 0.7, 1, bytes([3]))
    out += entry(3000, 1.5, 2, struct.pack("<BQ", 1, 0x40002508))   # uart0 write
    out += entry(3001, 1.6, 2, struct.pack("<BQ", 0, 0x4001D108))   # pdm read
    out += entry(3002, 1.7, 2, struct.pack("<BQ", 0, 0x4001D108))
    out += entry(3003, 1.8, 2, struct.pack("<BQ", 0, 0x50000000))   # outside every peripheral
    out += entry(4000, 2.0, 3, struct.pack("<Q", 15)) + entry(4001, 3.0, 3, struct.pack("<Q", 15))
    out += entry(4002, 3.5, 3, struct.pack("<Q", 45))
    path.write_bytes(bytes(out))


@pytest.mark.parametrize("layout", ["<BQ", "<iQ"])  # Renode <= v1.15.1, >= v1.15.2
def test_metrics_parser_reads_every_entry_kind(tmp_path: Path, layout: str) -> None:
    dump = tmp_path / "m.dump"
    write_metrics(dump, layout)
    metrics = read_metrics(dump)
    assert metrics.cpus == {0: "cpu"}
    assert metrics.instructions_layout == layout
    assert metrics.instructions["cpu"].points() == [(float(i), i * 64_000) for i in range(1, 6)]
    assert metrics.summary() == {
        "instructions": {"cpu": 320_000},
        "memory_reads": 2, "memory_writes": 1,
        "peripheral_reads": {"sysbus.pdm": 2, "0x50000000": 1},
        "peripheral_writes": {"sysbus.uart0": 1},
        "exceptions": {15: 2, 45: 1},
    }
    assert metrics.real_time_ms == pytest.approx((51000 - 2000) / 10_000)


def test_truncated_or_foreign_metrics_are_rejected(tmp_path: Path) -> None:
    dump = tmp_path / "m.dump"
    write_metrics(dump)
    data = dump.read_bytes()
    (tmp_path / "cut.dump").write_bytes(data[:-3])
    with pytest.raises(TargetError, match="truncated"):
        read_metrics(tmp_path / "cut.dump")
    (tmp_path / "png.dump").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    with pytest.raises(TargetError, match="not a Renode metrics file"):
        read_metrics(tmp_path / "png.dump")
    bad_kind = bytearray(data)
    first_entry = data.index(struct.pack("<q", 11000))
    bad_kind[first_entry + 16] = 9
    (tmp_path / "kind.dump").write_bytes(bytes(bad_kind))
    with pytest.raises(TargetError, match="unknown entry type 9"):
        read_metrics(tmp_path / "kind.dump")


def test_metrics_of_a_long_run_stay_bounded(tmp_path: Path) -> None:
    """A dump with more events than any series keeps: exact totals, at most MAX_POINTS points each."""
    from edgesim.mcu.renode_metrics import MAX_POINTS

    header = struct.pack("<i", 1) + struct.pack("<ii", 0, 3) + b"cpu" + struct.pack("<i", 0)
    n = 3 * MAX_POINTS + 7
    reads = b"".join(struct.pack("<qdBB", i, i * 0.001, 1, 2) for i in range(n))
    counts = b"".join(struct.pack("<qdBiQ", n + i, n * 0.001 + i, 0, 0, (i + 1) * 1000) for i in range(n))
    (tmp_path / "long.dump").write_bytes(header + reads + counts)
    metrics = read_metrics(tmp_path / "long.dump")
    assert metrics.summary()["memory_reads"] == n and metrics.summary()["instructions"] == {"cpu": n * 1000}
    for trace in (metrics.memory_reads, metrics.instructions["cpu"]):
        assert MAX_POINTS // 2 <= len(trace.times) <= MAX_POINTS
        assert trace.times == sorted(trace.times) and trace.values == sorted(trace.values)
    assert metrics.instructions["cpu"].values[-1] <= n * 1000


def test_metrics_plots_are_pngs(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    dump = tmp_path / "m.dump"
    write_metrics(dump)
    paths = plot_metrics(read_metrics(dump), tmp_path / "plots")
    assert [p.name for p in paths] == ["instructions.png", "memory.png", "peripherals.png", "exceptions.png"]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_metrics_parser_reads_a_real_renode_dump() -> None:
    """The first 480 KB of a v1.15.3 profiler dump (gesture firmware booting), cut at an entry boundary."""
    metrics = read_metrics(REAL_DUMP)
    assert metrics.cpus == {0: "cpu"} and len(metrics.peripherals) == 34
    assert metrics.peripherals["uart0"] == (0x40002000, 0x40002FFF)
    assert metrics.instructions_layout == "<iQ"  # Renode >= v1.15.2
    # one instructions entry per 0.1 ms quantum at the default 100 MIPS
    assert metrics.instructions["cpu"].points() == [(round(0.1 * i, 1), 10_000 * (i + 1)) for i in range(9)]
    assert metrics.summary() == {
        "instructions": {"cpu": 90_000}, "memory_reads": 10_227, "memory_writes": 16_337,
        "peripheral_reads": {"nvic": 4, "clock": 1, "dwt_instructions": 1},
        "peripheral_writes": {"nvic": 5, "clock": 2, "dwt_instructions": 2, "uart0": 12},
        "exceptions": {},
    }
    assert not metrics.cut_tail


def test_real_dump_cut_inside_an_entry(tmp_path: Path) -> None:
    cut = tmp_path / "cut.dump"
    cut.write_bytes(REAL_DUMP.read_bytes()[:-5])
    with pytest.raises(TargetError, match="truncated"):
        read_metrics(cut)
    metrics = read_metrics(cut, cut_tail_ok=True)  # what a Renode stopped mid-write leaves
    assert metrics.cut_tail and metrics.summary()["memory_reads"] + metrics.summary()["memory_writes"] < 26_564


# ---- real Renode runs (development machine) -----------------------------------

@needs_renode
def test_real_renode_runs_the_wake_word_robot_test(monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import shared_path
    from edgesim.mcu.renode_tests import run_robot_tests

    monkeypatch.setenv("EDGESIM_MODELS", str(shared_path("models")))

    (result,) = run_robot_tests(["wake_word"])
    assert result.passed, f"see {result.log}"


@needs_renode
def test_real_renode_robot_test_with_plots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`edgesim test --plots`: the detection run is profiled and its real dump parsed and plotted."""
    from conftest import shared_path
    from edgesim.mcu.renode_tests import BUILD, run_robot_tests

    monkeypatch.setenv("EDGESIM_MODELS", str(shared_path("models")))

    (result,) = run_robot_tests(["gesture"], plots=tmp_path)
    assert result.passed, f"see {result.log}"
    assert [p.name for p in result.plots] == ["instructions.png", "memory.png", "peripherals.png", "exceptions.png"]
    metrics = read_metrics(BUILD / "gesture.dump")
    assert metrics.instructions_layout == "<iQ" and not metrics.cut_tail
    assert metrics.summary()["instructions"]["cpu"] > 1_347_000  # at least one invoke (bench_mcu.py)
    assert metrics.summary()["peripheral_writes"]["uart0"] > 0  # the frames the firmware sent


def _held_out_source(app: str, folder: Path, testdata: Path) -> Path:
    """Inputs none of the apps were tuned on, in formats the sources convert (rates, sizes, files)."""
    import cv2

    from edgesim.sources.wav import read_wav

    if app == "wake_word":
        import wave

        parts = [read_wav(testdata / "tts" / "yes_en_m3.wav").samples,
                 (read_wav(testdata / "micro_speech" / "noise_1000ms.wav").samples * 0.5).astype(np.int16),
                 read_wav(testdata / "tts" / "no_en_f2.wav").samples]
        mono16k = np.concatenate(parts).astype(np.float64)
        t44 = np.arange(int(len(mono16k) * 44_100 / 16_000)) * 16_000 / 44_100
        mono = np.interp(t44, np.arange(len(mono16k)), mono16k) * 0.8
        stereo = np.repeat(np.clip(mono, -32768, 32767).astype("<i2")[:, None], 2, axis=1)
        path = folder / "mix_44k1_stereo.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(44_100)
            out.writeframes(stereo.tobytes())
        return path
    folder = folder / app
    folder.mkdir()
    if app == "person_detection":
        person = cv2.imread(str(testdata / "person_detection" / "person.jpg"))
        cv2.imwrite(str(folder / "a_person_120x100.jpg"), cv2.convertScaleAbs(cv2.resize(person, (120, 100)),
                                                                                alpha=0.8, beta=20))
        no_person = cv2.imread(str(testdata / "person_detection" / "no_person.bmp"))
        cv2.imwrite(str(folder / "b_no_person_flipped.png"), cv2.flip(no_person, 1))
        shutil.copy(testdata / "person_detection" / "person_96x96.bmp", folder / "c_person.bmp")
        return folder
    for digit in (3, 7):
        points = np.loadtxt(testdata / "magic_wand" / f"stroke_digit{digit}.csv", delimiter=",")
        shutil.copy(testdata / "magic_wand" / f"stroke_digit{digit}.csv", folder / f"digit{digit}.csv")
        moved = np.clip(np.round(points * 0.8 + [6, -4]), -128, 127).astype(int)
        np.savetxt(folder / f"digit{digit}_small.csv", moved, fmt="%d", delimiter=",")
    return folder


@needs_renode
@pytest.mark.parametrize("app", ["wake_word", "person_detection", "gesture"])
def test_real_renode_host_fed_equals_host(app: str, tmp_path: Path, testdata_dir: Path,
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """`edgesim run APP --target renode --source ...` gives the host target's events, event for event."""
    import json

    from conftest import shared_path
    from edgesim.cli import main

    monkeypatch.setenv("EDGESIM_MODELS", str(shared_path("models")))
    source = _held_out_source(app, tmp_path, testdata_dir)
    runs = {}
    for target in ("host", "renode"):
        assert main(["run", app, "--target", target, "--source", str(source), "--json"]) == 0
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        runs[target] = lines
    events = {target: [line for line in lines if line["type"] != "summary"] for target, lines in runs.items()}
    assert events["renode"] == events["host"] and len(events["host"]) >= 3
    summary = runs["renode"][-1]
    assert summary["type"] == "summary" and summary["target"] == "renode"
    # retired instructions per inference, counted by Renode (the overlay's CYCCNT)
    assert summary["instructions_per_inference"]["invoke"] > 100_000


def test_cli_run_on_renode_without_renode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         capsys: pytest.CaptureFixture) -> None:
    from conftest import shared_path
    from edgesim.cli import main

    monkeypatch.setenv("EDGESIM_MODELS", str(shared_path("models")))  # no note on where models come from
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("RENODE", raising=False)
    assert main(["run", "wake_word", "--target", "renode", "--source", "synthetic:tone"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("edgesim: Renode not found")


STAND_IN = '''#!{python}
"""A stand-in for renode: records its arguments, serves the script's UART socket, answers like firmware."""
import json, os, re, socket, struct, sys
sys.path.insert(0, {repo!r})
from edgesim import protocol as p

args = sys.argv[1:]
script = open(args[-1]).read()
with open(os.environ["RENODE_STANDIN_LOG"], "w") as log:
    json.dump({{"args": args, "script": script}}, log)
port = int(re.search(r"CreateServerSocketTerminal (\\d+)", script).group(1))
server = socket.create_server(("127.0.0.1", port))
conn, _ = server.accept()
hello = struct.pack("<BBHIIII", p.APP_IDS["wake_word"], p.BOARD_IDS["nano33ble"], 0, 18712, 6836, 1960, 1)
seq = 0
def send(kind, payload=b""):
    global seq
    conn.sendall(p.encode_frame(kind, seq, payload))
    seq += 1
send(p.HELLO, hello)
decoder = p.FrameDecoder()
configs = 0
while True:
    data = conn.recv(4096)
    if not data:
        break
    for frame in decoder.feed(data):
        if frame.type == p.CONFIG:
            configs += 1
            if configs > int(os.environ.get("RENODE_STANDIN_DROP_CONFIGS", "0")):  # as if lost while booting
                send(p.HELLO, hello)
        elif frame.type == p.END and not os.environ.get("RENODE_STANDIN_HANG"):
            send(p.END, struct.pack("<IIII", 0, 0, 0, 1234))
'''


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs gcc-arm-none-eabi")
def test_target_drives_renode_through_its_uart_socket(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The target's whole Renode path (script, process, socket, handshake, END, teardown) against a stand-in."""
    import json
    import sys

    from edgesim.apps import load_app
    from conftest import shared_path
    from edgesim.targets.renode import RenodeTarget

    monkeypatch.setenv("EDGESIM_MODELS", str(shared_path("models")))
    stand_in = tmp_path / "renode"
    stand_in.write_text(STAND_IN.format(python=sys.executable, repo=str(resources.PACKAGE_DIR.parent)))
    stand_in.chmod(0o755)
    monkeypatch.setenv("RENODE", str(stand_in))
    monkeypatch.setenv("RENODE_STANDIN_LOG", str(tmp_path / "standin.json"))
    with RenodeTarget(timeout=20) as target:
        target.open(load_app("wake_word"))
        assert target.hello.app == 1 and target.hello.output_count == 1
        assert target.finish() == []
        assert target.stack_used == 1234
        process = target.transport.process
    assert process.poll() is not None, "Renode is stopped when the target closes"
    record = json.loads((tmp_path / "standin.json").read_text())
    assert record["args"][:2] == ["--disable-gui", "--plain"]
    assert f"sysbus LoadELF @{target.image.elf}" in record["script"]
    assert "connector Connect sysbus.uart0 edgesim_uart" in record["script"]


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="needs gcc-arm-none-eabi")
def test_lost_configs_are_retried_and_a_hang_names_renode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Two CONFIGs dropped (firmware still booting): the third is answered; then a silent END is a hang."""
    import sys

    from edgesim.apps import load_app
    from conftest import shared_path
    from edgesim.targets import renode as renode_target

    monkeypatch.setenv("EDGESIM_MODELS", str(shared_path("models")))
    monkeypatch.setattr(renode_target.RenodeTarget, "config_retry_s", 0.3)
    stand_in = tmp_path / "renode"
    stand_in.write_text(STAND_IN.format(python=sys.executable, repo=str(resources.PACKAGE_DIR.parent)))
    stand_in.chmod(0o755)
    monkeypatch.setenv("RENODE", str(stand_in))
    monkeypatch.setenv("RENODE_STANDIN_LOG", str(tmp_path / "standin.json"))
    monkeypatch.setenv("RENODE_STANDIN_DROP_CONFIGS", "2")
    monkeypatch.setenv("RENODE_STANDIN_HANG", "1")
    with renode_target.RenodeTarget(timeout=3) as target:
        target.open(load_app("wake_word"))
        assert target.hello.output_count == 1
        with pytest.raises(TargetError, match="firmware hang.*Renode was stopped") as hang:
            target.finish()
        assert "QEMU" not in str(hang.value)
    monkeypatch.setenv("RENODE_STANDIN_DROP_CONFIGS", "1000")
    with renode_target.RenodeTarget(timeout=1.5) as target:
        with pytest.raises(TargetError, match=r"no answer to CONFIG from Renode within 1\.5 s"):
            target.open(load_app("wake_word"))


def test_robot_inputs_are_in_the_models_formats(testdata_dir: Path, tmp_path: Path) -> None:
    from edgesim.compute import jpeg
    from edgesim.mcu.renode_tests import IMU_RATE_HZ, prepare_inputs
    from edgesim.sources.wav import read_wav

    audio = prepare_inputs("wake_word", tmp_path).read_bytes()
    yes = read_wav(testdata_dir / "micro_speech" / "yes_1000ms.wav").samples
    samples = np.frombuffer(audio, "<i2")
    assert np.array_equal(samples[8000:8000 + len(yes)], yes) and not samples[:8000].any()
    frame = prepare_inputs("person_detection", tmp_path).read_bytes()
    assert jpeg.info(frame) == (160, 120, 3) and frame[:2] == b"\xff\xd8"
    feed = prepare_inputs("gesture", tmp_path).read_text().splitlines()
    assert len(feed) == 2 * int(2.0 * IMU_RATE_HZ)  # an accel and a gyro line per sample, 2 s of samples
    assert all(line.startswith("sysbus.twi0.lsm9ds1_imu Feed") for line in feed)


def test_robot_inputs_come_from_the_testdata_folder_named(testdata_dir: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # An installed wheel has no ../shared beside it: EDGESIM_TESTDATA (or `edgesim test --testdata`) names it.
    from edgesim.mcu.renode_tests import prepare_inputs

    monkeypatch.setenv("EDGESIM_TESTDATA", str(tmp_path / "nowhere"))
    with pytest.raises(TargetError, match=r"yes_1000ms\.wav not found: set EDGESIM_TESTDATA"):
        prepare_inputs("wake_word", tmp_path)
    monkeypatch.setenv("EDGESIM_TESTDATA", str(testdata_dir))
    assert prepare_inputs("wake_word", tmp_path).stat().st_size > 0
