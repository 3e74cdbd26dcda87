/* edgesim._jpeg: thin binding of the baseline JPEG decoder kernel.
 *
 *   _jpeg.info(data) -> (width, height, components)
 *   _jpeg.decode(data, rgb=False) -> (width, height, channels, bytes)
 *
 * Corrupt or unsupported data raises edgesim.errors.SourceError naming the
 * problem.  edgesim/compute/jpeg.py wraps the result as a numpy array.
 */
#include "common.h"

#include "edgesim/jpeg.h"

static PyObject *py_info(PyObject *self, PyObject *args) {
  Py_buffer data;
  es_jpeg_info info;
  const char *detail = "";
  es_status status;
  (void)self;
  if (!PyArg_ParseTuple(args, "y*:info", &data)) return NULL;
  status = es_jpeg_read_info((const uint8_t *)data.buf, (size_t)data.len, &info, &detail);
  PyBuffer_Release(&data);
  if (status != ES_OK) return es_py_raise("SourceError", status, "JPEG", detail);
  return Py_BuildValue("(iii)", info.width, info.height, info.components);
}

static PyObject *py_decode(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"data", "rgb", NULL};
  Py_buffer data;
  int rgb = 0;
  es_jpeg_info info;
  es_jpeg_pixel_format format;
  size_t workspace_bytes = 0, out_bytes = 0;
  void *workspace;
  PyObject *out;
  const char *detail = "";
  es_status status;
  (void)self;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*|p:decode", keywords, &data, &rgb))
    return NULL;
  format = rgb ? ES_JPEG_RGB888 : ES_JPEG_GRAY8;
  status = es_jpeg_read_info((const uint8_t *)data.buf, (size_t)data.len, &info, &detail);
  if (status == ES_OK) status = es_jpeg_workspace_size(&info, format, &workspace_bytes);
  if (status == ES_OK) status = es_jpeg_output_size(&info, format, &out_bytes);
  if (status != ES_OK) {
    PyBuffer_Release(&data);
    return es_py_raise("SourceError", status, "JPEG", detail);
  }
  workspace = PyMem_Malloc(workspace_bytes);
  out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)out_bytes);
  if (workspace == NULL || out == NULL) {
    PyMem_Free(workspace);
    Py_XDECREF(out);
    PyBuffer_Release(&data);
    return PyErr_NoMemory();
  }
  Py_BEGIN_ALLOW_THREADS
  status = es_jpeg_decode((const uint8_t *)data.buf, (size_t)data.len, format, workspace,
                          workspace_bytes, (uint8_t *)PyBytes_AS_STRING(out), out_bytes, &detail);
  Py_END_ALLOW_THREADS
  PyMem_Free(workspace);
  PyBuffer_Release(&data);
  if (status != ES_OK) {
    Py_DECREF(out);
    return es_py_raise("SourceError", status, "JPEG", detail);
  }
  return Py_BuildValue("(iiiN)", info.width, info.height, rgb ? 3 : 1, out);
}

static PyMethodDef methods[] = {
    {"info", py_info, METH_VARARGS, "info(data) -> (width, height, components)"},
    {"decode", (PyCFunction)(void (*)(void))py_decode, METH_VARARGS | METH_KEYWORDS,
     "decode(data, rgb=False) -> (width, height, channels, bytes)"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_jpeg",
                                    "Baseline JPEG decoder (edgesim/kernels/dsp/image/jpeg*.c)",
                                    -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__jpeg(void) { return PyModule_Create(&module); }
