/* edgesim._protocol: the frame codec of edgesim/kernels/protocol and the
 * protocol constants of edgesim/protocol.h as module attributes (prefix
 * ES_PROTO_ removed, e.g. _protocol.MAGIC, _protocol.SCORES), and the es_status
 * codes of status.h as STATUS_<name> (ES_ERR_SHAPE -> STATUS_SHAPE).
 *
 * edgesim/protocol.py is the host's codec; this module gives it the ids and
 * sizes, and lets tests check it against the firmware's C codec:
 *
 *   >>> from edgesim import _protocol
 *   >>> frame = _protocol.encode(_protocol.END, 7, b"")
 *   >>> _protocol.decode(b"junk" + frame)
 *   ([(12, 0, 7, b'')], {'frames': 1, 'rejected': 0, 'skipped': 4})
 */
#include "common.h"

#include "edgesim/protocol.h"

static PyObject *py_crc32(PyObject *self, PyObject *args) {
  (void)self;
  Py_buffer data;
  unsigned long crc = 0;
  if (!PyArg_ParseTuple(args, "y*|k", &data, &crc)) return NULL;
  uint32_t value = es_crc32_update((uint32_t)crc, (const uint8_t *)data.buf, (size_t)data.len);
  PyBuffer_Release(&data);
  return PyLong_FromUnsignedLong(value);
}

static PyObject *py_encode(PyObject *self, PyObject *args) {
  (void)self;
  int type;
  int seq;
  Py_buffer payload;
  if (!PyArg_ParseTuple(args, "iiy*", &type, &seq, &payload)) return NULL;
  if (type < 0 || type > 255 || seq < 0 || seq > 0xFFFF) {
    PyBuffer_Release(&payload);
    return es_py_raise("ProtocolError", ES_ERR_ARGUMENT, "encode", "type must fit u8 and seq u16");
  }
  uint8_t out[ES_PROTO_MAX_FRAME];
  size_t written = 0;
  es_status status = es_proto_encode((uint8_t)type, (uint16_t)seq, (const uint8_t *)payload.buf,
                                     (size_t)payload.len, out, sizeof out, &written);
  PyBuffer_Release(&payload);
  if (status != ES_OK) return es_py_raise("ProtocolError", status, "encode", "bad type or payload too long");
  return PyBytes_FromStringAndSize((const char *)out, (Py_ssize_t)written);
}

/* decode(data, capacity=MAX_FRAME) -> ([(type, flags, seq, payload)], counters) */
static PyObject *py_decode(PyObject *self, PyObject *args) {
  (void)self;
  Py_buffer data;
  Py_ssize_t capacity = ES_PROTO_MAX_FRAME;
  if (!PyArg_ParseTuple(args, "y*|n", &data, &capacity)) return NULL;
  if (capacity < (Py_ssize_t)(ES_PROTO_HEADER_BYTES + ES_PROTO_CRC_BYTES) ||
      capacity > (Py_ssize_t)ES_PROTO_MAX_FRAME) {
    PyBuffer_Release(&data);
    return es_py_raise("ProtocolError", ES_ERR_ARGUMENT, "decode", "capacity out of range");
  }
  uint8_t buffer[ES_PROTO_MAX_FRAME];
  es_proto_decoder decoder;
  es_proto_decoder_init(&decoder, buffer, (size_t)capacity);
  PyObject *frames = PyList_New(0);
  const uint8_t *p = (const uint8_t *)data.buf;
  size_t remaining = (size_t)data.len;
  while (frames != NULL) {
    size_t accepted = 0;
    es_proto_decoder_write(&decoder, p, remaining, &accepted);
    p += accepted;
    remaining -= accepted;
    int ready = 1;
    while (ready && frames != NULL) {
      es_proto_frame frame;
      es_proto_decoder_next(&decoder, &frame, &ready);
      if (!ready) break;
      PyObject *item = Py_BuildValue("(iiiy#)", frame.type, frame.flags, frame.seq,
                                     (const char *)frame.payload, (Py_ssize_t)frame.length);
      if (item == NULL || PyList_Append(frames, item) != 0) Py_CLEAR(frames);
      Py_XDECREF(item);
    }
    if (remaining == 0) break;
  }
  PyBuffer_Release(&data);
  if (frames == NULL) return NULL;
  PyObject *counters = Py_BuildValue("{s:k,s:k,s:k}", "frames", (unsigned long)decoder.frames,
                                     "rejected", (unsigned long)decoder.rejected, "skipped",
                                     (unsigned long)decoder.skipped);
  if (counters == NULL) {
    Py_DECREF(frames);
    return NULL;
  }
  return Py_BuildValue("(NN)", frames, counters);
}

static PyMethodDef methods[] = {
    {"crc32", py_crc32, METH_VARARGS, "crc32(data, crc=0) -> int: the codec's CRC-32 (equals zlib.crc32)."},
    {"encode", py_encode, METH_VARARGS, "encode(type, seq, payload) -> bytes: one frame."},
    {"decode", py_decode, METH_VARARGS,
     "decode(data, capacity=MAX_FRAME) -> (frames, counters): every frame the C decoder finds in data."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "edgesim._protocol",
                                    "C frame codec and protocol constants (edgesim/protocol.h).", -1,
                                    methods, NULL, NULL, NULL, NULL};

/* es_status codes (status.h), for naming the status of the firmware's ERROR frames. */
static const es_py_int_constant status_codes[] = {
    {"STATUS_OK", ES_OK},
    {"STATUS_ARGUMENT", ES_ERR_ARGUMENT},
    {"STATUS_MODEL_FORMAT", ES_ERR_MODEL_FORMAT},
    {"STATUS_UNSUPPORTED_OP", ES_ERR_UNSUPPORTED_OP},
    {"STATUS_UNSUPPORTED", ES_ERR_UNSUPPORTED},
    {"STATUS_ARENA_TOO_SMALL", ES_ERR_ARENA_TOO_SMALL},
    {"STATUS_SHAPE", ES_ERR_SHAPE},
    {"STATUS_QUANTIZATION", ES_ERR_QUANTIZATION},
    {"STATUS_INPUT_DATA", ES_ERR_INPUT_DATA},
    {"STATUS_BUFFER_FULL", ES_ERR_BUFFER_FULL},
    {"STATUS_PROTOCOL", ES_ERR_PROTOCOL},
    {"STATUS_STATE", ES_ERR_STATE},
    {"STATUS_IMAGE_FORMAT", ES_ERR_IMAGE_FORMAT},
};

#define EXPORT(name) \
  if (PyModule_AddIntConstant(m, #name, (long)ES_PROTO_##name) != 0) goto fail

PyMODINIT_FUNC PyInit__protocol(void) {
  PyObject *m = PyModule_Create(&module);
  if (m == NULL) return NULL;
  EXPORT(MAGIC); EXPORT(VERSION); EXPORT(HEADER_BYTES); EXPORT(CRC_BYTES);
  EXPORT(MAX_PAYLOAD); EXPORT(MAX_FRAME);
  EXPORT(HELLO); EXPORT(CONFIG); EXPORT(AUDIO); EXPORT(IMAGE); EXPORT(IMU); EXPORT(STROKE);
  EXPORT(FEATURES); EXPORT(SCORES); EXPORT(DETECTION); EXPORT(STATS); EXPORT(ERROR);
  EXPORT(END); EXPORT(FAULT); EXPORT(TYPE_COUNT);
  EXPORT(CONFIG_BYTES); EXPORT(CFG_FEATURES); EXPORT(CFG_STATS);
  EXPORT(HELLO_BYTES); EXPORT(APP_WAKE_WORD); EXPORT(APP_PERSON_DETECTION); EXPORT(APP_GESTURE);
  EXPORT(BOARD_MPS2_AN386); EXPORT(BOARD_NANO33BLE);
  EXPORT(IMAGE_HEADER_BYTES); EXPORT(IMU_SAMPLE_BYTES); EXPORT(FEATURES_HEADER_BYTES);
  EXPORT(SCORES_HEADER_BYTES); EXPORT(DETECTION_BYTES);
  EXPORT(DET_COMMAND); EXPORT(DET_ENTER); EXPORT(DET_LEAVE); EXPORT(DET_GESTURE);
  EXPORT(STAGE_PREPROCESS); EXPORT(STAGE_INVOKE); EXPORT(STAGE_POSTPROCESS); EXPORT(STAGE_COUNT);
  EXPORT(STATS_BYTES); EXPORT(STAGE_PROTOCOL); EXPORT(ERROR_HEADER_BYTES); EXPORT(END_BYTES);
  EXPORT(FAULT_BYTES); EXPORT(EXIT_OK); EXPORT(EXIT_ERROR); EXPORT(EXIT_FAULT);
  if (es_py_add_int_constants(m, status_codes, ES_PY_COUNT(status_codes)) != 0) goto fail;
  return m;
fail:
  Py_DECREF(m);
  return NULL;
}
