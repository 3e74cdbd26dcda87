/* edgesim._app: thin binding of the app layer (kernels/app/, edgesim/app_layer.h).
 *
 * The host target (edgesim/targets/host.py) and edgesim/compute/post.py do
 * I/O and presentation around these objects; the stream logic itself is the
 * C the firmware runs.
 *
 *   AudioFeed(window_frames, infer_every_frames, hop_samples=320, noise_reduction=True, pcan=True, log_scale=True,
 *             filterbank=None | (channels, start, end, weights, unweights, channel_ends: int16 bytes),
 *             window=None | planar Q12 window coefficients: int16 bytes)
 *       .push(samples: bytes-like int16) -> [(t_ms, input bytes), ...]
 *       .reset();  .frames;  .input_bytes
 *   StrokeFeed(sample_rate_hz, x_range_q12, y_range_q12, side=32)
 *       .push(samples: bytes-like n * 6 float32) -> [(samples_since_reset, input bytes), ...]
 *       .points(points: bytes-like (x, y) int8 pairs) -> input bytes
 *       .reset();  .drawing;  .samples
 *   PostFeed(kind, label_count, report, watched_label,
 *            (average_window_ms, detection_threshold, suppression_ms, minimum_count, capacity),
 *            (on_threshold, off_threshold, on_count, off_count), min_score)
 *       .process(scores: bytes-like int8, t_ms) -> None | (detection_kind, label, score)
 *       .reset();  .counts() -> (results, starved, evicted, starved_after_warmup)
 *   float_input(values: bytes-like int8, scale, zero_point) -> float32 bytes
 *   scores_from_float(scores: bytes-like float32) -> int8 bytes
 *
 * Kernel statuses become KernelError.
 */
#define ES_DEFAULT_MODULE _app
#include "common.h"

#include <string.h>

#include "edgesim/app_layer.h"

/* Appends (key, bytes(input)) to list; 0, or -1 with the error set. */
static int append_input(PyObject *list, unsigned long key, const int8_t *input, size_t bytes) {
  PyObject *item = Py_BuildValue("(ky#)", key, (const char *)input, (Py_ssize_t)bytes);
  if (item == NULL) return -1;
  int failed = PyList_Append(list, item);
  Py_DECREF(item);
  return failed;
}

/* ------------------------------------------------------------------ AudioFeed */
typedef struct {
  PyObject_HEAD
  es_audio_feed_params params;
  es_audio_feed feed;
  es_audio_scratch scratch;
  int8_t *rows;  /* the feature window (host memory) */
  int8_t *input; /* one model input */
  size_t input_bytes;
  es_audio_filterbank_table filterbank; /* an app's own bank (params.frontend.filterbank) */
  int16_t *filterbank_values;          /* its weights, unweights and channel ends */
  int16_t *window_coeffs;              /* an app's own window (params.frontend.window_coeffs) */
} AudioFeedObject;

static void AudioFeed_dealloc(AudioFeedObject *self) {
  PyMem_Free(self->rows);
  PyMem_Free(self->input);
  PyMem_Free(self->filterbank_values);
  PyMem_Free(self->window_coeffs);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* filterbank: None (the built-in bank) or (channels, start, end, weights, unweights, channel_ends), the
 * last three int16 bytes; copied into the object, which the front end then points at. */
static int set_filterbank(AudioFeedObject *self, PyObject *filterbank) {
  PyMem_Free(self->filterbank_values);
  self->filterbank_values = NULL;
  self->params.frontend.filterbank = NULL;
  if (filterbank == Py_None) return 0;
  int channels, start, end;
  Py_buffer weights, unweights, ends;
  if (!PyArg_ParseTuple(filterbank, "iiiy*y*y*", &channels, &start, &end, &weights, &unweights, &ends)) return -1;
  const Py_ssize_t bins = (Py_ssize_t)end - start;
  int failed = 0;
  if (channels < 1 || channels > ES_AUDIO_MAX_CHANNELS || bins < 0 || weights.len != bins * 2 ||
      unweights.len != bins * 2 || ends.len != ((Py_ssize_t)channels + 1) * 2) {
    es_py_raise_format("KernelError", "audio feed: filterbank needs 1..%d channels, end - start int16 weights and "
                       "unweights and channels + 1 int16 channel ends", ES_AUDIO_MAX_CHANNELS);
    failed = 1;
  } else {
    const size_t values = 2 * (size_t)bins + (size_t)channels + 1;
    self->filterbank_values = PyMem_Malloc(values * sizeof(int16_t));
    if (self->filterbank_values == NULL) {
      PyErr_NoMemory();
      failed = 1;
    } else {
      int16_t *v = self->filterbank_values;
      memcpy(v, weights.buf, (size_t)weights.len);
      memcpy(v + bins, unweights.buf, (size_t)unweights.len);
      memcpy(v + 2 * bins, ends.buf, (size_t)ends.len);
      const es_audio_filterbank_table table = {channels, start, end, v, v + bins, v + 2 * bins};
      self->filterbank = table;
      if (es_audio_filterbank_table_check(&self->filterbank) != ES_OK) {
        es_py_raise("KernelError", ES_ERR_ARGUMENT, "audio feed", "filterbank table inconsistent (weights 0..4096, "
                    "channel ends non-decreasing from start to end, end below the spectrum's bins)");
        failed = 1;
      } else {
        self->params.frontend.filterbank = &self->filterbank;
      }
    }
  }
  PyBuffer_Release(&weights);
  PyBuffer_Release(&unweights);
  PyBuffer_Release(&ends);
  return failed ? -1 : 0;
}

/* window: None (the built-in 30 ms Hann window) or its planar Q12 coefficients as int16 bytes. */
static int set_window(AudioFeedObject *self, PyObject *window) {
  PyMem_Free(self->window_coeffs);
  self->window_coeffs = NULL;
  self->params.frontend.window_coeffs = NULL;
  self->params.frontend.window_samples = 0;
  if (window == Py_None) return 0;
  Py_buffer coeffs;
  if (PyObject_GetBuffer(window, &coeffs, PyBUF_SIMPLE) != 0) return -1;
  const Py_ssize_t samples = coeffs.len / 2;
  int failed = 0;
  if (coeffs.len % 4 != 0 || samples < 2 || samples > ES_AUDIO_FFT_LENGTH) {
    es_py_raise_format("KernelError", "audio feed: window needs an even number (2..%d) of int16 coefficients, got "
                       "%zd bytes", ES_AUDIO_FFT_LENGTH, coeffs.len);
    failed = 1;
  } else if ((self->window_coeffs = PyMem_Malloc((size_t)coeffs.len)) == NULL) {
    PyErr_NoMemory();
    failed = 1;
  } else {
    memcpy(self->window_coeffs, coeffs.buf, (size_t)coeffs.len);
    self->params.frontend.window_coeffs = self->window_coeffs;
    self->params.frontend.window_samples = (uint32_t)samples;
  }
  PyBuffer_Release(&coeffs);
  return failed ? -1 : 0;
}

static int AudioFeed_init(AudioFeedObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"window_frames", "infer_every_frames", "hop_samples", "noise_reduction", "pcan",
                             "log_scale", "filterbank", "window", NULL};
  int window_frames, every, hop = ES_AUDIO_HOP_SAMPLES, noise_reduction = 1, pcan = 1, log_scale = 1;
  PyObject *filterbank = Py_None, *window = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "ii|ipppOO", keywords, &window_frames, &every, &hop,
                                   &noise_reduction, &pcan, &log_scale, &filterbank, &window))
    return -1;
  if (set_filterbank(self, filterbank) != 0 || set_window(self, window) != 0) return -1;
  const int window_samples = (int)es_audio_frontend_window(&self->params.frontend);
  self->params.window_frames = window_frames;
  self->params.infer_every_frames = every;
  size_t bytes = es_audio_feed_input_bytes(&self->params);
  if (bytes == 0 || hop < 1 || hop > window_samples) {
    es_py_raise_format("KernelError", "audio feed: window_frames must be 1..1048576, infer_every_frames at least 1 "
                       "and hop_samples 1..%d (got %d, %d, %d)", window_samples, window_frames, every, hop);
    return -1;
  }
  if (pcan && !noise_reduction) {
    es_py_raise("KernelError", ES_ERR_ARGUMENT, "audio feed",
                "PCAN needs noise reduction (it scales by the noise estimate); turn both off or keep noise reduction");
    return -1;
  }
  self->params.frontend.hop = (uint32_t)hop;
  self->params.frontend.noise_reduction = (uint8_t)noise_reduction;
  self->params.frontend.pcan = (uint8_t)pcan;
  self->params.frontend.log_scale = (uint8_t)log_scale;
  PyMem_Free(self->rows);
  PyMem_Free(self->input);
  self->rows = PyMem_Malloc(bytes);
  self->input = PyMem_Malloc(bytes);
  if (self->rows == NULL || self->input == NULL) {
    PyErr_NoMemory();
    return -1;
  }
  self->input_bytes = bytes;
  es_status status = es_audio_feed_init(&self->params, self->rows, bytes, &self->feed);
  if (status != ES_OK) {
    es_py_raise("KernelError", status, "audio feed", NULL);
    return -1;
  }
  return 0;
}

static PyObject *AudioFeed_push(AudioFeedObject *self, PyObject *args) {
  Py_buffer data;
  if (self->rows == NULL) return es_py_raise("KernelError", ES_ERR_STATE, "audio feed", "not initialised");
  if (!PyArg_ParseTuple(args, "y*", &data)) return NULL;
  if (data.len % 2 != 0 || (size_t)data.len / 2 > ES_AUDIO_MAX_PUSH_SAMPLES) {
    PyBuffer_Release(&data);
    return es_py_raise("KernelError", ES_ERR_INPUT_DATA, "audio feed", "samples must be int16, at most 2^30 of them");
  }
  const int16_t *samples = (const int16_t *)data.buf;
  const size_t count = (size_t)data.len / 2;
  PyObject *inputs = PyList_New(0);
  size_t used = 0;
  while (inputs != NULL && used < count) {
    size_t consumed = 0;
    es_feed_result result;
    es_status status = es_audio_feed_push(&self->params, &self->feed, &self->scratch, samples + used, count - used,
                                          self->input, self->input_bytes, &consumed, &result);
    if (status != ES_OK) {
      Py_CLEAR(inputs);
      es_py_raise("KernelError", status, "audio feed", NULL);
      break;
    }
    used += consumed;
    if (result.ready && append_input(inputs, result.t_ms, self->input, self->input_bytes) != 0) Py_CLEAR(inputs);
  }
  PyBuffer_Release(&data);
  return inputs;
}

static PyObject *AudioFeed_reset(AudioFeedObject *self, PyObject *Py_UNUSED(ignored)) {
  if (self->rows == NULL) return es_py_raise("KernelError", ES_ERR_STATE, "audio feed", "not initialised");
  es_status status = es_audio_feed_reset(&self->params, &self->feed);
  if (status != ES_OK) return es_py_raise("KernelError", status, "audio feed reset", NULL);
  Py_RETURN_NONE;
}

static PyObject *AudioFeed_get_frames(AudioFeedObject *self, void *Py_UNUSED(closure)) {
  return PyLong_FromUnsignedLong(self->feed.frames);
}

static PyObject *AudioFeed_get_input_bytes(AudioFeedObject *self, void *Py_UNUSED(closure)) {
  return PyLong_FromSize_t(self->input_bytes);
}

static PyMethodDef AudioFeed_methods[] = {
    {"push", (PyCFunction)AudioFeed_push, METH_VARARGS, "push(samples: int16 bytes) -> [(t_ms, input), ...]"},
    {"reset", (PyCFunction)AudioFeed_reset, METH_NOARGS, "A new stream: empty front end and window."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef AudioFeed_getset[] = {
    {"frames", (getter)AudioFeed_get_frames, NULL, "Feature frames since reset.", NULL},
    {"input_bytes", (getter)AudioFeed_get_input_bytes, NULL, "Bytes of one model input.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject AudioFeedType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "edgesim._app.AudioFeed",
    .tp_basicsize = sizeof(AudioFeedObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Audio -> front end -> feature window -> scheduled model inputs (kernels/app/audio_feed.c).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)AudioFeed_init,
    .tp_dealloc = (destructor)AudioFeed_dealloc,
    .tp_methods = AudioFeed_methods,
    .tp_getset = AudioFeed_getset,
};

/* ------------------------------------------------------------------ StrokeFeed */
typedef struct {
  PyObject_HEAD
  es_stroke_feed_params params;
  es_stroke_feed feed;
  int8_t input[ES_RASTER_BYTES]; /* room for the largest raster */
  size_t input_bytes;            /* this feed's raster */
  int ready;
} StrokeFeedObject;

static int StrokeFeed_init(StrokeFeedObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"sample_rate_hz", "x_range_q12", "y_range_q12", "side", NULL};
  float rate;
  int x_range, y_range, side = ES_RASTER_SIDE;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "fii|i", keywords, &rate, &x_range, &y_range, &side)) return -1;
  self->params.sample_rate_hz = rate;
  self->params.raster.x_range_q12 = x_range;
  self->params.raster.y_range_q12 = y_range;
  self->params.raster.side = side;
  if (side < 1 || side > ES_RASTER_SIDE) {
    es_py_raise_format("KernelError", "stroke feed: raster side must be 1..%d, got %d", ES_RASTER_SIDE, side);
    return -1;
  }
  self->input_bytes = es_stroke_feed_input_bytes(&self->params);
  if (x_range < ES_RASTER_MIN_RANGE_Q12 || x_range > ES_RASTER_MAX_RANGE_Q12 || y_range < ES_RASTER_MIN_RANGE_Q12 ||
      y_range > ES_RASTER_MAX_RANGE_Q12) {
    es_py_raise_format("KernelError", "stroke feed: raster ranges must be %d..%d (Q12), got %d and %d",
                       ES_RASTER_MIN_RANGE_Q12, ES_RASTER_MAX_RANGE_Q12, x_range, y_range);
    return -1;
  }
  es_status status = es_stroke_feed_init(&self->params, &self->feed);
  if (status != ES_OK) {
    es_py_raise("KernelError", status, "stroke feed", "sample_rate_hz must be between 1 and 100000");
    return -1;
  }
  self->ready = 1;
  return 0;
}

/* All samples are checked before any is used, so a bad chunk leaves the state unchanged. */
static PyObject *StrokeFeed_push(StrokeFeedObject *self, PyObject *args) {
  Py_buffer data;
  if (!self->ready) return es_py_raise("KernelError", ES_ERR_STATE, "stroke feed", "not initialised");
  if (!PyArg_ParseTuple(args, "y*", &data)) return NULL;
  const size_t sample_bytes = 6 * sizeof(float);
  if ((size_t)data.len % sample_bytes != 0 || ((uintptr_t)data.buf % sizeof(float)) != 0) {
    PyBuffer_Release(&data);
    return es_py_raise("KernelError", ES_ERR_INPUT_DATA, "stroke feed",
                       "samples must be an aligned buffer of whole 6-float32 samples");
  }
  const float *samples = (const float *)data.buf;
  const size_t count = (size_t)data.len / sample_bytes;
  for (size_t i = 0; i < count; ++i) {
    if (es_imu_check_sample(samples + 6 * i) != ES_OK) {
      PyBuffer_Release(&data);
      return es_py_raise_format("KernelError",
                                "stroke feed: %s: sample %zu has a NaN, infinite or |value| > 1e6 "
                                "(expected g and degrees per second)", es_status_str(ES_ERR_INPUT_DATA), i);
    }
  }
  PyObject *inputs = PyList_New(0);
  size_t used = 0;
  while (inputs != NULL && used < count) {
    size_t consumed = 0;
    es_feed_result result;
    es_status status = es_stroke_feed_push(&self->params, &self->feed, samples + 6 * used, count - used, self->input,
                                           self->input_bytes, &consumed, &result);
    if (status != ES_OK) {
      Py_CLEAR(inputs);
      es_py_raise("KernelError", status, "stroke feed", NULL);
      break;
    }
    used += consumed;
    if (result.ready && append_input(inputs, result.samples, self->input, self->input_bytes) != 0)
      Py_CLEAR(inputs);
  }
  PyBuffer_Release(&data);
  return inputs;
}

static PyObject *StrokeFeed_points(StrokeFeedObject *self, PyObject *args) {
  Py_buffer data;
  if (!self->ready) return es_py_raise("KernelError", ES_ERR_STATE, "stroke feed", "not initialised");
  if (!PyArg_ParseTuple(args, "y*", &data)) return NULL;
  if (data.len % 2 != 0 || data.len / 2 > ES_RASTER_MAX_POINTS) {
    PyBuffer_Release(&data);
    return es_py_raise_format("KernelError", "stroke feed: a stroke is (x, y) int8 pairs, at most %d of them",
                              ES_RASTER_MAX_POINTS);
  }
  es_status status = es_stroke_feed_points(&self->params, (const int8_t *)data.buf, (int32_t)(data.len / 2),
                                           self->input, self->input_bytes);
  PyBuffer_Release(&data);
  if (status != ES_OK) return es_py_raise("KernelError", status, "stroke feed", "the rasterizer rejected the points");
  return PyBytes_FromStringAndSize((const char *)self->input, (Py_ssize_t)self->input_bytes);
}

static PyObject *StrokeFeed_reset(StrokeFeedObject *self, PyObject *Py_UNUSED(ignored)) {
  if (!self->ready) return es_py_raise("KernelError", ES_ERR_STATE, "stroke feed", "not initialised");
  es_status status = es_stroke_feed_reset(&self->feed);
  if (status != ES_OK) return es_py_raise("KernelError", status, "stroke feed reset", NULL);
  Py_RETURN_NONE;
}

static PyObject *StrokeFeed_get_drawing(StrokeFeedObject *self, void *Py_UNUSED(closure)) {
  return PyBool_FromLong(es_stroke_feed_drawing(&self->feed));
}

static PyObject *StrokeFeed_get_samples(StrokeFeedObject *self, void *Py_UNUSED(closure)) {
  return PyLong_FromUnsignedLong(self->feed.samples);
}

static PyMethodDef StrokeFeed_methods[] = {
    {"push", (PyCFunction)StrokeFeed_push, METH_VARARGS,
     "push(samples: n * 6 float32 bytes) -> [(samples_since_reset, input), ...]"},
    {"points", (PyCFunction)StrokeFeed_points, METH_VARARGS, "points(xy int8 pairs) -> input"},
    {"reset", (PyCFunction)StrokeFeed_reset, METH_NOARGS, "A new stream: no history, no stroke in progress."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef StrokeFeed_getset[] = {
    {"drawing", (getter)StrokeFeed_get_drawing, NULL, "A stroke is in progress.", NULL},
    {"samples", (getter)StrokeFeed_get_samples, NULL, "IMU samples since reset.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject StrokeFeedType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "edgesim._app.StrokeFeed",
    .tp_basicsize = sizeof(StrokeFeedObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "IMU samples -> segmented strokes -> raster model inputs (kernels/app/stroke_feed.c).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)StrokeFeed_init,
    .tp_methods = StrokeFeed_methods,
    .tp_getset = StrokeFeed_getset,
};

/* ------------------------------------------------------------------ PostFeed */
typedef struct {
  PyObject_HEAD
  es_post_feed_params params;
  es_post_feed feed;
  int32_t *times; /* recognizer queue (host memory) */
  int8_t *scores;
  int ready;
} PostFeedObject;

static void PostFeed_dealloc(PostFeedObject *self) {
  PyMem_Free(self->times);
  PyMem_Free(self->scores);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static int PostFeed_init(PostFeedObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"kind", "label_count", "report", "watched_label", "recognizer", "hysteresis",
                             "min_score", NULL};
  es_post_feed_params *p = &self->params;
  PyObject *report;
  int kind, labels, watched, capacity, min_score;
  memset(p, 0, sizeof *p);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "iiOi(iiiii)(iiii)i", keywords, &kind, &labels, &report, &watched,
                                   &p->recognizer.average_window_ms, &p->recognizer.detection_threshold,
                                   &p->recognizer.suppression_ms, &p->recognizer.minimum_count, &capacity,
                                   &p->hysteresis.on_threshold, &p->hysteresis.off_threshold,
                                   &p->hysteresis.on_count, &p->hysteresis.off_count, &min_score))
    return -1;
  p->kind = kind;
  p->label_count = labels;
  p->recognizer.category_count = labels;
  p->watched_label = watched;
  p->min_score = min_score;
  if (labels < 2 || labels > ES_POST_MAX_LABELS) {
    es_py_raise_format("KernelError", "post feed: an app has 2..%d labels, got %d", ES_POST_MAX_LABELS, labels);
    return -1;
  }
  PyObject *items = PySequence_Fast(report, "report must be a sequence of label indices");
  if (items == NULL) return -1;
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(items); ++i) {
    long label = PyLong_AsLong(PySequence_Fast_GET_ITEM(items, i));
    if ((label == -1 && PyErr_Occurred()) || es_post_feed_report(p, (int32_t)label) != ES_OK) {
      Py_DECREF(items);
      if (!PyErr_Occurred()) es_py_raise_format("KernelError", "post feed: report label %ld out of range", label);
      return -1;
    }
  }
  Py_DECREF(items);
  PyMem_Free(self->times);
  PyMem_Free(self->scores);
  self->times = NULL;
  self->scores = NULL;
  if (kind == ES_POST_RECOGNIZE) {
    if (capacity < 1 || capacity > 1000000) {
      es_py_raise("KernelError", ES_ERR_ARGUMENT, "recognizer", "capacity must be 1..1000000");
      return -1;
    }
    self->times = PyMem_Malloc(sizeof(int32_t) * (size_t)capacity);
    self->scores = PyMem_Malloc((size_t)capacity * (size_t)labels);
    if (self->times == NULL || self->scores == NULL) {
      PyErr_NoMemory();
      return -1;
    }
  }
  es_status status = es_post_feed_init(p, self->times, self->scores, capacity, &self->feed);
  if (status != ES_OK) {
    es_py_raise("KernelError", status, "postprocess parameters",
                kind == ES_POST_RECOGNIZE    ? "need window > 0, threshold 0..255, suppression >= 0, minimum count >= 1"
                : kind == ES_POST_HYSTERESIS ? "need 0 <= off_threshold <= on_threshold <= 255 and counts >= 1"
                : kind == ES_POST_CLASSIFY   ? "need min_score 0..255"
                                             : "unknown postprocess kind");
    return -1;
  }
  self->ready = 1;
  return 0;
}

static PyObject *PostFeed_process(PostFeedObject *self, PyObject *args) {
  Py_buffer scores;
  long long t_ms;
  if (!self->ready) return es_py_raise("KernelError", ES_ERR_STATE, "post feed", "not initialised");
  if (!PyArg_ParseTuple(args, "y*L", &scores, &t_ms)) return NULL;
  if (scores.len != self->params.label_count) {
    PyBuffer_Release(&scores);
    return es_py_raise_format("KernelError", "postprocess: expected %d scores (one per label), got %zd",
                              (int)self->params.label_count, scores.len);
  }
  if (t_ms < INT32_MIN || t_ms > INT32_MAX) {
    PyBuffer_Release(&scores);
    return es_py_raise_format("KernelError", "postprocess: t_ms must fit in a 32-bit signed integer, got %lld", t_ms);
  }
  es_detection detection;
  es_status status = es_post_feed_process(&self->params, &self->feed, (const int8_t *)scores.buf, (int32_t)t_ms,
                                          &detection);
  PyBuffer_Release(&scores);
  if (status == ES_ERR_INPUT_DATA && self->params.kind == ES_POST_RECOGNIZE)
    return es_py_raise_format("KernelError",
                              "recognizer: results must come in time order, but %d ms is earlier than the previous "
                              "result at %d ms",
                              (int)t_ms, (int)self->feed.recognizer.newest_time_ms);
  if (status != ES_OK) return es_py_raise("KernelError", status, "postprocess", NULL);
  if (!detection.emit) Py_RETURN_NONE;
  return Py_BuildValue("(iii)", (int)detection.kind, (int)detection.label, (int)detection.score);
}

static PyObject *PostFeed_reset(PostFeedObject *self, PyObject *Py_UNUSED(ignored)) {
  if (!self->ready) return es_py_raise("KernelError", ES_ERR_STATE, "post feed", "not initialised");
  es_status status = es_post_feed_reset(&self->params, &self->feed);
  if (status != ES_OK) return es_py_raise("KernelError", status, "post feed reset", NULL);
  Py_RETURN_NONE;
}

static PyObject *PostFeed_counts(PostFeedObject *self, PyObject *Py_UNUSED(ignored)) {
  const es_recognizer_state *r = &self->feed.recognizer;
  return Py_BuildValue("(kkkk)", (unsigned long)r->results_count, (unsigned long)r->starved_count,
                       (unsigned long)r->evicted_count, (unsigned long)r->starved_after_warmup);
}

static PyObject *PostFeed_get_first_t_ms(PostFeedObject *self, void *Py_UNUSED(closure)) {
  if (!self->feed.recognizer.has_newest) Py_RETURN_NONE;
  return PyLong_FromLong(self->feed.recognizer.first_time_ms);
}

static PyObject *PostFeed_get_last_t_ms(PostFeedObject *self, void *Py_UNUSED(closure)) {
  if (!self->feed.recognizer.has_newest) Py_RETURN_NONE;
  return PyLong_FromLong(self->feed.recognizer.newest_time_ms);
}

static PyMethodDef PostFeed_methods[] = {
    {"process", (PyCFunction)PostFeed_process, METH_VARARGS,
     "process(scores, t_ms) -> None or (detection_kind, label, score)"},
    {"reset", (PyCFunction)PostFeed_reset, METH_NOARGS, "A new stream."},
    {"counts", (PyCFunction)PostFeed_counts, METH_NOARGS,
     "(results, starved, evicted, starved_after_warmup) of the recognizer since reset."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef PostFeed_getset[] = {
    {"first_t_ms", (getter)PostFeed_get_first_t_ms, NULL, "Recognizer: time of the first result, or None.", NULL},
    {"last_t_ms", (getter)PostFeed_get_last_t_ms, NULL, "Recognizer: time of the newest result, or None.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject PostFeedType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "edgesim._app.PostFeed",
    .tp_basicsize = sizeof(PostFeedObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Model results -> the app's postprocess kernel -> detections (kernels/app/post_feed.c).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)PostFeed_init,
    .tp_dealloc = (destructor)PostFeed_dealloc,
    .tp_methods = PostFeed_methods,
    .tp_getset = PostFeed_getset,
};

/* ------------------------------------------------------------------ float model I/O */

static PyObject *float_input(PyObject *Py_UNUSED(module), PyObject *args) {
  Py_buffer values;
  es_float_input_params params;
  if (!PyArg_ParseTuple(args, "y*fi", &values, &params.scale, &params.zero_point)) return NULL;
  PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)((size_t)values.len * sizeof(float)));
  if (out == NULL) {
    PyBuffer_Release(&values);
    return NULL;
  }
  es_status status = es_float_input_from_int8(&params, (const int8_t *)values.buf, (size_t)values.len,
                                              (float *)PyBytes_AS_STRING(out));
  PyBuffer_Release(&values);
  if (status != ES_OK) {
    Py_DECREF(out);
    return es_py_raise("KernelError", status, "float input", "scale must be positive and finite, zero point -128..127");
  }
  return out;
}

static PyObject *scores_from_float(PyObject *Py_UNUSED(module), PyObject *args) {
  Py_buffer scores;
  if (!PyArg_ParseTuple(args, "y*", &scores)) return NULL;
  if (scores.len % (Py_ssize_t)sizeof(float) != 0) {
    PyBuffer_Release(&scores);
    return es_py_raise_format("KernelError", "float scores: %zd bytes is not a whole number of float32",
                              scores.len);
  }
  const size_t count = (size_t)scores.len / sizeof(float);
  PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)count);
  if (out == NULL) {
    PyBuffer_Release(&scores);
    return NULL;
  }
  float *values = PyMem_Malloc(count ? count * sizeof(float) : 1); /* aligned copy */
  if (values == NULL) {
    PyBuffer_Release(&scores);
    Py_DECREF(out);
    return PyErr_NoMemory();
  }
  memcpy(values, scores.buf, count * sizeof(float));
  PyBuffer_Release(&scores);
  es_status status = es_scores_from_float(values, count, (int8_t *)PyBytes_AS_STRING(out));
  PyMem_Free(values);
  if (status != ES_OK) {
    Py_DECREF(out);
    return es_py_raise("KernelError", status, "float scores", NULL);
  }
  return out;
}

static PyMethodDef app_functions[] = {
    {"float_input", float_input, METH_VARARGS,
     "float_input(values: int8 bytes, scale, zero_point) -> float32 bytes: scale * (q - zero_point)."},
    {"scores_from_float", scores_from_float, METH_VARARGS,
     "scores_from_float(scores: float32 bytes) -> int8 bytes: round(p * 256) - 128, saturated."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef app_module = {
    PyModuleDef_HEAD_INIT, ES_MODULE_NAME, "The app layer shared with the firmware (kernels/app/).", -1, app_functions,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC ES_MODULE_INIT(void) {
  static const es_py_int_constant constants[] = {
      {"POST_RECOGNIZE", ES_POST_RECOGNIZE},       {"POST_HYSTERESIS", ES_POST_HYSTERESIS},
      {"POST_CLASSIFY", ES_POST_CLASSIFY},         {"DETECTION_COMMAND", ES_DETECTION_COMMAND},
      {"DETECTION_ENTER", ES_DETECTION_ENTER},     {"DETECTION_LEAVE", ES_DETECTION_LEAVE},
      {"DETECTION_GESTURE", ES_DETECTION_GESTURE}, {"POST_MAX_LABELS", ES_POST_MAX_LABELS},
      {"FLOAT_SCORE_STEPS", ES_FLOAT_SCORE_STEPS},
  };
  PyObject *module = PyModule_Create(&app_module);
  if (module == NULL) return NULL;
  if (es_py_add_int_constants(module, constants, ES_PY_COUNT(constants)) != 0 ||
      es_py_add_type(module, "AudioFeed", &AudioFeedType) != 0 ||
      es_py_add_type(module, "StrokeFeed", &StrokeFeedType) != 0 ||
      es_py_add_type(module, "PostFeed", &PostFeedType) != 0) {
    Py_DECREF(module);
    return NULL;
  }
  return module;
}
