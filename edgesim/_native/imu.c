/* edgesim._imu: magic wand stroke segmentation and rasterization.
 *
 * A thin binding over edgesim/kernels/dsp/imu (see edgesim/imu.h).  Constants
 * from config.h are module attributes (SAMPLE_RATE_HZ, STROKE_MAX_POINTS,
 * RASTER_SIDE, RASTER_CHANNELS, RASTER_RANGE_Q12, ...); edgesim/compute/imu.py is the
 * numpy face:
 *
 *   >>> from edgesim import _imu
 *   >>> seg = _imu.Segmenter(119.0)
 *   >>> seg.push(bytes(24 * 10))      # 10 samples of 6 float32, native order
 *   []
 *   >>> len(_imu.rasterize(bytes([0, 0, 10, 10]), 2457, 2457))
 *   3072
 */
#include "common.h"

#include <string.h>

#include "edgesim/imu.h"

typedef struct {
  PyObject_HEAD
  es_stroke_segmenter segmenter;
} SegmenterObject;

static int segmenter_init(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"sample_rate_hz", NULL};
  float rate = (float)ES_IMU_SAMPLE_RATE_HZ;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|f", keywords, &rate)) return -1;
  const es_stroke_segmenter_params params = {rate};
  es_status status = es_stroke_segmenter_init(&params, &((SegmenterObject *)self)->segmenter);
  if (status != ES_OK) {
    es_py_raise("KernelError", status, "StrokeSegmenter", "sample_rate_hz must be between 1 and 100000");
    return -1;
  }
  return 0;
}

/* push(samples) -> [bytes, ...]: samples are n * 6 native float32
 * (ax, ay, az in g, gx, gy, gz in dps); each finished stroke is returned as
 * 2 * count int8 bytes.  All samples are checked before any is used. */
static PyObject *segmenter_push(PyObject *self, PyObject *args) {
  Py_buffer data;
  if (!PyArg_ParseTuple(args, "y*", &data)) return NULL;
  const size_t sample_bytes = 6 * sizeof(float);
  if (data.len == 0 || (size_t)data.len % sample_bytes != 0) {
    PyBuffer_Release(&data);
    return es_py_raise("KernelError", ES_ERR_INPUT_DATA, "StrokeSegmenter.push",
                       data.len == 0 ? "no samples" : "buffer is not a whole number of 6-float samples");
  }
  const size_t n = (size_t)data.len / sample_bytes;
  const uint8_t *bytes = (const uint8_t *)data.buf;
  for (size_t i = 0; i < n; ++i) {
    float sample[6];
    memcpy(sample, bytes + i * sample_bytes, sample_bytes); /* buffer may be unaligned */
    if (es_imu_check_sample(sample) != ES_OK) {
      PyBuffer_Release(&data);
      return es_py_raise_format("KernelError",
                                "StrokeSegmenter.push: %s: sample %zu has a NaN, infinite or |value| > 1e6 "
                                "(expected g and degrees per second)", es_status_str(ES_ERR_INPUT_DATA), i);
    }
  }
  PyObject *strokes = PyList_New(0);
  es_stroke_segmenter *segmenter = &((SegmenterObject *)self)->segmenter;
  for (size_t i = 0; i < n && strokes != NULL; ++i) {
    float sample[6];
    memcpy(sample, bytes + i * sample_bytes, sample_bytes);
    es_stroke stroke;
    int32_t ready = 0;
    es_status status = es_stroke_segmenter_push(segmenter, sample, &stroke, &ready);
    if (status != ES_OK) {
      Py_CLEAR(strokes);
      es_py_raise("KernelError", status, "StrokeSegmenter.push", "");
      break;
    }
    if (ready) {
      PyObject *points = PyBytes_FromStringAndSize((const char *)stroke.points, 2 * (Py_ssize_t)stroke.count);
      if (points == NULL || PyList_Append(strokes, points) != 0) Py_CLEAR(strokes);
      Py_XDECREF(points);
    }
  }
  PyBuffer_Release(&data);
  return strokes;
}

static PyObject *segmenter_reset(PyObject *self, PyObject *unused) {
  (void)unused;
  es_stroke_segmenter_reset(&((SegmenterObject *)self)->segmenter);
  Py_RETURN_NONE;
}

static PyObject *segmenter_get_state(PyObject *self, void *closure) {
  (void)closure;
  return PyLong_FromLong(((SegmenterObject *)self)->segmenter.state);
}

static PyMethodDef segmenter_methods[] = {
    {"push", segmenter_push, METH_VARARGS, "push(samples: bytes of n*6 float32) -> list of stroke bytes"},
    {"reset", segmenter_reset, METH_NOARGS, "Forget all history and any stroke in progress."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef segmenter_getset[] = {
    {"state", segmenter_get_state, NULL, "STATE_WAITING, STATE_DRAWING or STATE_DONE", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject SegmenterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "edgesim._imu.Segmenter",
    .tp_basicsize = sizeof(SegmenterObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Segmenter(sample_rate_hz=SAMPLE_RATE_HZ): streaming magic wand stroke segmenter.",
    .tp_new = PyType_GenericNew,
    .tp_init = segmenter_init,
    .tp_methods = segmenter_methods,
    .tp_getset = segmenter_getset,
};

/* rasterize(points, x_range_q12, y_range_q12, side=RASTER_SIDE) -> bytes (side^2 * 3) */
static PyObject *py_rasterize(PyObject *self, PyObject *args) {
  (void)self;
  Py_buffer points;
  int x_range = ES_RASTER_RANGE_Q12, y_range = ES_RASTER_RANGE_Q12, side = ES_RASTER_SIDE;
  if (!PyArg_ParseTuple(args, "y*|iii", &points, &x_range, &y_range, &side)) return NULL;
  const char *problem = NULL;
  if (points.len == 0) problem = "no points";
  else if (points.len % 2 != 0) problem = "points must be x, y pairs";
  else if (points.len / 2 > ES_RASTER_MAX_POINTS) problem = "more than RASTER_MAX_POINTS (4096) points";
  if (problem != NULL) {
    PyBuffer_Release(&points);
    return es_py_raise("KernelError", ES_ERR_INPUT_DATA, "rasterize", problem);
  }
  const es_raster_params params = {x_range, y_range, side};
  int8_t out[ES_RASTER_BYTES];
  es_status status = es_stroke_rasterize(&params, (const int8_t *)points.buf, (int32_t)(points.len / 2), out);
  PyBuffer_Release(&points);
  if (status != ES_OK)
    return es_py_raise("KernelError", status, "rasterize",
                       "ranges must be between RASTER_MIN_RANGE_Q12 (1025) and RASTER_MAX_RANGE_Q12, "
                       "side between 1 and RASTER_SIDE (32)");
  return PyBytes_FromStringAndSize((const char *)out, (Py_ssize_t)side * side * ES_RASTER_CHANNELS);
}

static PyMethodDef methods[] = {
    {"rasterize", py_rasterize, METH_VARARGS,
     "rasterize(points, x_range_q12=RASTER_RANGE_Q12, y_range_q12=RASTER_RANGE_Q12, side=RASTER_SIDE) -> bytes"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "edgesim._imu",
                                    "Magic wand IMU kernels (edgesim/imu.h).", -1, methods,
                                    NULL, NULL, NULL, NULL};

static const es_py_int_constant constants[] = {
    {"SAMPLE_RATE_HZ", ES_IMU_SAMPLE_RATE_HZ},
    {"STROKE_MAX_POINTS", ES_STROKE_MAX_POINTS},
    {"STROKE_MAX_SAMPLES", ES_STROKE_MAX_SAMPLES},
    {"HISTORY_SAMPLES", ES_IMU_HISTORY_SAMPLES},
    {"RASTER_SIDE", ES_RASTER_SIDE},
    {"RASTER_CHANNELS", ES_RASTER_CHANNELS},
    {"RASTER_RANGE_Q12", ES_RASTER_RANGE_Q12},
    {"RASTER_MIN_RANGE_Q12", ES_RASTER_MIN_RANGE_Q12},
    {"RASTER_MAX_RANGE_Q12", ES_RASTER_MAX_RANGE_Q12},
    {"RASTER_MAX_POINTS", ES_RASTER_MAX_POINTS},
    {"STATE_WAITING", ES_STROKE_WAITING},
    {"STATE_DRAWING", ES_STROKE_DRAWING},
    {"STATE_DONE", ES_STROKE_DONE},
};

PyMODINIT_FUNC PyInit__imu(void) {
  PyObject *m = PyModule_Create(&module);
  if (m == NULL) return NULL;
  if (es_py_add_type(m, "Segmenter", &SegmenterType) != 0 ||
      es_py_add_int_constants(m, constants, ES_PY_COUNT(constants)) != 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
