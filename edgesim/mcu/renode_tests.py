"""Running renode/<app>.robot with renode-test (what `edgesim test --target renode` does).

    from edgesim.mcu.renode_tests import prepare_inputs, run_robot_tests
    inputs = prepare_inputs("wake_word", Path("build/renode"))   # the file the robot test feeds
    results = run_robot_tests(["wake_word"])                     # needs Renode; TargetError otherwise

Inputs come from resources.testdata_dir() ($EDGESIM_TESTDATA, or ../shared/testdata
beside a checkout) and are converted to what Renode's models
take: raw s16le for the PDM microphone, a camera-sized baseline JPEG for the
ArduCAM, and a script of FeedAccelerationSample/FeedAngularRateSample lines
for the LSM9DS1.
"""
from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgesim import constants, resources
from edgesim.errors import TargetError
from edgesim.mcu.renode import APP_INPUT, CONSOLE, RenodeScript, find_renode_test, write_audio_raw

BUILD = resources.build_dir() / "renode"
CAMERA_SIZE = (160, 120)  # the ArduCAM resolution the person detection sketch uses
IMU_RATE_HZ: int = constants.IMU_SAMPLE_RATE_HZ


@dataclass
class RobotResult:
    app: str
    passed: bool
    log: Path
    wall_s: float = 0.0
    plots: list[Path] = field(default_factory=list)


def _testdata(*parts: str) -> Path:
    path = resources.testdata_dir().joinpath(*parts)
    if not path.exists():
        raise TargetError(f"test input {path} not found: set EDGESIM_TESTDATA (or --testdata) to a folder "
                          f"laid out like the project's shared/testdata")
    return path


def camera_jpeg(image_path: Path, out: Path, size: tuple[int, int] = CAMERA_SIZE) -> Path:
    """Any image as the baseline 4:2:0 JPEG an OV2640 would deliver at `size`."""
    import cv2

    image = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
    if image is None:
        raise TargetError(f"cannot read image {image_path}")
    ok, data = cv2.imencode(".jpg", cv2.resize(image, size, interpolation=cv2.INTER_AREA),
                            [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise TargetError(f"cannot encode {image_path} as JPEG")
    out.write_bytes(data.tobytes())
    return out


def circle_gesture(seconds: float = 2.0, rate_hz: int = IMU_RATE_HZ) -> np.ndarray:
    """(n, 6) IMU samples of the wand drawing a circle: still, one turn, still (synthetic)."""
    n = int(seconds * rate_hz)
    t = np.arange(n) / rate_hz
    samples = np.zeros((n, 6), np.float32)
    samples[:, 2] = 1.0  # gravity on z
    moving = (t > 0.5) & (t < 1.5)
    phase = 2 * np.pi * (t[moving] - 0.5)
    samples[moving, 4] = 200.0 * np.cos(phase)   # gyro y [deg/s]
    samples[moving, 5] = 200.0 * np.sin(phase)   # gyro z
    return samples


def prepare_inputs(app: str, folder: Path = BUILD) -> Path:
    """Write the robot test's INPUT file for `app` into folder; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    kind = APP_INPUT[app]
    if kind == "audio":
        from edgesim.sources.wav import read_wav

        audio = read_wav(_testdata("micro_speech", "yes_1000ms.wav")).samples
        silence = np.zeros(8000, np.int16)
        return write_audio_raw(np.concatenate([silence, audio, silence, silence]), folder / f"{app}.s16le")
    if kind == "camera":
        return camera_jpeg(_testdata("person_detection", "person.jpg"), folder / f"{app}.jpg")
    script = RenodeScript(app=app, elf=Path("unused"), imu=circle_gesture())
    path = folder / f"{app}.resc"
    path.write_text("\n".join(line for line in script.input_commands() if "MaxFifoDepth" not in line) + "\n")
    return path


def run_robot_tests(apps: list[str] | None = None, plots: Path | None = None,
                    timeout_s: float = 1800.0) -> list[RobotResult]:
    """Build, prepare and run each app's robot file; TargetError when Renode is missing.

    With plots, Renode's profiler records each detection test (PROFILE) and
    its metrics are plotted into plots/<app>/; without, nothing is profiled.
    """
    renode_test = find_renode_test()
    from edgesim.mcu.firmware_builder import build_app
    from edgesim.mcu.renode_metrics import plot_metrics, read_metrics

    results = []
    for app in apps or list(APP_INPUT):
        if app not in APP_INPUT:
            raise TargetError(f"no robot test for app {app!r}; choose from {', '.join(APP_INPUT)}")
        image = build_app(app, board="nano33ble", sensors=True, console=CONSOLE)  # frames on uart0
        inputs = prepare_inputs(app)
        log = BUILD / f"{app}-robot"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(resources.PACKAGE_DIR.parent),
                                                                          os.environ.get("PYTHONPATH")]))}
        # The robot file's own ELF/INPUT defaults point into a checkout; builds live in resources.build_dir().
        command = [str(renode_test), str(resources.renode_dir() / f"{app}.robot"), "--results-dir", str(log),
                   "--variable", f"ELF:{image.elf}", "--variable", f"INPUT:{inputs}"]
        dump = BUILD / f"{app}.dump"
        if plots is not None:
            dump.unlink(missing_ok=True)
            command += ["--variable", f"PROFILE:{dump}"]
        start = time.monotonic()
        result = subprocess.run(command, env=env, timeout=timeout_s)
        outcome = RobotResult(app, result.returncode == 0, log, wall_s=time.monotonic() - start)
        if plots is not None:
            if not dump.exists():
                raise TargetError(f"the {app} robot run wrote no profiler dump {dump}; see {log}")
            outcome.plots = plot_metrics(read_metrics(dump), plots / app)
        results.append(outcome)
    return results
