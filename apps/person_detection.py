"""Person detection: is there a person in the camera frame? (TFLM person_detect, MobileNet v1 0.25).

Frame (any size, gray/RGB/BGR) -> centre crop, area downscale to 96x96 int8
(gray - 128) -> the classifier -> hysteresis on the person score -> a
detection when a person appears (label "person") or leaves ("notperson").
"""
from edgesim.app import App, Sensor, Stage
from edgesim.constants import IMAGE_SIDE

APP = App(
    name="person_detection",
    description="Person detection on 96x96 grayscale camera frames.",
    sensor=Sensor(kind="camera", rate_hz=5, shape=(IMAGE_SIDE, IMAGE_SIDE), format="gray8"),
    preprocess=Stage("image", {"resize": "area"}),
    model="person_detect",
    labels=("notperson", "person"),
    postprocess=Stage("hysteresis", {
        "label": "person",   # the score the hysteresis watches
        "on_threshold": 160,  # of 255: appear at >= 0.625
        "off_threshold": 96,  # leave below 0.375
        "on_count": 1,        # consecutive frames to switch
        "off_count": 2,
    }),
    default_source="camera",
    examples=("edgesim run person_detection", "edgesim run person_detection --source photos/ --json"),
)
