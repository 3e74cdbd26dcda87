/* edgesim._runtime: the CPython face of the C inference runtime.
 *
 *   m = _runtime.Model(model_bytes, "person_detect.tflite")
 *   m.tensors()   -> [(name, shape, dtype_code, nbytes, is_constant, scale, zero_point,
 *                      channel_count, quantized_dimension), ...]
 *   m.inputs, m.outputs -> tuples of tensor indices
 *   m.nodes()     -> [(op_name, version), ...]
 *   m.invoke([buffer, ...]) -> [bytes, ...]   (one buffer per input, exact byte sizes)
 *   m.arena_bytes, m.persistent_bytes, m.activation_bytes
 *
 * The model bytes object is kept referenced (constant tensors point into it)
 * and the arena is allocated to the exact size es_model_load reports.  The
 * numpy-facing checks live in edgesim/compute/model.py.
 *
 *   _runtime.quantize_multiplier(real) -> (multiplier, shift)
 *   _runtime.activation_range_int8(activation, scale, zero_point) -> (min, max)
 *   _runtime.requantize_int8(acc, multiplier, shift, zero_point, min, max) -> int
 * are the kernels' own prepare-time arithmetic, for the build-time model
 * compiler (edgesim/mcu/model_compiler.py), which must compute the same.
 */
#include "common.h"

#include <string.h>

#include "edgesim/model.h"
#include "edgesim/ops.h"
#include "edgesim/quant.h"
#include "edgesim/tensor.h"
#include "../kernels/runtime/schema.h"

typedef struct {
  PyObject_HEAD
  es_model model;
  PyObject *data; /* bytes: kept alive, never mutated */
  PyObject *name; /* str used as context in error messages */
  void *arena;
  int busy;       /* an invoke is running (GIL released) */
} ModelObject;

static PyObject *model_error(ModelObject *self) {
  return es_py_raise("ModelError", self->model.error.status, PyUnicode_AsUTF8(self->name), self->model.error.detail);
}

/* Host arena limit: a (malformed) model asking for more is refused rather
 * than allowed to take the machine's memory. */
#define MAX_ARENA_BYTES ((size_t)256 << 20)

/* Loads with a growing work arena until the need is known, then loads once
 * more into an arena of exactly the reported size. */
static int load(ModelObject *self) {
  const uint8_t *data = (const uint8_t *)PyBytes_AS_STRING(self->data);
  size_t size = (size_t)PyBytes_GET_SIZE(self->data);
  size_t guess = 64 * 1024 + size / 4, required = 0;
  es_status s;
  for (;;) {
    void *work = PyMem_Malloc(guess);
    if (work == NULL) {
      PyErr_NoMemory();
      return -1;
    }
    Py_BEGIN_ALLOW_THREADS
    s = es_model_arena_required(&self->model, &es_all_ops, data, size, work, guess, &required);
    Py_END_ALLOW_THREADS
    PyMem_Free(work);
    if (s != ES_ERR_ARENA_TOO_SMALL || required > 0 || guess >= MAX_ARENA_BYTES) break;
    guess = guess < MAX_ARENA_BYTES / 4 ? guess * 4 : MAX_ARENA_BYTES;
  }
  if (s != ES_OK && !(s == ES_ERR_ARENA_TOO_SMALL && required > 0)) {
    model_error(self);
    return -1;
  }
  if (required > MAX_ARENA_BYTES) {
    char detail[96];
    PyOS_snprintf(detail, sizeof detail, "model needs %zu bytes of arena, over the host limit of %zu", required,
                  MAX_ARENA_BYTES);
    es_py_raise("ModelError", ES_ERR_ARENA_TOO_SMALL, PyUnicode_AsUTF8(self->name), detail);
    return -1;
  }
  /* PyMem_Malloc memory is 16-byte aligned, so no alignment padding is lost. */
  self->arena = PyMem_Malloc(required ? required : 1);
  if (self->arena == NULL) {
    PyErr_NoMemory();
    return -1;
  }
  Py_BEGIN_ALLOW_THREADS
  s = es_model_load(&self->model, &es_all_ops, data, size, self->arena, required);
  Py_END_ALLOW_THREADS
  if (s != ES_OK) {
    model_error(self);
    return -1;
  }
  return 0;
}

static int Model_init(ModelObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"data", "name", NULL};
  PyObject *data, *name;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "SU", kwlist, &data, &name)) return -1;
  if (self->data != NULL) {
    PyErr_SetString(PyExc_RuntimeError, "Model is already initialized");
    return -1;
  }
  Py_INCREF(data);
  Py_INCREF(name);
  self->data = data;
  self->name = name;
  return load(self);
}

static void Model_dealloc(ModelObject *self) {
  PyMem_Free(self->arena);
  Py_XDECREF(self->data);
  Py_XDECREF(self->name);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static int ready(ModelObject *self) {
  if (!self->model.ready) {
    PyErr_SetString(PyExc_RuntimeError, "Model is not loaded");
    return 0;
  }
  return 1;
}

static PyObject *index_tuple(const int16_t *indices, int32_t count) {
  PyObject *t = PyTuple_New(count);
  if (t == NULL) return NULL;
  for (int32_t i = 0; i < count; ++i) PyTuple_SET_ITEM(t, i, PyLong_FromLong(indices[i]));
  return t;
}

static PyObject *Model_tensors(ModelObject *self, PyObject *Py_UNUSED(ignored)) {
  if (!ready(self)) return NULL;
  const es_model *m = &self->model;
  PyObject *list = PyList_New(m->tensor_count);
  if (list == NULL) return NULL;
  for (int32_t i = 0; i < m->tensor_count; ++i) {
    const es_tensor *t = &m->tensors[i];
    const char *name = "";
    size_t length = 0;
    if (es_model_tensor_name(m, i, &name, &length) != ES_OK) length = 0;
    PyObject *shape = PyTuple_New(t->rank);
    if (shape == NULL) goto fail;
    for (int d = 0; d < t->rank; ++d) PyTuple_SET_ITEM(shape, d, PyLong_FromLong(t->dims[d]));
    /* Names come from the file: undecodable bytes become U+FFFD. */
    PyObject *py_name = PyUnicode_DecodeUTF8(name, (Py_ssize_t)length, "replace");
    if (py_name == NULL) {
      Py_DECREF(shape);
      goto fail;
    }
    PyObject *item = Py_BuildValue("(NNinNdiii)", py_name, shape, (int)t->type, (Py_ssize_t)t->bytes,
                                   PyBool_FromLong(t->is_constant), (double)t->quant.scale, (int)t->quant.zero_point,
                                   (int)t->quant.channel_count, (int)t->quant.channel_axis);
    if (item == NULL) goto fail;
    PyList_SET_ITEM(list, i, item);
  }
  return list;
fail:
  Py_DECREF(list);
  return NULL;
}

static PyObject *Model_nodes(ModelObject *self, PyObject *Py_UNUSED(ignored)) {
  if (!ready(self)) return NULL;
  const es_model *m = &self->model;
  PyObject *list = PyList_New(m->node_count);
  if (list == NULL) return NULL;
  for (int32_t i = 0; i < m->node_count; ++i) {
    PyObject *item = Py_BuildValue("(si)", es_model_node_op(m, i)->name, (int)es_model_node_version(m, i));
    if (item == NULL) {
      Py_DECREF(list);
      return NULL;
    }
    PyList_SET_ITEM(list, i, item);
  }
  return list;
}

/* invoke(sequence of buffers) -> list of bytes.  Sizes must match exactly;
 * model.py checks shapes and dtypes first and gives the friendlier message. */
static PyObject *Model_invoke(ModelObject *self, PyObject *arg) {
  if (!ready(self)) return NULL;
  es_model *m = &self->model;
  PyObject *seq = PySequence_Fast(arg, "invoke() takes a sequence of input buffers");
  if (seq == NULL) return NULL;
  if (PySequence_Fast_GET_SIZE(seq) != m->input_count) {
    PyErr_Format(PyExc_ValueError, "model has %d inputs, got %zd", (int)m->input_count, PySequence_Fast_GET_SIZE(seq));
    Py_DECREF(seq);
    return NULL;
  }
  if (self->busy) {
    PyErr_SetString(PyExc_RuntimeError, "Model.invoke() is already running in another thread");
    Py_DECREF(seq);
    return NULL;
  }
  for (int32_t i = 0; i < m->input_count; ++i) {
    Py_buffer view;
    if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(seq, i), &view, PyBUF_C_CONTIGUOUS) < 0) {
      Py_DECREF(seq);
      return NULL;
    }
    es_tensor *t = es_model_input(m, i);
    if ((size_t)view.len != t->bytes) {
      PyErr_Format(PyExc_ValueError, "input %d needs %zu bytes, got %zd", (int)i, t->bytes, view.len);
      PyBuffer_Release(&view);
      Py_DECREF(seq);
      return NULL;
    }
    if (t->bytes > 0) memcpy(t->data, view.buf, t->bytes);
    PyBuffer_Release(&view);
  }
  Py_DECREF(seq);
  es_status s;
  self->busy = 1;
  Py_BEGIN_ALLOW_THREADS
  s = es_model_invoke(m);
  Py_END_ALLOW_THREADS
  self->busy = 0;
  if (s != ES_OK) return model_error(self);
  PyObject *out = PyList_New(m->output_count);
  if (out == NULL) return NULL;
  for (int32_t i = 0; i < m->output_count; ++i) {
    const es_tensor *t = es_model_output(m, i);
    PyObject *b = PyBytes_FromStringAndSize((const char *)t->data, (Py_ssize_t)t->bytes);
    if (b == NULL) {
      Py_DECREF(out);
      return NULL;
    }
    PyList_SET_ITEM(out, i, b);
  }
  return out;
}

static PyObject *Model_get_inputs(ModelObject *self, void *Py_UNUSED(c)) {
  if (!ready(self)) return NULL;
  return index_tuple(self->model.inputs, self->model.input_count);
}

static PyObject *Model_get_outputs(ModelObject *self, void *Py_UNUSED(c)) {
  if (!ready(self)) return NULL;
  return index_tuple(self->model.outputs, self->model.output_count);
}

static PyObject *Model_get_arena_bytes(ModelObject *self, void *Py_UNUSED(c)) {
  return PyLong_FromSize_t(self->model.arena_used);
}

static PyObject *Model_get_persistent_bytes(ModelObject *self, void *Py_UNUSED(c)) {
  return PyLong_FromSize_t(self->model.persistent_bytes);
}

static PyObject *Model_get_activation_bytes(ModelObject *self, void *Py_UNUSED(c)) {
  return PyLong_FromSize_t(self->model.activation_bytes);
}

static PyMethodDef Model_methods[] = {
    {"tensors", (PyCFunction)Model_tensors, METH_NOARGS,
     "tensors() -> [(name, shape, dtype_code, nbytes, is_constant, scale, zero_point, channel_count, "
     "quantized_dimension)]"},
    {"nodes", (PyCFunction)Model_nodes, METH_NOARGS, "nodes() -> [(op_name, version)] in execution order"},
    {"invoke", (PyCFunction)Model_invoke, METH_O, "invoke([input buffers]) -> [output bytes]"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Model_getset[] = {
    {"inputs", (getter)Model_get_inputs, NULL, "tensor indices of the model inputs", NULL},
    {"outputs", (getter)Model_get_outputs, NULL, "tensor indices of the model outputs", NULL},
    {"arena_bytes", (getter)Model_get_arena_bytes, NULL, "arena bytes the model uses (allocated exactly)", NULL},
    {"persistent_bytes", (getter)Model_get_persistent_bytes, NULL, "arena bytes for records and op data", NULL},
    {"activation_bytes", (getter)Model_get_activation_bytes, NULL, "arena bytes for activations and scratch", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject ModelType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "edgesim._runtime.Model",
    .tp_basicsize = sizeof(ModelObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Model(data: bytes, name: str): a loaded .tflite model (see edgesim.Model)",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Model_init,
    .tp_dealloc = (destructor)Model_dealloc,
    .tp_methods = Model_methods,
    .tp_getset = Model_getset,
};

static PyObject *op_name(PyObject *Py_UNUSED(module), PyObject *arg) {
  long code = PyLong_AsLong(arg);
  if (code == -1 && PyErr_Occurred()) return NULL;
  if (code < 0 || code >= ES_SCHEMA_BUILTIN_COUNT) Py_RETURN_NONE;
  return PyUnicode_FromString(es_schema_op_name((int32_t)code));
}

static PyObject *option_layout(PyObject *Py_UNUSED(module), PyObject *arg) {
  long type = PyLong_AsLong(arg);
  if (type == -1 && PyErr_Occurred()) return NULL;
  const char *layout = (type < 0 || type > 255) ? NULL : es_schema_option_layout((int32_t)type);
  if (layout == NULL) Py_RETURN_NONE;
  return PyUnicode_FromString(layout);
}

static PyObject *supported_ops(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored)) {
  PyObject *list = PyList_New(es_all_ops.count);
  if (list == NULL) return NULL;
  for (int32_t i = 0; i < es_all_ops.count; ++i) {
    const es_op *op = es_all_ops.ops[i];
    PyObject *item = Py_BuildValue("(sii)", op->name, (int)op->builtin_code, (int)op->max_version);
    if (item == NULL) {
      Py_DECREF(list);
      return NULL;
    }
    PyList_SET_ITEM(list, i, item);
  }
  return list;
}

static PyObject *quantize_multiplier(PyObject *Py_UNUSED(module), PyObject *arg) {
  const double real = PyFloat_AsDouble(arg);
  if (real == -1.0 && PyErr_Occurred()) return NULL;
  es_qmul q;
  if (es_quantize_multiplier(real, &q) != ES_OK)
    return PyErr_Format(PyExc_ValueError, "multiplier %R is negative, not finite or not below 2**31", arg);
  return Py_BuildValue("(ii)", (int)q.multiplier, (int)q.shift);
}

static PyObject *activation_range_int8(PyObject *Py_UNUSED(module), PyObject *args) {
  int activation, zero_point;
  float scale;
  if (!PyArg_ParseTuple(args, "ifi:activation_range_int8", &activation, &scale, &zero_point)) return NULL;
  int32_t lo = 0, hi = 0;
  const es_status st = es_activation_range_int8(activation, scale, zero_point, &lo, &hi);
  if (st == ES_ERR_UNSUPPORTED)
    return PyErr_Format(PyExc_ValueError, "fused activation %d has no int8 kernel", activation);
  if (st != ES_OK)
    return PyErr_Format(PyExc_ValueError, "fused activation %d: output scale %g puts its bounds beyond int32",
                        activation, (double)scale);
  return Py_BuildValue("(ii)", (int)lo, (int)hi);
}

static PyObject *requantize_int8(PyObject *Py_UNUSED(module), PyObject *args) {
  int acc, multiplier, shift, zero_point, lo, hi;
  if (!PyArg_ParseTuple(args, "iiiiii:requantize_int8", &acc, &multiplier, &shift, &zero_point, &lo, &hi)) return NULL;
  if (shift < -31 || shift > 30) return PyErr_Format(PyExc_ValueError, "shift %d outside [-31, 30]", shift);
  return PyLong_FromLong(es_requantize_int8(acc, multiplier, shift, zero_point, lo, hi));
}

static PyMethodDef module_methods[] = {
    {"op_name", op_name, METH_O, "op_name(builtin_code) -> schema name, or None outside the table"},
    {"option_layout", option_layout, METH_O, "option_layout(options_type) -> field layout letters, or None"},
    {"supported_ops", supported_ops, METH_NOARGS, "supported_ops() -> [(name, builtin_code, max_version)]"},
    {"quantize_multiplier", quantize_multiplier, METH_O,
     "quantize_multiplier(real) -> (multiplier, shift): TFLM QuantizeMultiplier (es_quantize_multiplier)"},
    {"activation_range_int8", activation_range_int8, METH_VARARGS,
     "activation_range_int8(activation, scale, zero_point) -> (min, max) of an int8 output"},
    {"requantize_int8", requantize_int8, METH_VARARGS,
     "requantize_int8(acc, multiplier, shift, zero_point, min, max) -> TFLM's int8 output (es_requantize_int8)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "edgesim._runtime", "C inference runtime (see edgesim.model)", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__runtime(void) {
  if (PyType_Ready(&ModelType) < 0) return NULL;
  PyObject *m = PyModule_Create(&module_def);
  if (m == NULL) return NULL;
  Py_INCREF(&ModelType);
  if (PyModule_AddObject(m, "Model", (PyObject *)&ModelType) < 0 ||
      PyModule_AddIntConstant(m, "ARENA_ALIGN", ES_ARENA_ALIGN) < 0 ||
      PyModule_AddIntConstant(m, "MAX_TENSORS", ES_MODEL_MAX_TENSORS) < 0 ||
      PyModule_AddIntConstant(m, "SCHEMA_VERSION", ES_SCHEMA_VERSION) < 0 ||
      PyModule_AddIntConstant(m, "BUILTIN_COUNT", ES_SCHEMA_BUILTIN_COUNT) < 0 ||
      PyModule_AddIntConstant(m, "OPTIONS_COUNT", ES_SCHEMA_OPTIONS_COUNT) < 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
