"""Gesture: digits drawn in the air with the board (TFLM magic wand, 2022 digit model).

IMU (accelerometer + gyroscope, ~119 Hz) -> orientation, motion-based stroke
segmentation -> 32x32x3 int8 raster of the stroke -> the classifier -> a
detection with the digit and its confidence when a stroke completes.
Mouse-drawn strokes and stroke CSV files skip segmentation.
"""
from edgesim.app import App, Sensor, Stage
from edgesim.constants import IMU_SAMPLE_RATE_HZ

APP = App(
    name="gesture",
    description="Magic wand: recognizes digits 0-9 drawn with the IMU (or the mouse).",
    sensor=Sensor(kind="imu", rate_hz=IMU_SAMPLE_RATE_HZ, shape=(6,), format="float32", accepts=("stroke",)),
    preprocess=Stage("imu_stroke", {}),
    model="magic_wand",
    labels=("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
    postprocess=Stage("classify", {"min_score": 0}),  # of 255: report every stroke
    default_source="mouse",
    examples=("edgesim run gesture", "edgesim run gesture --source stroke_digit7.csv --json"),
)
