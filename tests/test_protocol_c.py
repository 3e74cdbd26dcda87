"""The firmware's C frame codec: golden frames under ASan/UBSan, the binding, and a bounded libFuzzer run."""
from __future__ import annotations

import zlib
from pathlib import Path

from native_build import build_harness, kernel_sources, run_fuzzer, run_harness

GOLDEN = Path(__file__).with_name("protocol_golden.txt")


def test_c_codec_matches_golden_frames_under_sanitizers() -> None:
    exe = build_harness("test_protocol", ["tests/c/test_protocol.c", *kernel_sources("protocol")])
    assert run_harness(exe, GOLDEN, timeout=60).startswith("ok ")


def test_binding_encodes_and_decodes_like_the_golden_file() -> None:
    from edgesim import _protocol

    for line in GOLDEN.read_text().splitlines():
        name, frame_type, seq, payload_hex, frame_hex = line.split()
        payload = b"" if payload_hex == "-" else bytes.fromhex(payload_hex)
        frame = bytes.fromhex(frame_hex)
        assert _protocol.encode(int(frame_type), int(seq), payload) == frame, name
        frames, counters = _protocol.decode(b"\xe5\x01garbage" + frame)
        assert frames == [(int(frame_type), 0, int(seq), payload)], name
        assert counters["frames"] == 1 and counters["skipped"] == 9
    assert _protocol.crc32(b"123456789") == zlib.crc32(b"123456789") == 0xCBF43926


def test_libfuzzer_target_runs_clean_for_a_bounded_time(tmp_path: Path) -> None:
    seeds = {f"seed{i}": bytes([255]) + bytes.fromhex(line.split()[4])
             for i, line in enumerate(GOLDEN.read_text().splitlines())}
    run_fuzzer("fuzz_protocol", ["tests/fuzz/fuzz_protocol.c", *kernel_sources("protocol")], tmp_path,
               seconds=15, max_len=9000, seeds=seeds)


def test_binding_exports_every_payload_layout_of_the_header() -> None:
    import struct

    from edgesim import _protocol

    sizes = {"HEADER": _protocol.HEADER_BYTES, "HELLO": _protocol.HELLO_BYTES, "CONFIG": _protocol.CONFIG_BYTES,
             "IMAGE_HEADER": _protocol.IMAGE_HEADER_BYTES, "IMU_SAMPLE": _protocol.IMU_SAMPLE_BYTES,
             "FEATURES_HEADER": _protocol.FEATURES_HEADER_BYTES, "SCORES_HEADER": _protocol.SCORES_HEADER_BYTES,
             "DETECTION": _protocol.DETECTION_BYTES, "STATS": _protocol.STATS_BYTES,
             "ERROR_HEADER": _protocol.ERROR_HEADER_BYTES, "END": _protocol.END_BYTES, "FAULT": _protocol.FAULT_BYTES,
             "RAW_HEADER": _protocol.RAW_HEADER_BYTES}
    assert set(_protocol.LAYOUTS) == set(sizes)
    for name, (fmt, fields) in _protocol.LAYOUTS.items():
        assert struct.calcsize(fmt) == sizes[name], name
        assert len(struct.unpack(fmt, bytes(sizes[name]))) == len(fields), name
    assert _protocol.LAYOUTS["IMAGE_HEADER"] == ("<HHBxxxI", ("width", "height", "pixel_format", "offset"))
    assert _protocol.LAYOUTS["RAW_HEADER"] == ("<BxxxI", ("input", "position"))
