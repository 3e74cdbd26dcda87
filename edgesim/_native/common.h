/* Helpers shared by the thin CPython bindings in this folder.
 *
 * Each edgesim/_native/<stem>.c becomes the extension module edgesim._<stem>
 * (see setup.py).  Bindings take objects supporting the buffer protocol
 * (numpy arrays, bytes) and return bytes/bytearray or plain Python values; the
 * Python faces (edgesim/<concern>.py) wrap them with numpy.  Kernel statuses become
 * exceptions from edgesim.errors via es_py_raise().
 */
#ifndef EDGESIM_NATIVE_COMMON_H
#define EDGESIM_NATIVE_COMMON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdarg.h>

#include "edgesim/status.h"

/* The module a binding file is compiled into.  setup.py builds the bindings
 * in AVX2_VARIANTS twice on x86-64: edgesim._<stem> for any CPU and
 * edgesim._<stem>_avx2 with -mavx2, passing -DES_MODULE=_<stem>_avx2;
 * edgesim/compute/cpu.py picks one at import.  Integer kernels: both give the
 * same bits.  A binding names its module and init function with these:
 *
 *   #define ES_DEFAULT_MODULE _audio
 *   static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, ES_MODULE_NAME, ...};
 *   PyMODINIT_FUNC ES_MODULE_INIT(void) { ... }
 */
#define ES_STRINGIFY(x) #x
#define ES_XSTRINGIFY(x) ES_STRINGIFY(x)
#define ES_PASTE(a, b) a##b
#define ES_XPASTE(a, b) ES_PASTE(a, b)
#ifdef ES_MODULE
#define ES_MODULE_NAME "edgesim." ES_XSTRINGIFY(ES_MODULE)
#define ES_MODULE_INIT ES_XPASTE(PyInit_, ES_MODULE)
#else
#define ES_MODULE_NAME "edgesim." ES_XSTRINGIFY(ES_DEFAULT_MODULE)
#define ES_MODULE_INIT ES_XPASTE(PyInit_, ES_DEFAULT_MODULE)
#endif

/* Raise edgesim.errors.<family> with a printf-style message (PyErr_Format
 * syntax), for messages that need numbers:
 *
 *   return es_py_raise_format("KernelError", "sample %zu is not finite", i);
 *
 * Always returns NULL.  If edgesim.errors cannot be imported, that
 * ImportError/AttributeError is what the caller sees. */
static inline PyObject *es_py_raise_format(const char *family, const char *format, ...) {
  PyObject *errors = PyImport_ImportModule("edgesim.errors");
  PyObject *cls = errors ? PyObject_GetAttrString(errors, family) : NULL;
  Py_XDECREF(errors);
  if (cls == NULL) return NULL;
  va_list args;
  va_start(args, format);
  PyObject *message = PyUnicode_FromFormatV(format, args);
  va_end(args);
  if (message != NULL) {
    PyErr_SetObject(cls, message);
    Py_DECREF(message);
  }
  Py_DECREF(cls);
  return NULL;
}

/* Raise edgesim.errors.<family>("<context>: <status text>[: detail]").
 * Always returns NULL so callers can `return es_py_raise(...)`. */
static inline PyObject *es_py_raise(const char *family, es_status status, const char *context,
                                    const char *detail) {
  if (detail != NULL && detail[0] != '\0')
    return es_py_raise_format(family, "%s: %s: %s", context, es_status_str(status), detail);
  return es_py_raise_format(family, "%s: %s", context, es_status_str(status));
}

/* One integer module attribute, e.g. {"SIDE", ES_IMAGE_SIDE}. */
typedef struct {
  const char *name;
  long value;
} es_py_int_constant;

/* Add every constant of table[0..count) to module m; returns 0, or -1 with
 * the Python error set.  Usage in PyInit_<stem>:
 *
 *   static const es_py_int_constant constants[] = {{"SIDE", ES_IMAGE_SIDE}};
 *   if (es_py_add_int_constants(m, constants, ES_PY_COUNT(constants)) != 0) goto fail;
 */
#define ES_PY_COUNT(array) (sizeof(array) / sizeof((array)[0]))
static inline int es_py_add_int_constants(PyObject *m, const es_py_int_constant *table, size_t count) {
  for (size_t i = 0; i < count; ++i)
    if (PyModule_AddIntConstant(m, table[i].name, table[i].value) != 0) return -1;
  return 0;
}

/* PyType_Ready(type) and add it to module m as `name`; returns 0, or -1 with
 * the Python error set (the module keeps no reference on failure). */
static inline int es_py_add_type(PyObject *m, const char *name, PyTypeObject *type) {
  if (PyType_Ready(type) < 0) return -1;
  Py_INCREF(type);
  if (PyModule_AddObject(m, name, (PyObject *)type) != 0) {
    Py_DECREF(type);
    return -1;
  }
  return 0;
}

#endif /* EDGESIM_NATIVE_COMMON_H */
