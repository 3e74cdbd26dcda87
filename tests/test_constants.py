"""edgesim.constants (config.h read as text) equals what the C compiler made of config.h."""
from __future__ import annotations

import pytest

from edgesim import constants

# constants attribute -> (extension module, its attribute); the modules export config.h values.
EXPORTED = {
    "AUDIO_SAMPLE_RATE_HZ": ("_audio", "SAMPLE_RATE_HZ"),
    "AUDIO_WINDOW_SAMPLES": ("_audio", "WINDOW_SAMPLES"),
    "AUDIO_HOP_SAMPLES": ("_audio", "HOP_SAMPLES"),
    "AUDIO_FEATURE_CHANNELS": ("_audio", "FEATURE_CHANNELS"),
    "AUDIO_FEATURE_FRAMES": ("_audio", "FEATURE_FRAMES"),
    "IMAGE_SIDE": ("_image", "SIDE"),
    "IMAGE_MAX_DIM": ("_image", "MAX_DIM"),
    "IMU_SAMPLE_RATE_HZ": ("_imu", "SAMPLE_RATE_HZ"),
    "STROKE_MAX_POINTS": ("_imu", "STROKE_MAX_POINTS"),
    "RASTER_SIDE": ("_imu", "RASTER_SIDE"),
    "RASTER_CHANNELS": ("_imu", "RASTER_CHANNELS"),
    "RASTER_RANGE_Q12": ("_imu", "RASTER_RANGE_Q12"),
    "RASTER_MAX_POINTS": ("_imu", "RASTER_MAX_POINTS"),
}


@pytest.mark.parametrize("name", sorted(EXPORTED))
def test_parsed_value_equals_the_compiled_extension_export(name: str) -> None:
    module_name, attribute = EXPORTED[name]
    module = pytest.importorskip(f"edgesim.{module_name}", reason="C extension not built (make build)")
    assert getattr(constants, name) == getattr(module, attribute)


def test_expressions_and_float_literals_are_evaluated() -> None:
    imu = pytest.importorskip("edgesim._imu", reason="C extension not built (make build)")
    assert constants.config_value("ES_STROKE_MAX_SAMPLES") == imu.STROKE_MAX_SAMPLES  # (A * B) in config.h
    assert constants.config_value("ES_AUDIO_PCAN_STRENGTH") == pytest.approx(0.95)


def test_unknown_name_says_where_it_looked() -> None:
    with pytest.raises(KeyError, match="ES_NO_SUCH_THING is not a numeric #define in .*config.h"):
        constants.config_value("ES_NO_SUCH_THING")
