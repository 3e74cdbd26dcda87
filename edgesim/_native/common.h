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

#include "edgesim/status.h"

/* Raise edgesim.errors.<family>("<context>: <status text>[: detail]").
 * Always returns NULL so callers can `return es_py_raise(...)`. */
static inline PyObject *es_py_raise(const char *family, es_status status, const char *context,
                                    const char *detail) {
  PyObject *errors = PyImport_ImportModule("edgesim.errors");
  PyObject *cls = errors ? PyObject_GetAttrString(errors, family) : NULL;
  Py_XDECREF(errors);
  if (cls == NULL) return NULL; /* ImportError/AttributeError already set */
  if (detail != NULL && detail[0] != '\0')
    PyErr_Format(cls, "%s: %s: %s", context, es_status_str(status), detail);
  else
    PyErr_Format(cls, "%s: %s", context, es_status_str(status));
  Py_DECREF(cls);
  return NULL;
}

#endif /* EDGESIM_NATIVE_COMMON_H */
