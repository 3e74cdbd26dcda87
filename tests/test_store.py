"""Model store: pinned downloads against a local HTTP server on 127.0.0.1 serving ../shared/models.

Outcomes checked: success (verified, cached, no network the second time),
checksum mismatch, connection refused, a download cut short, a stalled
server, the EDGESIM_MODELS folder without network, explicit paths, and the
C-array form of models that upstream publishes only as source.
"""
from __future__ import annotations

import functools
import hashlib
import http.server
import json
import socket
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from edgesim import cli
from edgesim.errors import StoreError
from edgesim.store import REGISTRY, ModelEntry, ModelStore, bytes_from_c_array, resolve_model

MODEL = "micro_speech_quantized"


class CountingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; counts requests; /cut/NAME sends half the file under the full Content-Length;
    /stall/NAME never answers within the client's timeout."""

    requests: list[str] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        if self.path.startswith("/cut/"):
            body = (Path(self.directory) / self.path[len("/cut/"):]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if self.path.startswith("/stall/"):
            time.sleep(2.0)
            return
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path, models_dir: Path) -> Iterator[tuple[str, Path, type[CountingHandler]]]:
    """(base URL, served folder, handler class) for a threaded server on 127.0.0.1."""
    served = tmp_path / "served"
    served.mkdir()
    for entry in REGISTRY.values():
        (served / entry.file_name).symlink_to(models_dir / entry.file_name)
    handler = type("Handler", (CountingHandler,), {"requests": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(served)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", served, handler
    httpd.shutdown()
    httpd.server_close()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def store_for(cache: Path, base_url: str, **kwargs: object) -> ModelStore:
    return ModelStore(cache_dir=cache, base_url=base_url, progress=None, timeout_s=1.0, **kwargs)


def cache_is_empty(cache: Path) -> bool:
    return not cache.exists() or not any(cache.iterdir())


def test_registry_pins_match_the_shared_models(models_dir: Path) -> None:
    for entry in REGISTRY.values():
        blob = (models_dir / entry.file_name).read_bytes()
        assert len(blob) == entry.size and hashlib.sha256(blob).hexdigest() == entry.sha256, entry.name
        assert entry.url.startswith("https://raw.githubusercontent.com/tensorflow/"), entry.name
        assert len(entry.url.split("/")[5]) == 40, f"{entry.name} is not pinned to a commit"


def test_micro_speech_models_are_pinned_at_the_reference_commit() -> None:
    commit = "90b983c2b3f1480642e040bbd2ddb37b998f3424"
    base = f"https://raw.githubusercontent.com/tensorflow/tflite-micro/{commit}/" \
           "tensorflow/lite/micro/examples/micro_speech/models/"
    assert REGISTRY["micro_speech_quantized"].url == base + "micro_speech_quantized.tflite"
    assert REGISTRY["audio_preprocessor_int8"].url == base + "audio_preprocessor_int8.tflite"


def test_download_verifies_caches_and_then_needs_no_network(tmp_path: Path, server, models_dir: Path) -> None:
    base_url, _, handler = server
    cache = tmp_path / "cache"
    path = store_for(cache, base_url).resolve(MODEL)
    assert path == cache / f"{MODEL}.tflite"
    assert path.read_bytes() == (models_dir / f"{MODEL}.tflite").read_bytes()
    assert sorted(p.name for p in cache.iterdir()) == [f"{MODEL}.tflite"]  # no temp files left
    assert handler.requests == [f"/{MODEL}.tflite"]
    again = store_for(cache, closed_port_url()).resolve(MODEL)  # the network is gone now
    assert again == path and handler.requests == [f"/{MODEL}.tflite"]


def test_checksum_mismatch_leaves_nothing_in_the_cache(tmp_path: Path, server) -> None:
    base_url, served, _ = server
    (served / f"{MODEL}.tflite").unlink()
    (served / f"{MODEL}.tflite").write_bytes(b"TFL3" * 100)  # a wrong file under the right name
    cache = tmp_path / "cache"
    with pytest.raises(StoreError) as error:
        store_for(cache, base_url).resolve(MODEL)
    message = str(error.value)
    assert f"checksum mismatch for model {MODEL}" in message and "the download was discarded" in message
    assert REGISTRY[MODEL].sha256 in message
    assert cache_is_empty(cache)


def test_connection_refused_says_how_to_provide_the_file(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(StoreError) as error:
        store_for(cache, closed_port_url()).resolve(MODEL)
    message = str(error.value)
    assert "Connection refused" in message and "offline" in message
    assert "EDGESIM_MODELS" in message and "--model PATH" in message and f"{MODEL}.tflite" in message
    assert cache_is_empty(cache)


def test_download_cut_short_leaves_no_half_written_file(tmp_path: Path, server) -> None:
    base_url, _, _ = server
    cache = tmp_path / "cache"
    with pytest.raises(StoreError, match=r"cut short: got 9400 of 18800 bytes; nothing was saved"):
        store_for(cache, f"{base_url}/cut").resolve(MODEL)
    assert cache_is_empty(cache)


def test_stalled_server_times_out(tmp_path: Path, server) -> None:
    base_url, _, _ = server
    cache = tmp_path / "cache"
    started = time.monotonic()
    with pytest.raises(StoreError, match="timed out"):
        store_for(cache, f"{base_url}/stall").resolve(MODEL)
    assert time.monotonic() - started < 1.9
    assert cache_is_empty(cache)


def test_http_error_is_reported(tmp_path: Path, server) -> None:
    base_url, _, _ = server
    with pytest.raises(StoreError, match="answered HTTP 404"):
        store_for(tmp_path / "cache", f"{base_url}/nothing-here").resolve(MODEL)


def test_models_folder_is_used_without_network(tmp_path: Path, models_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGESIM_MODELS", str(models_dir))
    monkeypatch.setenv("EDGESIM_MODEL_BASE_URL", closed_port_url())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    for name in REGISTRY:
        assert resolve_model(name) == models_dir / f"{name}.tflite"
    assert not (tmp_path / "xdg").exists()


def test_models_folder_missing_the_file_explains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "models"
    empty.mkdir()
    monkeypatch.setenv("EDGESIM_MODELS", str(empty))
    monkeypatch.setenv("EDGESIM_MODEL_BASE_URL", closed_port_url())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with pytest.raises(StoreError, match=f"EDGESIM_MODELS is {empty}, which has no {MODEL}.tflite"):
        resolve_model(MODEL)


def test_wrong_file_in_models_folder_is_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / f"{MODEL}.tflite").write_bytes(b"not the model")
    store = ModelStore(cache_dir=tmp_path / "cache", models_dir=folder, base_url=closed_port_url(), progress=None)
    with pytest.raises(StoreError, match="is not the pinned micro_speech_quantized"):
        store.resolve(MODEL)


def test_damaged_cache_entry_is_fetched_again(tmp_path: Path, server) -> None:
    base_url, _, handler = server
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / f"{MODEL}.tflite").write_bytes(b"half a model")
    path = store_for(cache, base_url).resolve(MODEL)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == REGISTRY[MODEL].sha256
    assert len(handler.requests) == 1


def test_explicit_paths_and_unknown_names(tmp_path: Path, models_dir: Path) -> None:
    store = store_for(tmp_path / "cache", closed_port_url())
    explicit = models_dir / "person_detect.tflite"
    assert store.resolve(str(explicit)) == explicit
    with pytest.raises(StoreError, match="model file .*nope.tflite does not exist"):
        store.resolve(str(tmp_path / "nope.tflite"))
    with pytest.raises(StoreError, match="unknown model 'nope'; known models: micro_speech_quantized"):
        store.resolve("nope")
    with pytest.raises(StoreError, match="not available locally"):
        store.resolve(MODEL, download=False)


def c_source(blob: bytes, array: str) -> str:
    rows = [", ".join(f"0x{b:02x}" for b in blob[i:i + 12]) for i in range(0, len(blob), 12)]
    return (f"#include \"model.h\"\n// Keep aligned\nalignas(16) const unsigned char {array}[] = {{\n    "
            + ",\n    ".join(rows) + "};\n\nconst int " + array + "_len = sizeof(" + array + ");\n")


def test_models_published_as_c_arrays_are_extracted_and_verified(tmp_path: Path, server,
                                                                  models_dir: Path) -> None:
    base_url, served, _ = server
    entry = REGISTRY["magic_wand"]
    assert entry.c_array == "g_magic_wand_model_data"
    (served / "magic_wand_model_data.cpp").write_text(c_source((models_dir / entry.file_name).read_bytes(),
                                                               entry.c_array))
    local = ModelEntry(entry.name, entry.size, entry.sha256, f"{base_url}/magic_wand_model_data.cpp", entry.origin,
                       c_array=entry.c_array)
    store = ModelStore(cache_dir=tmp_path / "cache", registry={entry.name: local}, progress=None)
    path = store.resolve(entry.name)
    assert path.read_bytes() == (models_dir / entry.file_name).read_bytes()
    # The offline message for such a model says where the array is.
    offline = ModelStore(cache_dir=tmp_path / "other", registry={entry.name: entry}, base_url=closed_port_url(),
                         progress=None)
    with pytest.raises(StoreError, match="extract the C array g_magic_wand_model_data from https://"):
        offline.resolve(entry.name)


def test_c_array_parser_rejects_other_content() -> None:
    assert bytes_from_c_array("x[] = {0x01, 0xff,\n 0x7};", "x") == b"\x01\xff\x07"
    with pytest.raises(StoreError, match="no array y"):
        bytes_from_c_array("x[] = {0x01};", "y")
    with pytest.raises(StoreError, match="other than byte-sized hex literals"):
        bytes_from_c_array("x[] = {0x01, 300};", "x")


def test_cli_pull_and_list(tmp_path: Path, server, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    base_url, _, _ = server
    monkeypatch.setenv("EDGESIM_MODEL_BASE_URL", base_url)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("EDGESIM_MODELS", raising=False)
    assert cli.main(["models", "pull", MODEL, "person_detect"]) == 0
    pulled = capsys.readouterr()
    assert f"downloading {MODEL} (18800 bytes)" in pulled.err  # progress goes to stderr
    assert f"{MODEL}: {tmp_path / 'xdg' / 'edgesim' / 'models' / MODEL}.tflite" in pulled.out
    assert cli.main(["models", "list", "--json"]) == 0
    rows = {row["name"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    assert set(rows) == set(REGISTRY)
    assert rows[MODEL]["status"] == rows["person_detect"]["status"] == "cached"
    assert rows["magic_wand"]["status"] == "missing" and rows["magic_wand"]["path"] is None
    assert cli.main(["models", "pull", "no_such_model"]) == 1
    assert "unknown model 'no_such_model'" in capsys.readouterr().err
    monkeypatch.setenv("EDGESIM_MODEL_BASE_URL", closed_port_url())
    assert cli.main(["models", "pull", "magic_wand"]) == 1
    assert "EDGESIM_MODELS" in capsys.readouterr().err
