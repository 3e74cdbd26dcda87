"""Model store: the upstream models, each pinned by URL and sha256, cached locally.

Where a model name is looked up, in order:
  1. an explicit path (``--model PATH``, or any name containing a path separator
     or ending in .tflite) is used as is;
  2. ``$EDGESIM_MODELS/<name>.tflite`` when EDGESIM_MODELS names a folder
     (offline machines: copy the files there);
  3. the cache, ``$XDG_CACHE_HOME/edgesim/models`` (default ``~/.cache/edgesim/models``);
  4. a download from the pinned upstream URL into the cache.
Files from 2-4 must match the pinned sha256.  Downloads are atomic: the bytes
go to a temporary file in the cache folder, are verified, then renamed; a
failed or cut-short download leaves nothing behind.

``EDGESIM_MODEL_BASE_URL`` replaces upstream with a mirror that serves every
model as ``<base>/<name>.tflite`` (used by the tests; also for an in-house mirror).

Usage:

    from edgesim.store import resolve_model
    path = resolve_model("micro_speech_quantized")     # Path to a verified .tflite
    path = resolve_model("./my_model.tflite")          # explicit paths always work
"""
from __future__ import annotations

import hashlib
import http.client
import os
import re
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from edgesim.resources import cache_dir
from edgesim.errors import StoreError

TFLM = "https://raw.githubusercontent.com/tensorflow/tflite-micro"
TFLM_COMMIT = "90b983c2b3f1480642e040bbd2ddb37b998f3424"
ARDUINO = "https://raw.githubusercontent.com/tensorflow/tflite-micro-arduino-examples"
ARDUINO_COMMIT = "7948b85e020470a30a83bf00e10fc43b486bfcba"
MICRO_SPEECH_MODELS = f"{TFLM}/{TFLM_COMMIT}/tensorflow/lite/micro/examples/micro_speech/models"

DOWNLOAD_TIMEOUT_S = 30.0
READ_BLOCK = 64 * 1024
ENV_MODELS_DIR = "EDGESIM_MODELS"
ENV_BASE_URL = "EDGESIM_MODEL_BASE_URL"


@dataclass(frozen=True)
class ModelEntry:
    """One pinned upstream model.

    url is a file at a fixed commit.  When ``c_array`` is set, upstream has no
    .tflite file for this model, only a C source with the bytes as an array of
    that name; the bytes are taken from the array's hex literals and checked
    against sha256 like any download.
    """

    name: str
    size: int
    sha256: str
    url: str
    origin: str
    c_array: str | None = None

    @property
    def file_name(self) -> str:
        return f"{self.name}.tflite"


REGISTRY: dict[str, ModelEntry] = {entry.name: entry for entry in (
    ModelEntry("micro_speech_quantized", 18800,
               "09e5e2a9dfb2d8ed78802bf18ce297bff54281a66ca18e0c23d69ca14f822a83",
               f"{MICRO_SPEECH_MODELS}/micro_speech_quantized.tflite",
               "wake word classifier ('yes'/'no'), tensorflow/tflite-micro"),
    ModelEntry("audio_preprocessor_int8", 8772,
               "278949d197166fb8b580c0bdc94e902fb709fec0569dcf5766816b28285440e5",
               f"{MICRO_SPEECH_MODELS}/audio_preprocessor_int8.tflite",
               "micro_speech audio front end (int8 features), tensorflow/tflite-micro"),
    ModelEntry("audio_preprocessor_float", 7760,
               "684c7e4727409e26759cbb13e587fe25345a2cca163616e22a83d9265ea11644",
               f"{MICRO_SPEECH_MODELS}/audio_preprocessor_float.tflite",
               "micro_speech audio front end (float features), tensorflow/tflite-micro"),
    ModelEntry("micro_speech_arduino", 18712,
               "3cacd1c032aea537a2fe6259a963d1145de5f544e867bffdcc54470fcbb7c571",
               f"{TFLM}/67681479209b36fc87417e2805ea56613de893e0/tensorflow/lite/micro/examples/micro_speech/"
               "micro_speech.tflite",
               "the Arduino sketch's wake word model (its g_model array); byte-identical to this older "
               "tensorflow/tflite-micro file"),
    ModelEntry("person_detect", 300568,
               "808cfdfc0cf3a6fa6f6fa26bfa379ea97c16d5db7334637766e39c3408502e9d",
               f"{TFLM}/{TFLM_COMMIT}/tensorflow/lite/micro/models/person_detect.tflite",
               "person detection, MobileNet v1 0.25 96x96 gray; byte-identical to the Arduino sketch's "
               "g_person_detect_model_data array"),
    ModelEntry("magic_wand", 30880,
               "c123604fa66d3c04dd56fb9fd35ad614e2ecd8d5b606127c626ffd96627cdd42",
               f"{ARDUINO}/{ARDUINO_COMMIT}/examples/magic_wand/magic_wand_model_data.cpp",
               "magic wand digits 0-9 (32x32x3 stroke raster); upstream publishes no .tflite file, only the "
               "C array g_magic_wand_model_data in tensorflow/tflite-micro-arduino-examples",
               c_array="g_magic_wand_model_data"),
    ModelEntry("magic_wand_legacy_accel", 19616,
               "b85416603fd118a9448a92ce3d02d3cdcf5154c7564fe0e70ea3c468198465a3",
               f"{TFLM}/1b68490dcfd087c308a1f8d14012ab1cb39c9ac0/tensorflow/lite/micro/examples/magic_wand/"
               "magic_wand.tflite",
               "legacy accelerometer magic wand (wing/ring/slope), the last tensorflow/tflite-micro version"),
)}


def default_cache_dir() -> Path:
    """<edgesim cache>/models: ~/.cache/edgesim/models unless EDGESIM_CACHE or
    XDG_CACHE_HOME say otherwise (edgesim.resources.cache_dir)."""
    return cache_dir() / "models"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(READ_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def bytes_from_c_array(text: str, array: str) -> bytes:
    """The bytes of ``array`` in C source text written as hex literals: ``x[] = {0x20, 0x00, ...};``."""
    match = re.search(rf"\b{re.escape(array)}\s*\[\s*\w*\s*\]\s*=\s*\{{([^}}]*)\}}", text)
    if match is None:
        raise StoreError(f"C source has no array {array}[] = {{...}}")
    literals = re.findall(r"[^,\s]+", match.group(1))
    if not all(re.fullmatch(r"0[xX][0-9a-fA-F]{1,2}", literal) for literal in literals):
        raise StoreError(f"array {array} holds something other than byte-sized hex literals")
    return bytes(int(literal, 16) for literal in literals)


def is_path_like(name: str) -> bool:
    """True when a model argument is a file path rather than a registry name."""
    return os.sep in name or "/" in name or name.endswith(".tflite")


def _stderr_progress(name: str) -> Callable[[int, int | None], None]:
    """Progress printer for stderr: a rewriting line on a terminal, start/end lines otherwise."""
    interactive = sys.stderr.isatty()
    state = {"last": -1}

    def report(received: int, total: int | None) -> None:
        percent = int(received * 100 / total) if total else None
        if interactive:
            shown = f"{percent:3d}%" if percent is not None else f"{received // 1024} KiB"
            print(f"\rdownloading {name}: {shown}", end="", file=sys.stderr, flush=True)
            if total is not None and received >= total:
                print(file=sys.stderr)
        elif state["last"] < 0:
            print(f"downloading {name} ({total or '?'} bytes)...", file=sys.stderr, flush=True)
        state["last"] = received

    return report


class ModelStore:
    """Finds, verifies and downloads the registry's models.

    Every location is a constructor argument (the module functions build one
    from the environment), so tests and tools can point it anywhere.
    """

    def __init__(self, cache_dir: Path | None = None, models_dir: Path | None = None, base_url: str | None = None,
                 registry: dict[str, ModelEntry] | None = None, timeout_s: float = DOWNLOAD_TIMEOUT_S,
                 progress: Callable[[str], Callable[[int, int | None], None]] | None = _stderr_progress) -> None:
        self.cache_dir = cache_dir or default_cache_dir()
        self.models_dir = models_dir
        self.base_url = base_url.rstrip("/") if base_url else None
        self.registry = REGISTRY if registry is None else registry
        self.timeout_s = timeout_s
        self.progress = progress

    @classmethod
    def from_environment(cls) -> "ModelStore":
        models = os.environ.get(ENV_MODELS_DIR)
        return cls(models_dir=Path(models).expanduser() if models else None,
                   base_url=os.environ.get(ENV_BASE_URL) or None)

    def entry(self, name: str) -> ModelEntry:
        try:
            return self.registry[name]
        except KeyError:
            raise StoreError(f"unknown model {name!r}; known models: {', '.join(self.registry)} "
                             f"(or pass a .tflite path with --model PATH)") from None

    def url_of(self, entry: ModelEntry) -> str:
        return f"{self.base_url}/{entry.file_name}" if self.base_url else entry.url

    def cached_path(self, entry: ModelEntry) -> Path:
        return self.cache_dir / entry.file_name

    def local_path(self, entry: ModelEntry) -> Path | None:
        """The verified file from EDGESIM_MODELS or the cache, without any network access."""
        if self.models_dir is not None:
            candidate = self.models_dir / entry.file_name
            if candidate.is_file():
                self._verify_file(entry, candidate, f"the {ENV_MODELS_DIR} folder {self.models_dir}")
                return candidate
        cached = self.cached_path(entry)
        if cached.is_file():
            if sha256_of(cached) == entry.sha256:
                return cached
            cached.unlink()  # damaged cache entry (disk error, manual edit): fetch it again
        return None

    def resolve(self, name: str, download: bool = True) -> Path:
        """Path to a model by registry name or explicit path (see the module docstring)."""
        if is_path_like(name) or (name not in self.registry and Path(name).is_file()):
            path = Path(name).expanduser()
            if not path.is_file():
                raise StoreError(f"model file {path} does not exist")
            return path
        entry = self.entry(name)
        found = self.local_path(entry)
        if found is not None:
            return found
        if not download:
            raise StoreError(f"model {name} is not available locally. {self.how_to_provide(entry)}")
        return self.download(entry)

    def how_to_provide(self, entry: ModelEntry) -> str:
        """The sentence telling a user how to give edgesim this model without network."""
        source = (f"extract the C array {entry.c_array} from {entry.url} into a binary file"
                  if entry.c_array else f"download {entry.url}")
        where = (f"{ENV_MODELS_DIR} is {self.models_dir}, which has no {entry.file_name}; " if self.models_dir
                 else "")
        return (f"{where}To provide the file: {source} (or run 'edgesim models pull {entry.name}' on a machine "
                f"with network and copy {self.cached_path(entry)}), put it in a folder as {entry.file_name} and "
                f"set {ENV_MODELS_DIR}=that folder, or pass --model PATH. Expected sha256 {entry.sha256}.")

    def _verify_file(self, entry: ModelEntry, path: Path, where: str) -> None:
        actual = sha256_of(path)
        if actual != entry.sha256:
            raise StoreError(f"{path} in {where} is not the pinned {entry.name} (sha256 {actual}, expected "
                             f"{entry.sha256}); replace it, or use a different model with --model PATH")

    def download(self, entry: ModelEntry) -> Path:
        """Fetch, verify and atomically store one model in the cache; returns its cache path."""
        url = self.url_of(entry)
        payload = self._fetch(entry, url)
        if entry.c_array and not self.base_url:
            try:
                payload = bytes_from_c_array(payload.decode("utf-8", errors="replace"), entry.c_array)
            except StoreError as error:
                raise StoreError(f"cannot read model {entry.name} from {url}: {error}") from None
        actual = hashlib.sha256(payload).hexdigest()
        if actual != entry.sha256:
            raise StoreError(f"checksum mismatch for model {entry.name} from {url}: got sha256 {actual}, "
                             f"expected {entry.sha256}; the download was discarded. {self.how_to_provide(entry)}")
        return self._store_atomically(entry, payload)

    def _fetch(self, entry: ModelEntry, url: str) -> bytes:
        report = self.progress(entry.name) if self.progress else None
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as response:
                length_header = response.headers.get("Content-Length")
                expected = int(length_header) if length_header and length_header.isdigit() else None
                blocks: list[bytes] = []
                received = 0
                while True:
                    block = response.read(READ_BLOCK)
                    if not block:
                        break
                    blocks.append(block)
                    received += len(block)
                    if report:
                        report(received, expected)
        except urllib.error.HTTPError as error:
            raise StoreError(f"cannot download model {entry.name}: {url} answered HTTP {error.code} "
                             f"{error.reason}. {self.how_to_provide(entry)}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise StoreError(f"cannot download model {entry.name} from {url} ({reason}): offline or the server "
                             f"is unreachable. {self.how_to_provide(entry)}") from None
        except http.client.HTTPException as error:  # IncompleteRead, bad status line, ...
            raise StoreError(f"download of model {entry.name} from {url} failed ({type(error).__name__}: "
                             f"{error}); nothing was saved, try again") from None
        if report and expected is None:
            report(received, received)  # length unknown until the end: report completion
        if expected is not None and received != expected:
            raise StoreError(f"download of model {entry.name} from {url} was cut short: got {received} of "
                             f"{expected} bytes; nothing was saved, try again")
        return b"".join(blocks)

    def _store_atomically(self, entry: ModelEntry, payload: bytes) -> Path:
        """Write to a temporary file beside the target, flush to disk, then rename over it."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        target = self.cached_path(entry)
        handle, temp_name = tempfile.mkstemp(dir=self.cache_dir, prefix=f".{entry.file_name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as temp:
                temp.write(payload)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, target)
        finally:
            if os.path.exists(temp_name):
                os.unlink(temp_name)
        return target

    def status(self, entry: ModelEntry) -> str:
        """Where a model is available: "EDGESIM_MODELS", "cached" or "missing" (no network access)."""
        if self.models_dir is not None and (self.models_dir / entry.file_name).is_file():
            return ENV_MODELS_DIR
        return "cached" if self.cached_path(entry).is_file() else "missing"


def resolve_model(name: str, download: bool = True) -> Path:
    """A model by registry name or path, using EDGESIM_MODELS, the cache, then the network."""
    return ModelStore.from_environment().resolve(name, download=download)
