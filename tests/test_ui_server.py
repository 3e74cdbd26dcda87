"""The dashboard server: /events equals --json, who may connect (issue 15.3), bounded memory, WebSocket abuse."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import REPO_ROOT, shared_path
from edgesim.ui import websocket as ws
from edgesim.ui.security import Guard, RateLimiter
from edgesim.ui.server import ClientQueue
from ui_support import UiRun, WsClient, events_until_summary, http_get, sse_messages, write_yes_no_stream


@pytest.fixture
def testdata_dir() -> Path:
    return shared_path("testdata")


def test_events_equal_the_json_output(testdata_dir: Path, tmp_path: Path) -> None:
    stream = tmp_path / "yes_no.wav"
    write_yes_no_stream(testdata_dir, stream)
    with UiRun("wake_word", "--source", str(stream), json_lines=True) as run:
        page = events_until_summary(run.port)
        printed = run.stdout_until_summary()
    assert page == printed  # the same objects, in the same order, byte for byte
    detections = [json.loads(line)["label"] for line in page if '"detection"' in line]
    assert detections == ["yes", "no"]
    # And the events equal those of a plain --json run (the summary differs only by wall-clock figures).
    plain = subprocess.run([sys.executable, "-m", "edgesim", "run", "wake_word", "--source", str(stream), "--json"],
                           capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
                           env={"PYTHONPATH": str(REPO_ROOT), "EDGESIM_MODELS": str(shared_path("models")),
                                "PATH": "/usr/bin:/bin"})
    assert plain.stdout.splitlines()[:-1] == page[:-1]


def test_previews_carry_what_the_model_saw(testdata_dir: Path) -> None:
    with UiRun("person_detection", "--source", str(testdata_dir / "person_detection/person.jpg")) as run:
        previews = []
        for name, data in sse_messages(run.port):
            if name == "preview":
                previews.append(json.loads(data))
            elif json.loads(data)["type"] == "summary":
                break
    [frame] = [p for p in previews if p["kind"] == "frame"]
    assert (frame["width"], frame["height"]) == (517, 606) and frame["crop"] == [0, 44, 517, 517]
    import base64

    import numpy as np

    from edgesim.compute.image import preprocess
    from edgesim.sources.files import read_image

    pixels, pixel_format = read_image(testdata_dir / "person_detection/person.jpg")
    expected = (preprocess(pixels, pixel_format).astype(np.int16) + 128).astype(np.uint8).tobytes()
    assert base64.b64decode(frame["model_input"]) == expected


def test_foreign_origin_and_host_are_refused(testdata_dir: Path) -> None:
    with UiRun("gesture", "--source", "browser") as run:
        assert http_get(run.port, "/app.json")[0] == 200
        assert http_get(run.port, "/app.json", host=f"localhost:{run.port}")[0] == 200
        assert http_get(run.port, "/app.json", {"Origin": f"http://127.0.0.1:{run.port}"})[0] == 200
        status, _, body = http_get(run.port, "/events", {"Origin": "https://evil.example"})
        assert status == 403 and b"Origin" in body
        status, _, body = http_get(run.port, "/app.json", host=f"rebind.example:{run.port}")  # DNS rebinding
        assert status == 403 and b"Host" in body
        assert http_get(run.port, "/app.json", host="127.0.0.1:1")[0] == 403  # another port is another site
        assert WsClient(run.port, origin="https://evil.example").status == 403
        assert WsClient(run.port, origin=None).status == 403  # browsers always send Origin on an upgrade
        assert WsClient(run.port, origin=f"http://127.0.0.1:{run.port}").status == 101
        assert http_get(run.port, "/../../etc/passwd")[0] == 404
        assert http_get(run.port, "/static/..%2f__init__.py")[0] == 404
        assert run.wait_stderr("refused GET /events from 127.0.0.1: Origin 'https://evil.example'")


def test_a_network_bind_needs_the_printed_token() -> None:
    with UiRun("gesture", "--source", "browser", "--host", "0.0.0.0") as run:
        token = run.url.split("token=")[1]
        assert len(token) >= 20 and run.wait_stderr("one-time token")
        status, _, body = http_get(run.port, "/app.json")
        assert status == 401 and b"token" in body
        assert http_get(run.port, "/events")[0] == 401
        assert WsClient(run.port, origin=f"http://127.0.0.1:{run.port}").status == 401
        assert http_get(run.port, "/app.json?token=wrong")[0] == 401
        status, headers, _ = http_get(run.port, f"/?token={token}")
        assert status == 200 and "HttpOnly" in headers["set-cookie"] and "SameSite=Strict" in headers["set-cookie"]
        cookie = headers["set-cookie"].split(";")[0]
        assert http_get(run.port, "/app.json", {"Cookie": cookie})[0] == 200  # the page's later requests
        assert http_get(run.port, "/app.json", host=f"0.0.0.0:{run.port}", headers={"Cookie": cookie})[0] == 200


def test_fifty_pages_at_once_all_get_every_event(testdata_dir: Path) -> None:
    clip = str(testdata_dir / "micro_speech/yes_1000ms.wav")
    with UiRun("wake_word", "--source", clip, "--tail-ms", "2000") as run:
        results: list[list[str]] = [[] for _ in range(50)]

        def read(index: int) -> None:
            results[index] = events_until_summary(run.port)

        readers = [threading.Thread(target=read, args=(i,)) for i in range(50)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(90)
    assert all(result == results[0] for result in results) and len(results[0]) > 10
    assert [json.loads(line)["label"] for line in results[0] if '"detection"' in line] == ["yes"]


def test_malformed_and_oversized_websocket_messages_close_only_that_connection(testdata_dir: Path) -> None:
    with UiRun("gesture", "--source", "browser") as run:
        origin = f"http://127.0.0.1:{run.port}"
        abuses = [
            (lambda c: c.send(ws.OP_BINARY, b"", claimed_length=1 << 40), ws.CLOSE_TOO_BIG),
            (lambda c: c.send(ws.OP_BINARY, b"A" + bytes(70000)), ws.CLOSE_TOO_BIG),
            (lambda c: c.send(ws.OP_TEXT, b"{not json"), ws.CLOSE_INVALID_DATA),
            (lambda c: c.send(ws.OP_TEXT, b'{"type": "stroke", "points": [[1, 2]]}'), ws.CLOSE_INVALID_DATA),
            (lambda c: c.send(ws.OP_TEXT, b'{"type": "stroke", "points": [[1, 2], [3, 1e999]]}'), ws.CLOSE_INVALID_DATA),
            (lambda c: c.send(ws.OP_BINARY, b"A\x00\x01"), ws.CLOSE_INVALID_DATA),  # audio to a gesture app
            (lambda c: c.send(ws.OP_BINARY, b"Z123"), ws.CLOSE_INVALID_DATA),
            (lambda c: c.send(ws.OP_TEXT, b"x", masked=False), ws.CLOSE_PROTOCOL_ERROR),
            (lambda c: c.send(0x3, b"x"), ws.CLOSE_PROTOCOL_ERROR),
            (lambda c: c.send_raw(b"\xff\xff\xff"), ws.CLOSE_PROTOCOL_ERROR),
        ]
        for round_ in range(3):
            for abuse, code in abuses:
                client = WsClient(run.port, origin=origin)
                assert client.status == 101
                abuse(client)
                assert client.close_code() == code, (round_, code)
                client.close()
        # The server still serves pages, and a well-formed stroke still becomes a detection.
        assert http_get(run.port, "/app.json")[0] == 200
        good = WsClient(run.port, origin=origin)
        one = [[160, 40 + 8 * i] for i in range(31)]  # a vertical line: the digit 1
        good.send(ws.OP_TEXT, json.dumps({"type": "stroke", "points": one}).encode())
        for name, data in sse_messages(run.port):
            if name == "message" and json.loads(data)["type"] == "detection":
                assert json.loads(data)["label"] == "1"
                break
        second = WsClient(run.port, origin=origin)  # another tab: one page at a time is the sensor
        second.send(ws.OP_TEXT, json.dumps({"type": "stroke", "points": one}).encode())
        assert second.close_code() == ws.CLOSE_POLICY
        good.close()
        run.wait_stderr("another page is already the input")
    reasons = [line for line in run.stderr if "closed the input connection" in line]
    assert len(reasons) == 3 * len(abuses) + 1 and any("exceeds the 65536-byte limit" in line for line in reasons)
    assert not any("Traceback" in line for line in run.stderr)


def test_request_bodies_methods_and_rates_are_bounded() -> None:
    with UiRun("gesture", "--source", "browser") as run:
        with socket.create_connection(("127.0.0.1", run.port), timeout=10) as sock:
            sock.sendall(f"POST /app.json HTTP/1.1\r\nHost: 127.0.0.1:{run.port}\r\nContent-Length: 5\r\n\r\nhello"
                         .encode())
            assert b" 405 " in sock.recv(200)
        assert http_get(run.port, "/app.json", {"Content-Length": "100"})[0] == 413
        assert http_get(run.port, "/app.json?" + "&".join(f"a{i}=1" for i in range(20)))[0] == 400
        assert http_get(run.port, "/" + "x" * 70000)[0] == 414
        statuses = [http_get(run.port, "/app.json")[0] for _ in range(200)]
        assert 429 in statuses and statuses[0] == 200
    assert not any("Traceback" in line for line in run.stderr)


def test_a_slow_page_holds_bounded_memory() -> None:
    queue = ClientQueue(max_bytes=10_000)
    for index in range(100_000):  # hours of previews that nobody reads
        queue.put(b"x" * 200)
    assert queue.size_bytes <= 10_000 and queue.dropped == 100_000 - 50
    assert queue.get(0) == b"x" * 200


def test_guard_and_rate_limiter_units() -> None:
    guard = Guard("127.0.0.1", 8765)
    assert guard.token is None and guard.check("c", {"Host": "localhost:8765"}, None) is None
    assert guard.check("c", {"Host": "localhost:8765", "Origin": "http://localhost:8765.evil"}, None).status == 403
    network = Guard("192.0.2.7", 8765)
    assert network.needs_token and network.url().startswith("http://192.0.2.7:8765/?token=")
    assert network.check("c", {"Host": "192.0.2.7:8765"}, network.token) is None
    limiter = RateLimiter(rate_per_s=0.0, burst=3)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False] and limiter.allow("b")
    assert ws.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_oversized_headers_and_connection_floods_are_bounded() -> None:
    from edgesim.ui.server import MAX_CONNECTIONS

    with UiRun("gesture", "--source", "browser") as run:
        status, _, body = http_get(run.port, "/app.json", {f"X-Pad-{i}": "x" * 1000 for i in range(40)})
        assert status == 431 and b"exceed" in body
        idle = []
        for _ in range(MAX_CONNECTIONS + 20):  # sockets that never send a request
            try:
                idle.append(socket.create_connection(("127.0.0.1", run.port), timeout=5))
            except OSError:
                break
        for sock in idle:
            sock.close()
        # Idle sockets time out or are closed on accept; the server is serving again right after.
        statuses = []
        for _ in range(50):
            try:
                statuses.append(http_get(run.port, "/app.json", timeout=15)[0])
            except OSError:
                statuses.append(0)
            if statuses[-1] == 200:
                break
        assert statuses[-1] == 200
