/* edgesim._audio: the wake word audio front end (edgesim/audio_frontend.h).
 *
 * Frontend() holds one streaming front end (state + scratch); process()
 * takes a buffer of native int16 samples and returns the int8 features of
 * every completed frame as a bytearray (FEATURE_CHANNELS per frame);
 * features(samples) takes a 1-D int16 numpy array and returns a fresh
 * (frames, FEATURE_CHANNELS) int8 numpy array - edgesim/compute/frontend.py's
 * AudioFrontend.process, done in one call because a live app pays it every
 * 20 ms hop.  The ES_AUDIO_* constants of config.h are module attributes
 * without the prefix.  edgesim/compute/frontend.py is the numpy face:
 *
 *   >>> import array, numpy as np; from edgesim import _audio
 *   >>> fe = _audio.Frontend()
 *   >>> len(fe.process(array.array("h", [0] * 800)))   # 800 samples -> 2 frames
 *   80
 *   >>> fe.frames_for(320), fe.features(np.zeros(320, np.int16)).shape   # 160 buffered + 320
 *   (1, (1, 40))
 */
#define ES_DEFAULT_MODULE _audio
#include "common.h"

#include <string.h>

#include "edgesim/audio_frontend.h"

typedef struct {
  PyObject_HEAD
  es_audio_frontend fe;
  es_audio_scratch scratch;
} FrontendObject;

static int frontend_init(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *kwlist[] = {NULL};
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, ":Frontend", kwlist)) return -1;
  es_audio_frontend_init(&((FrontendObject *)self)->fe);
  return 0;
}

/* Accept only a 1-D, C-contiguous buffer of native int16. */
static int get_samples(PyObject *obj, Py_buffer *view) {
  if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
    PyErr_Clear();
    es_py_raise("KernelError", ES_ERR_ARGUMENT, "audio frontend",
                "samples must be a C-contiguous int16 buffer (np.ascontiguousarray(x, np.int16))");
    return -1;
  }
  const char *fmt = view->format ? view->format : "B";
  if (fmt[0] == '@' || fmt[0] == '=' || fmt[0] == '<') ++fmt;
  if (view->itemsize != 2 || strcmp(fmt, "h") != 0 || view->ndim > 1) {
    PyBuffer_Release(view);
    es_py_raise("KernelError", ES_ERR_ARGUMENT, "audio frontend",
                "samples must be a 1-D buffer of int16 (format 'h')");
    return -1;
  }
  return 0;
}

/* Frames `count` more samples complete, or -1 with KernelError set. */
static Py_ssize_t frames_for(FrontendObject *o, size_t count) {
  size_t frames = 0;
  es_status status = count == 0 ? ES_ERR_ARGUMENT : es_audio_frontend_frames_for(&o->fe, count, &frames);
  if (status != ES_OK) {
    es_py_raise("KernelError", status, "audio frontend",
                count == 0 ? "no samples given" : "too many samples in one call (max 2^30)");
    return -1;
  }
  return (Py_ssize_t)frames;
}

/* Pushes the samples of `view`, writing `frames` rows to dst. */
static int push(FrontendObject *o, const Py_buffer *view, int8_t *dst, size_t frames) {
  size_t produced = 0;
  /* Room for one row even when no frame completes: the kernel wants a buffer. */
  int8_t spare[ES_AUDIO_FEATURE_CHANNELS];
  es_status status = es_audio_frontend_push(&o->fe, &o->scratch, (const int16_t *)view->buf,
                                            (size_t)view->len / 2, frames ? dst : spare, frames, &produced);
  if (status != ES_OK || produced != frames) {
    es_py_raise("KernelError", status == ES_OK ? ES_ERR_STATE : status, "audio frontend", "");
    return -1;
  }
  return 0;
}

static PyObject *frontend_process(PyObject *self, PyObject *arg) {
  FrontendObject *o = (FrontendObject *)self;
  Py_buffer view;
  if (get_samples(arg, &view) != 0) return NULL;
  const Py_ssize_t frames = frames_for(o, (size_t)view.len / 2);
  PyObject *out = frames < 0 ? NULL : PyByteArray_FromStringAndSize(NULL, frames * ES_AUDIO_FEATURE_CHANNELS);
  if (out != NULL && push(o, &view, (int8_t *)PyByteArray_AS_STRING(out), (size_t)frames) != 0) Py_CLEAR(out);
  PyBuffer_Release(&view);
  return out;
}

static PyObject *frontend_frames_for(PyObject *self, PyObject *arg) {
  const Py_ssize_t count = PyLong_AsSsize_t(arg);
  if (count == -1 && PyErr_Occurred()) return NULL;
  if (count < 0) return es_py_raise("KernelError", ES_ERR_ARGUMENT, "audio frontend", "negative sample count");
  const Py_ssize_t frames = frames_for((FrontendObject *)self, (size_t)count);
  return frames < 0 ? NULL : PyLong_FromSsize_t(frames);
}

/* numpy pieces features() uses, looked up once at import (numpy is imported
 * anyway by whoever calls it; the kernels never see them). */
static PyTypeObject *ndarray_type;
static PyObject *numpy_empty, *int8_dtype, *one_row_shape;

/* KernelError naming what is wrong with a numpy array `samples` whose
 * buffer `view` (strides and format) features() cannot use, or 0. */
static int check_numpy_samples(PyObject *samples, const Py_buffer *view) {
  const char *fmt = view->format ? view->format : "B";
  if (fmt[0] == '@' || fmt[0] == '=' || fmt[0] == '<') ++fmt;
  if (view->itemsize != 2 || strcmp(fmt, "h") != 0) {
    PyObject *dtype = PyObject_GetAttrString(samples, "dtype");
    if (dtype != NULL)
      es_py_raise_format("KernelError",
                         "AudioFrontend.process: samples must be int16 PCM, got dtype %S "
                         "(scale float audio by 32767 and convert with .astype(np.int16))",
                         dtype);
    Py_XDECREF(dtype);
    return -1;
  }
  if (view->ndim != 1) {
    PyObject *shape = PyObject_GetAttrString(samples, "shape");
    if (shape != NULL)
      es_py_raise_format("KernelError", "AudioFrontend.process: samples must be 1-D mono, got shape %S", shape);
    Py_XDECREF(shape);
    return -1;
  }
  if (view->len == 0) {
    es_py_raise_format("KernelError", "AudioFrontend.process: no samples given (pass at least one sample)");
    return -1;
  }
  if (view->shape[0] > 1 && view->strides[0] != 2) {
    es_py_raise_format("KernelError",
                       "AudioFrontend.process: samples must be contiguous (use np.ascontiguousarray(samples))");
    return -1;
  }
  return 0;
}

static PyObject *frontend_features(PyObject *self, PyObject *samples) {
  FrontendObject *o = (FrontendObject *)self;
  if (!PyObject_TypeCheck(samples, ndarray_type))
    return es_py_raise_format("KernelError", "AudioFrontend.process: expected a numpy int16 array, got %s",
                              Py_TYPE(samples)->tp_name);
  Py_buffer view, out_view;
  /* Strides and format: succeeds for any array, so that the checks can say
   * exactly what is wrong. */
  if (PyObject_GetBuffer(samples, &view, PyBUF_RECORDS_RO) != 0) return NULL;
  PyObject *out = NULL;
  const Py_ssize_t frames = check_numpy_samples(samples, &view) != 0 ? -1 : frames_for(o, (size_t)view.len / 2);
  if (frames >= 0) {
    /* One row per hop is the live case: its shape tuple is reused. */
    PyObject *shape = frames == 1 ? (Py_INCREF(one_row_shape), one_row_shape)
                                  : Py_BuildValue("(nn)", frames, (Py_ssize_t)ES_AUDIO_FEATURE_CHANNELS);
    if (shape != NULL) {
      PyObject *args[] = {shape, int8_dtype};
      out = PyObject_Vectorcall(numpy_empty, args, 2, NULL);
      Py_DECREF(shape);
    }
  }
  if (out != NULL) {
    if (PyObject_GetBuffer(out, &out_view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) != 0) {
      Py_CLEAR(out);
    } else {
      if (push(o, &view, (int8_t *)out_view.buf, (size_t)frames) != 0) Py_CLEAR(out);
      PyBuffer_Release(&out_view);
    }
  }
  PyBuffer_Release(&view);
  return out;
}

static PyObject *frontend_reset(PyObject *self, PyObject *noargs) {
  (void)noargs;
  es_audio_frontend_reset(&((FrontendObject *)self)->fe);
  Py_RETURN_NONE;
}

static PyObject *frontend_buffered(PyObject *self, void *closure) {
  (void)closure;
  return PyLong_FromUnsignedLong(((FrontendObject *)self)->fe.fill);
}

static PyMethodDef frontend_methods[] = {
    {"process", frontend_process, METH_O,
     "process(samples) -> bytearray\n\nPush int16 samples; returns FEATURE_CHANNELS int8 bytes per "
     "completed frame."},
    {"frames_for", frontend_frames_for, METH_O,
     "frames_for(count) -> int\n\nFrames that pushing count more samples would complete."},
    {"features", frontend_features, METH_O,
     "features(samples) -> numpy.ndarray\n\nPush a 1-D, contiguous int16 numpy array; returns a new "
     "(frames, FEATURE_CHANNELS) int8 array, one row per completed frame.  KernelError names what is wrong "
     "with any other input."},
    {"reset", frontend_reset, METH_NOARGS, "reset()\n\nDrop buffered samples and the noise estimate."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef frontend_getset[] = {
    {"buffered", frontend_buffered, NULL, "samples waiting for the next frame", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject FrontendType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "edgesim._audio.Frontend",
    .tp_basicsize = sizeof(FrontendObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Frontend()\n\nStreaming audio front end (state carries across process() calls).",
    .tp_methods = frontend_methods,
    .tp_getset = frontend_getset,
    .tp_init = frontend_init,
    .tp_new = PyType_GenericNew,
};

/* tables() -> dict of name -> bytes (little-endian), the generated constants. */
static PyObject *py_tables(PyObject *self, PyObject *noargs) {
  (void)self;
  (void)noargs;
  const struct {
    const char *name;
    const void *data;
    size_t bytes;
  } tables[] = {
      {"window", es_audio_window_coeffs, sizeof es_audio_window_coeffs},
      {"window_planar", es_audio_window_coeffs_planar, sizeof es_audio_window_coeffs_planar},
      {"fft_twiddles", es_audio_fft_twiddles, sizeof es_audio_fft_twiddles},
      {"rfft_twiddles", es_audio_rfft_twiddles, sizeof es_audio_rfft_twiddles},
      {"fb_weights", es_audio_fb_weights, sizeof es_audio_fb_weights},
      {"fb_unweights", es_audio_fb_unweights, sizeof es_audio_fb_unweights},
      {"fb_freq_starts", es_audio_fb_freq_starts, sizeof es_audio_fb_freq_starts},
      {"fb_weight_starts", es_audio_fb_weight_starts, sizeof es_audio_fb_weight_starts},
      {"fb_widths", es_audio_fb_widths, sizeof es_audio_fb_widths},
      {"pcan_gain_lut", es_audio_pcan_gain_lut, sizeof es_audio_pcan_gain_lut},
      {"log_lut", es_audio_log_lut, sizeof es_audio_log_lut},
  };
  PyObject *d = PyDict_New();
  if (d == NULL) return NULL;
  for (size_t i = 0; i < sizeof tables / sizeof tables[0]; ++i) {
    PyObject *b = PyBytes_FromStringAndSize((const char *)tables[i].data, (Py_ssize_t)tables[i].bytes);
    if (b == NULL || PyDict_SetItemString(d, tables[i].name, b) != 0) {
      Py_XDECREF(b);
      Py_DECREF(d);
      return NULL;
    }
    Py_DECREF(b);
  }
  return d;
}

static PyMethodDef methods[] = {
    {"tables", py_tables, METH_NOARGS,
     "tables() -> dict[str, bytes]\n\nThe front end's constant tables (little-endian int16/uint16)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, ES_MODULE_NAME,
                                    "Wake word audio front end kernels (edgesim/audio_frontend.h).", -1,
                                    methods, NULL, NULL, NULL, NULL};

/* The numpy objects features() needs; -1 with the import error set. */
static int import_numpy_pieces(void) {
  PyObject *numpy = PyImport_ImportModule("numpy");
  if (numpy == NULL) return -1;
  ndarray_type = (PyTypeObject *)PyObject_GetAttrString(numpy, "ndarray");
  numpy_empty = PyObject_GetAttrString(numpy, "empty");
  int8_dtype = PyObject_CallMethod(numpy, "dtype", "s", "int8");
  one_row_shape = Py_BuildValue("(ii)", 1, ES_AUDIO_FEATURE_CHANNELS);
  Py_DECREF(numpy);
  if (ndarray_type == NULL || numpy_empty == NULL || int8_dtype == NULL || one_row_shape == NULL) return -1;
  if (!PyType_Check((PyObject *)ndarray_type)) {
    PyErr_SetString(PyExc_ImportError, "numpy.ndarray is not a type");
    return -1;
  }
  return 0;
}

PyMODINIT_FUNC ES_MODULE_INIT(void) {
  if (import_numpy_pieces() != 0) return NULL;
  if (PyType_Ready(&FrontendType) < 0) return NULL;
  PyObject *m = PyModule_Create(&module);
  if (m == NULL) return NULL;
  Py_INCREF(&FrontendType);
  if (PyModule_AddObject(m, "Frontend", (PyObject *)&FrontendType) != 0) {
    Py_DECREF(&FrontendType);
    Py_DECREF(m);
    return NULL;
  }
  const struct {
    const char *name;
    long value;
  } constants[] = {
      {"SAMPLE_RATE_HZ", ES_AUDIO_SAMPLE_RATE_HZ},
      {"WINDOW_SAMPLES", ES_AUDIO_WINDOW_SAMPLES},
      {"HOP_SAMPLES", ES_AUDIO_HOP_SAMPLES},
      {"FEATURE_CHANNELS", ES_AUDIO_FEATURE_CHANNELS},
      {"FEATURE_FRAMES", ES_AUDIO_FEATURE_FRAMES},
      {"FFT_LENGTH", ES_AUDIO_FFT_LENGTH},
      {"WINDOW_SHIFT", ES_AUDIO_WINDOW_SHIFT},
      {"LOWER_BAND_HZ", ES_AUDIO_LOWER_BAND_HZ},
      {"UPPER_BAND_HZ", ES_AUDIO_UPPER_BAND_HZ},
      {"FILTERBANK_WEIGHT_BITS", ES_AUDIO_FILTERBANK_WEIGHT_BITS},
      {"FILTERBANK_ALIGNMENT", ES_AUDIO_FILTERBANK_ALIGNMENT},
      {"FILTERBANK_BLOCK", ES_AUDIO_FILTERBANK_BLOCK},
      {"NR_SMOOTHING_BITS", ES_AUDIO_NR_SMOOTHING_BITS},
      {"NR_COEFF_BITS", ES_AUDIO_NR_COEFF_BITS},
      {"NR_SMOOTHING", ES_AUDIO_NR_SMOOTHING},
      {"NR_ALT_SMOOTHING", ES_AUDIO_NR_ALT_SMOOTHING},
      {"NR_MIN_SIGNAL_REMAINING", ES_AUDIO_NR_MIN_SIGNAL_REMAINING},
      {"PCAN_GAIN_BITS", ES_AUDIO_PCAN_GAIN_BITS},
      {"PCAN_SNR_SHIFT", ES_AUDIO_PCAN_SNR_SHIFT},
      {"LOG_CORRECTION_BITS", ES_AUDIO_LOG_CORRECTION_BITS},
      {"LOG_SCALE", ES_AUDIO_LOG_SCALE},
      {"FEATURE_MUL", ES_AUDIO_FEATURE_MUL},
      {"FEATURE_DIV", ES_AUDIO_FEATURE_DIV},
      {"SPECTRUM_START", ES_AUDIO_SPECTRUM_START},
      {"SPECTRUM_END", ES_AUDIO_SPECTRUM_END},
      {"SPECTRUM_BINS", ES_AUDIO_SPECTRUM_BINS},
      {"FILTERBANK_WEIGHT_COUNT", ES_AUDIO_FILTERBANK_WEIGHT_COUNT},
      {"STATE_BYTES", (long)sizeof(es_audio_frontend)},
      {"SCRATCH_BYTES", (long)sizeof(es_audio_scratch)},
  };
  for (size_t i = 0; i < sizeof constants / sizeof constants[0]; ++i) {
    if (PyModule_AddIntConstant(m, constants[i].name, constants[i].value) != 0) {
      Py_DECREF(m);
      return NULL;
    }
  }
  if (PyModule_AddObject(m, "PCAN_STRENGTH", PyFloat_FromDouble((double)ES_AUDIO_PCAN_STRENGTH)) != 0 ||
      PyModule_AddObject(m, "PCAN_OFFSET", PyFloat_FromDouble((double)ES_AUDIO_PCAN_OFFSET)) != 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
