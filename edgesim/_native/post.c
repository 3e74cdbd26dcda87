/* edgesim._post: thin binding of the postprocessing kernels (kernels/post/).
 *
 *   Recognizer(category_count, average_window_ms, detection_threshold,
 *              suppression_ms, minimum_count, capacity)
 *       .process(scores: bytes-like int8[category_count], time_ms: int)
 *           -> (top, score, is_new, is_reliable)
 *       .reset();  .counts() -> (results, starved, evicted, starved_after_warmup)
 *       .first_t_ms, .last_t_ms: times of the first and newest result (None before one)
 *   Hysteresis(on_threshold, off_threshold, on_count, off_count)
 *       .process(score: int) -> (active, changed);  .reset();  .active
 *   classify(scores: bytes-like int8, min_score: int) -> (top, score, is_accepted)
 *
 * The Python face is edgesim/compute/post.py.  Kernel statuses become KernelError.
 */
#include "common.h"
#include "edgesim/post.h"

/* Parameter ranges are checked by the kernels; this only keeps Python ints
 * inside int32 so that an absurd value is an error message, not a wrap. */
static int to_int32(long long value, const char *what, int32_t *out) {
  if (value < INT32_MIN || value > INT32_MAX) {
    es_py_raise_format("KernelError", "%s must fit in a 32-bit signed integer, got %lld", what, value);
    return 0;
  }
  *out = (int32_t)value;
  return 1;
}

/* ------------------------------------------------------------------ Recognizer */
typedef struct {
  PyObject_HEAD
  es_recognizer_params params;
  es_recognizer_state state;
  int32_t *times; /* host-side memory for the kernel's queue */
  int8_t *scores;
} RecognizerObject;

static void Recognizer_dealloc(RecognizerObject *self) {
  PyMem_Free(self->times);
  PyMem_Free(self->scores);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static int Recognizer_init(RecognizerObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"category_count", "average_window_ms", "detection_threshold", "suppression_ms",
                             "minimum_count", "capacity", NULL};
  long long categories, window, threshold, suppression, minimum, capacity;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "LLLLLL", keywords, &categories, &window, &threshold,
                                   &suppression, &minimum, &capacity))
    return -1;
  int32_t cap = 0;
  if (!to_int32(categories, "category_count", &self->params.category_count) ||
      !to_int32(window, "average_window_ms", &self->params.average_window_ms) ||
      !to_int32(threshold, "detection_threshold", &self->params.detection_threshold) ||
      !to_int32(suppression, "suppression_ms", &self->params.suppression_ms) ||
      !to_int32(minimum, "minimum_count", &self->params.minimum_count) || !to_int32(capacity, "capacity", &cap))
    return -1;
  if (cap < 1 || cap > 1000000 || self->params.category_count < 1 || self->params.category_count > 4096) {
    es_py_raise("KernelError", ES_ERR_ARGUMENT, "recognizer", "capacity must be 1..1000000 and categories 1..4096");
    return -1;
  }
  PyMem_Free(self->times);
  PyMem_Free(self->scores);
  self->times = PyMem_Malloc(sizeof(int32_t) * (size_t)cap);
  self->scores = PyMem_Malloc((size_t)cap * (size_t)self->params.category_count);
  if (self->times == NULL || self->scores == NULL) {
    PyErr_NoMemory();
    return -1;
  }
  es_status status = es_recognizer_init(&self->params, self->times, self->scores, cap, &self->state);
  if (status != ES_OK) {
    es_py_raise("KernelError", status, "recognizer parameters",
                "need categories >= 1, window > 0, threshold 0..255, suppression >= 0, minimum count >= 1");
    return -1;
  }
  return 0;
}

static PyObject *Recognizer_process(RecognizerObject *self, PyObject *args) {
  Py_buffer scores;
  long long time_ms;
  if (self->times == NULL) return es_py_raise("KernelError", ES_ERR_STATE, "recognizer", "not initialised");
  if (!PyArg_ParseTuple(args, "y*L", &scores, &time_ms)) return NULL;
  int32_t time32 = 0;
  es_recognizer_output out;
  es_status status = ES_OK;
  if (!to_int32(time_ms, "time_ms", &time32)) {
    PyBuffer_Release(&scores);
    return NULL;
  }
  if (scores.len != self->params.category_count) {
    PyBuffer_Release(&scores);
    PyErr_Format(PyExc_ValueError, "recognizer expects %d int8 scores, got %zd bytes",
                 (int)self->params.category_count, scores.len);
    return NULL;
  }
  status = es_recognizer_process(&self->params, &self->state, (const int8_t *)scores.buf, time32, &out);
  PyBuffer_Release(&scores);
  if (status == ES_ERR_INPUT_DATA)
    return es_py_raise_format("KernelError",
                              "recognizer: results must come in time order, but %d ms is earlier than the previous "
                              "result at %d ms",
                              (int)time32, (int)self->state.newest_time_ms);
  if (status != ES_OK) return es_py_raise("KernelError", status, "recognizer", NULL);
  return Py_BuildValue("(iiOO)", (int)out.top, (int)out.score, out.is_new ? Py_True : Py_False,
                       out.is_reliable ? Py_True : Py_False);
}

static PyObject *Recognizer_reset(RecognizerObject *self, PyObject *Py_UNUSED(ignored)) {
  es_status status = es_recognizer_reset(&self->state);
  if (status != ES_OK) return es_py_raise("KernelError", status, "recognizer reset", NULL);
  Py_RETURN_NONE;
}

static PyObject *Recognizer_counts(RecognizerObject *self, PyObject *Py_UNUSED(ignored)) {
  return Py_BuildValue("(kkkk)", (unsigned long)self->state.results_count, (unsigned long)self->state.starved_count,
                       (unsigned long)self->state.evicted_count, (unsigned long)self->state.starved_after_warmup);
}

static PyObject *Recognizer_get_first_t_ms(RecognizerObject *self, void *Py_UNUSED(closure)) {
  if (self->times == NULL || !self->state.has_newest) Py_RETURN_NONE;
  return PyLong_FromLong(self->state.first_time_ms);
}

static PyObject *Recognizer_get_last_t_ms(RecognizerObject *self, void *Py_UNUSED(closure)) {
  if (self->times == NULL || !self->state.has_newest) Py_RETURN_NONE;
  return PyLong_FromLong(self->state.newest_time_ms);
}

static PyGetSetDef Recognizer_getset[] = {
    {"first_t_ms", (getter)Recognizer_get_first_t_ms, NULL, "Time of the first result since reset, or None.", NULL},
    {"last_t_ms", (getter)Recognizer_get_last_t_ms, NULL, "Time of the newest result, or None.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef Recognizer_methods[] = {
    {"process", (PyCFunction)Recognizer_process, METH_VARARGS,
     "process(scores, time_ms) -> (top, score, is_new, is_reliable)"},
    {"reset", (PyCFunction)Recognizer_reset, METH_NOARGS, "Forget all results and the previous command."},
    {"counts", (PyCFunction)Recognizer_counts, METH_NOARGS, "(results, starved, evicted, starved_after_warmup) since reset."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject RecognizerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "edgesim._post.Recognizer",
    .tp_basicsize = sizeof(RecognizerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Streaming command recognizer (kernels/post/recognize_commands.c).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Recognizer_init,
    .tp_dealloc = (destructor)Recognizer_dealloc,
    .tp_methods = Recognizer_methods,
    .tp_getset = Recognizer_getset,
};

/* ------------------------------------------------------------------ Hysteresis */
typedef struct {
  PyObject_HEAD
  es_hysteresis_params params;
  es_hysteresis_state state;
  int ready;
} HysteresisObject;

static int Hysteresis_init(HysteresisObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"on_threshold", "off_threshold", "on_count", "off_count", NULL};
  long long on, off, on_count, off_count;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "LLLL", keywords, &on, &off, &on_count, &off_count)) return -1;
  if (!to_int32(on, "on_threshold", &self->params.on_threshold) ||
      !to_int32(off, "off_threshold", &self->params.off_threshold) ||
      !to_int32(on_count, "on_count", &self->params.on_count) ||
      !to_int32(off_count, "off_count", &self->params.off_count))
    return -1;
  es_status status = es_hysteresis_init(&self->params, &self->state);
  if (status != ES_OK) {
    es_py_raise("KernelError", status, "hysteresis parameters",
                "need 0 <= off_threshold <= on_threshold <= 255 and counts >= 1");
    return -1;
  }
  self->ready = 1;
  return 0;
}

static PyObject *Hysteresis_process(HysteresisObject *self, PyObject *args) {
  int score;
  if (!self->ready) return es_py_raise("KernelError", ES_ERR_STATE, "hysteresis", "not initialised");
  if (!PyArg_ParseTuple(args, "i", &score)) return NULL;
  if (score < -128 || score > 127) {
    PyErr_Format(PyExc_ValueError, "hysteresis score must be an int8 (-128..127), got %d", score);
    return NULL;
  }
  es_hysteresis_output out;
  es_status status = es_hysteresis_process(&self->params, &self->state, (int8_t)score, &out);
  if (status != ES_OK) return es_py_raise("KernelError", status, "hysteresis", NULL);
  return Py_BuildValue("(OO)", out.active ? Py_True : Py_False, out.changed ? Py_True : Py_False);
}

static PyObject *Hysteresis_reset(HysteresisObject *self, PyObject *Py_UNUSED(ignored)) {
  es_status status = es_hysteresis_reset(&self->state);
  if (status != ES_OK) return es_py_raise("KernelError", status, "hysteresis reset", NULL);
  Py_RETURN_NONE;
}

static PyObject *Hysteresis_get_active(HysteresisObject *self, void *Py_UNUSED(closure)) {
  return PyBool_FromLong(self->state.active);
}

static PyMethodDef Hysteresis_methods[] = {
    {"process", (PyCFunction)Hysteresis_process, METH_VARARGS, "process(score) -> (active, changed)"},
    {"reset", (PyCFunction)Hysteresis_reset, METH_NOARGS, "Back to inactive."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Hysteresis_getset[] = {
    {"active", (getter)Hysteresis_get_active, NULL, "Current state.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject HysteresisType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "edgesim._post.Hysteresis",
    .tp_basicsize = sizeof(HysteresisObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Score hysteresis (kernels/post/hysteresis.c).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Hysteresis_init,
    .tp_methods = Hysteresis_methods,
    .tp_getset = Hysteresis_getset,
};

/* ------------------------------------------------------------------ classify */
static PyObject *post_classify(PyObject *Py_UNUSED(module), PyObject *args) {
  Py_buffer scores;
  int min_score;
  if (!PyArg_ParseTuple(args, "y*i", &scores, &min_score)) return NULL;
  es_classify_params params = {(int32_t)(scores.len > INT32_MAX ? 0 : scores.len), min_score};
  es_classify_output out;
  es_status status = es_classify_process(&params, (const int8_t *)scores.buf, &out);
  PyBuffer_Release(&scores);
  if (status != ES_OK) return es_py_raise("KernelError", status, "classify", "need >= 1 score and min_score 0..255");
  return Py_BuildValue("(iiO)", (int)out.top, (int)out.score, out.is_accepted ? Py_True : Py_False);
}

static PyMethodDef post_methods[] = {
    {"classify", post_classify, METH_VARARGS, "classify(scores, min_score) -> (top, score, is_accepted)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef post_module = {
    PyModuleDef_HEAD_INIT, "edgesim._post", "Postprocessing kernels (kernels/post/).", -1, post_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__post(void) {
  PyObject *module = PyModule_Create(&post_module);
  if (module == NULL) return NULL;
  if (es_py_add_type(module, "Recognizer", &RecognizerType) != 0 ||
      es_py_add_type(module, "Hysteresis", &HysteresisType) != 0) {
    Py_DECREF(module);
    return NULL;
  }
  return module;
}
