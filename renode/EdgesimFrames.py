"""Robot Framework keywords for the edgesim frame protocol on Renode's uart0 socket.

Used by renode/<app>.robot (``Library  ${CURDIR}/EdgesimFrames.py``): the
firmware talks binary frames, not text lines, so Renode's terminal tester
cannot match them; these keywords decode them with edgesim's own codec
(edgesim.protocol), from the installed package or the checkout this file lives in.

    Connect Frames        3456
    Wait For Hello        wake_word    timeout=60
    Wait For Detection    wake_word    yes    timeout=300
"""
from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a checkout: edgesim/ and apps/ beside renode/

from edgesim.protocol import APP_IDS, Detection, FrameDecoder, Hello, decode_message  # noqa: E402

try:
    from edgesim.apps import load_app  # an installed edgesim (wheel: edgesim/_data/renode/ holds this file)
except ImportError:  # a checkout that Robot's Python has not installed: apps/ is a top-level folder there
    from apps import load_app  # noqa: E402


class EdgesimFrames:
    """One socket to the UART's server socket terminal and a frame decoder."""

    ROBOT_LIBRARY_SCOPE = "TEST"

    def __init__(self) -> None:
        self.sock: socket.socket | None = None
        self.decoder = FrameDecoder()

    def connect_frames(self, port: str, timeout: str = "30") -> None:
        deadline = time.monotonic() + float(timeout)
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", int(port)), timeout=1.0)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"no UART socket on port {port} after {timeout} s") from None
                time.sleep(0.2)

    def _messages(self, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.sock is not None, "call Connect Frames first"
            self.sock.settimeout(max(0.01, min(1.0, deadline - time.monotonic())))
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            if not data:
                raise AssertionError("the UART socket closed (emulation stopped)")
            for frame in self.decoder.feed(data):
                yield decode_message(frame)
        raise AssertionError(f"nothing matching within {timeout} s")

    def wait_for_hello(self, app: str, timeout: str = "60") -> None:
        for message in self._messages(float(timeout)):
            if isinstance(message, Hello):
                if message.app != APP_IDS[app]:
                    raise AssertionError(f"firmware says app id {message.app}, expected {app}")
                return

    def wait_for_detection(self, app: str, label: str = "", timeout: str = "300") -> None:
        """A DETECTION frame with this label (any label when label is empty)."""
        labels = load_app(app).labels
        if label and label not in labels:
            raise AssertionError(f"{app} has no label {label!r} (labels: {', '.join(labels)})")
        for message in self._messages(float(timeout)):
            if isinstance(message, Detection) and (not label or labels[message.label] == label):
                return
