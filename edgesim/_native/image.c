/* edgesim._image: camera frame -> 96x96 int8 person detection input.
 *
 * A thin binding over edgesim/kernels/dsp/image (see edgesim/image.h for the
 * arithmetic).  Pixel formats and resize methods are exported as module
 * attributes (PIXEL_GRAY8, ..., RESIZE_AREA, RESIZE_BILINEAR), with SIDE and
 * MAX_DIM from config.h; edgesim/compute/image.py is the numpy face:
 *
 *   >>> from edgesim import _image
 *   >>> len(_image.preprocess(bytes(96 * 96), 96, 96, 0, _image.PIXEL_GRAY8, _image.RESIZE_AREA))
 *   9216
 */
#include "common.h"

#include "edgesim/image.h"

/* preprocess(frame, width, height, stride, pixel_format, resize, side=SIDE, channels=1) -> bytes */
static PyObject *py_preprocess(PyObject *self, PyObject *args) {
  (void)self;
  Py_buffer frame;
  int width, height, stride, pixel_format, resize, side = ES_IMAGE_SIDE, channels = 1;
  if (!PyArg_ParseTuple(args, "y*iiiii|ii", &frame, &width, &height, &stride, &pixel_format, &resize, &side,
                        &channels))
    return NULL;
  const es_image_params params = {width, height, stride, pixel_format, resize};
  const es_image_output output = {side, channels};
  if (side < 1 || side > ES_IMAGE_MAX_OUT_SIDE || (channels != 1 && channels != 3)) {
    PyBuffer_Release(&frame);
    return es_py_raise_format("KernelError", "image preprocess: output must be 1..%d pixels square with 1 or 3 "
                              "channels, got side %d, %d channels", ES_IMAGE_MAX_OUT_SIDE, side, channels);
  }
  PyObject *result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)side * side * channels);
  if (result == NULL) {
    PyBuffer_Release(&frame);
    return NULL;
  }
  int8_t *out = (int8_t *)PyBytes_AS_STRING(result);
  const char *detail = "";
  es_status status;
  Py_BEGIN_ALLOW_THREADS
  status = es_image_preprocess_to(&params, &output, (const uint8_t *)frame.buf, (size_t)frame.len, out, &detail);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&frame);
  if (status != ES_OK) {
    Py_DECREF(result);
    return es_py_raise("KernelError", status, "image preprocess", detail);
  }
  return result;
}

/* to_frame(frame, width, height, stride, pixel_format, out_width, out_height) -> bytes (gray8) */
static PyObject *py_to_frame(PyObject *self, PyObject *args) {
  (void)self;
  Py_buffer frame;
  int width, height, stride, pixel_format, out_width, out_height;
  if (!PyArg_ParseTuple(args, "y*iiiiii", &frame, &width, &height, &stride, &pixel_format, &out_width,
                        &out_height))
    return NULL;
  if (out_width < 1 || out_height < 1 || out_width > ES_IMAGE_MAX_DIM || out_height > ES_IMAGE_MAX_DIM) {
    PyBuffer_Release(&frame);
    return es_py_raise("KernelError", ES_ERR_ARGUMENT, "sensor frame", "declared size out of range");
  }
  PyObject *result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)out_width * out_height);
  if (result == NULL) {
    PyBuffer_Release(&frame);
    return NULL;
  }
  const es_image_params params = {width, height, stride, pixel_format, ES_RESIZE_AREA};
  const char *detail = "";
  es_status status;
  Py_BEGIN_ALLOW_THREADS
  status = es_image_to_frame(&params, (const uint8_t *)frame.buf, (size_t)frame.len, out_width, out_height,
                             (uint8_t *)PyBytes_AS_STRING(result), &detail);
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&frame);
  if (status != ES_OK) {
    Py_DECREF(result);
    return es_py_raise("KernelError", status, "sensor frame", detail);
  }
  return result;
}

static PyMethodDef methods[] = {
    {"to_frame", py_to_frame, METH_VARARGS,
     "to_frame(frame, width, height, stride, pixel_format, out_width, out_height) -> bytes\n\n"
     "Centre-crop to the declared aspect and area-resize a camera frame to out_width*out_height gray bytes."},
    {"preprocess", py_preprocess, METH_VARARGS,
     "preprocess(frame, width, height, stride, pixel_format, resize, side=SIDE, channels=1) -> bytes\n\n"
     "Centre-crop, resize and quantize a camera frame into side*side*channels int8 bytes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "edgesim._image",
                                    "Camera frame preprocessing kernels (edgesim/image.h).", -1, methods,
                                    NULL, NULL, NULL, NULL};

static const es_py_int_constant constants[] = {
    {"SIDE", ES_IMAGE_SIDE},
    {"MAX_OUT_SIDE", ES_IMAGE_MAX_OUT_SIDE},
    {"MAX_DIM", ES_IMAGE_MAX_DIM},
    {"PIXEL_GRAY8", ES_PIXEL_GRAY8},
    {"PIXEL_RGB888", ES_PIXEL_RGB888},
    {"PIXEL_BGR888", ES_PIXEL_BGR888},
    {"PIXEL_RGB565", ES_PIXEL_RGB565},
    {"PIXEL_RGB565LE", ES_PIXEL_RGB565LE},
    {"PIXEL_YUYV", ES_PIXEL_YUYV},
    {"RESIZE_AREA", ES_RESIZE_AREA},
    {"RESIZE_BILINEAR", ES_RESIZE_BILINEAR},
};

PyMODINIT_FUNC PyInit__image(void) {
  PyObject *m = PyModule_Create(&module);
  if (m == NULL) return NULL;
  if (es_py_add_int_constants(m, constants, ES_PY_COUNT(constants)) != 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
