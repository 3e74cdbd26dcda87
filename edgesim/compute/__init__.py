"""Python faces of the C kernels: numpy in, numpy out, kernel status -> exception.

model (inference runtime), frontend (audio micro-frontend), image (crop, resize,
quantize), imu (stroke segmentation and raster), post (recognizer, hysteresis),
jpeg (decoder).  The same C files run in the firmware.
"""
