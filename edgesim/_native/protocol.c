/* edgesim._protocol: the frame codec of edgesim/kernels/protocol and the
 * protocol constants of edgesim/protocol.h as module attributes (prefix
 * ES_PROTO_ removed, e.g. _protocol.MAGIC, _protocol.SCORES), the es_status
 * codes of status.h as STATUS_<name> (ES_ERR_SHAPE -> STATUS_SHAPE), and the
 * payload layouts of protocol.h as LAYOUTS {name: (struct format, field names)}.
 *
 * This is the host's only frame codec; edgesim/protocol.py builds the typed
 * messages on top of it:
 *
 *   >>> from edgesim import _protocol
 *   >>> frame = _protocol.encode(_protocol.END, 7, b"")
 *   >>> decoder = _protocol.Decoder()
 *   >>> decoder.feed(b"junk" + frame)
 *   [(12, 0, 7, b'')]
 *   >>> decoder.counters()
 *   {'frames': 1, 'rejected': 0, 'skipped': 4}
 *   >>> _protocol.LAYOUTS["SCORES_HEADER"]
 *   ('<II', ('index', 'timestamp'))
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

/* ---- Decoder: a streaming es_proto_decoder owned by a Python object --------- */

typedef struct {
  PyObject_HEAD
  es_proto_decoder decoder;
  uint8_t buffer[ES_PROTO_MAX_FRAME];
} DecoderObject;

static int Decoder_init(DecoderObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"capacity", NULL};
  Py_ssize_t capacity = ES_PROTO_MAX_FRAME;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|n", keywords, &capacity)) return -1;
  if (capacity < (Py_ssize_t)(ES_PROTO_HEADER_BYTES + ES_PROTO_CRC_BYTES) ||
      capacity > (Py_ssize_t)ES_PROTO_MAX_FRAME) {
    es_py_raise_format("ProtocolError", "decoder capacity %zd out of range %u..%u", capacity,
                       ES_PROTO_HEADER_BYTES + ES_PROTO_CRC_BYTES, ES_PROTO_MAX_FRAME);
    return -1;
  }
  es_proto_decoder_init(&self->decoder, self->buffer, (size_t)capacity);
  return 0;
}

/* Appends every frame the decoder yields now to `frames`; 0, or -1 with an error set. */
static int drain(es_proto_decoder *decoder, PyObject *frames) {
  for (;;) {
    es_proto_frame frame;
    int ready = 0;
    es_proto_decoder_next(decoder, &frame, &ready);
    if (!ready) return 0;
    PyObject *item = Py_BuildValue("(iiiy#)", frame.type, frame.flags, frame.seq, (const char *)frame.payload,
                                   (Py_ssize_t)frame.length);
    int failed = item == NULL || PyList_Append(frames, item) != 0;
    Py_XDECREF(item);
    if (failed) return -1;
  }
}

/* Feeds all of data through the decoder, collecting frames as the buffer fills. */
static int feed_all(es_proto_decoder *decoder, const uint8_t *p, size_t remaining, PyObject *frames) {
  for (;;) {
    size_t accepted = 0;
    es_proto_decoder_write(decoder, p, remaining, &accepted);
    p += accepted;
    remaining -= accepted;
    if (drain(decoder, frames) != 0) return -1;
    if (remaining == 0) return 0;
  }
}

static PyObject *Decoder_feed(DecoderObject *self, PyObject *args) {
  Py_buffer data;
  if (!PyArg_ParseTuple(args, "y*", &data)) return NULL;
  PyObject *frames = PyList_New(0);
  if (frames != NULL && feed_all(&self->decoder, (const uint8_t *)data.buf, (size_t)data.len, frames) != 0)
    Py_CLEAR(frames);
  PyBuffer_Release(&data);
  return frames;
}

static PyObject *Decoder_abandon(DecoderObject *self, PyObject *unused) {
  (void)unused;
  es_proto_decoder_abandon(&self->decoder);
  PyObject *frames = PyList_New(0);
  if (frames != NULL && drain(&self->decoder, frames) != 0) Py_CLEAR(frames);
  return frames;
}

static PyObject *counters_of(const es_proto_decoder *decoder) {
  return Py_BuildValue("{s:k,s:k,s:k}", "frames", (unsigned long)decoder->frames, "rejected",
                       (unsigned long)decoder->rejected, "skipped", (unsigned long)decoder->skipped);
}

static PyObject *Decoder_counters(DecoderObject *self, PyObject *unused) {
  (void)unused;
  return counters_of(&self->decoder);
}

static PyObject *Decoder_pending(DecoderObject *self, void *closure) {
  (void)closure;
  return PyLong_FromSize_t(self->decoder.fill - self->decoder.start);
}

static PyMethodDef Decoder_methods[] = {
    {"feed", (PyCFunction)Decoder_feed, METH_VARARGS,
     "feed(data) -> [(type, flags, seq, payload)]: the frames completed by data (garbage is skipped)."},
    {"abandon", (PyCFunction)Decoder_abandon, METH_NOARGS,
     "abandon() -> frames: the line went quiet inside a frame: drop its first byte, rescan what follows."},
    {"counters", (PyCFunction)Decoder_counters, METH_NOARGS,
     "counters() -> {'frames', 'rejected', 'skipped'}: the decoder's totals."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Decoder_getset[] = {
    {"pending", (getter)Decoder_pending, NULL, "bytes received but not yet part of a frame", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject DecoderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "edgesim._protocol.Decoder",
    .tp_basicsize = sizeof(DecoderObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Decoder(capacity=MAX_FRAME): the firmware's resynchronising stream decoder over its own buffer.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Decoder_init,
    .tp_methods = Decoder_methods,
    .tp_getset = Decoder_getset,
};

static PyObject *py_encode_repeat(PyObject *self, PyObject *args) {
  (void)self;
  int flags;
  int next;
  int own_next;
  if (!PyArg_ParseTuple(args, "iii", &flags, &next, &own_next)) return NULL;
  if (flags < 0 || flags > 255 || next < 0 || next > 0xFFFF || own_next < 0 || own_next > 0xFFFF)
    return es_py_raise("ProtocolError", ES_ERR_ARGUMENT, "encode_repeat", "flags must fit u8, next and own_next u16");
  uint8_t out[ES_PROTO_HEADER_BYTES + ES_PROTO_REPEAT_BYTES + ES_PROTO_CRC_BYTES];
  size_t written = 0;
  es_proto_encode_repeat((uint8_t)flags, (uint16_t)next, (uint16_t)own_next, out, sizeof out, &written);
  return PyBytes_FromStringAndSize((const char *)out, (Py_ssize_t)written);
}

/* decode(data, capacity=MAX_FRAME) -> ([(type, flags, seq, payload)], counters): one-shot Decoder. */
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
  if (frames != NULL && feed_all(&decoder, (const uint8_t *)data.buf, (size_t)data.len, frames) != 0)
    Py_CLEAR(frames);
  PyBuffer_Release(&data);
  if (frames == NULL) return NULL;
  PyObject *counters = counters_of(&decoder);
  if (counters == NULL) {
    Py_DECREF(frames);
    return NULL;
  }
  return Py_BuildValue("(NN)", frames, counters);
}

/* ---- LAYOUTS: protocol.h's field lists as struct formats ------------------- */

#define STRUCT_CODE_U8 "B"
#define STRUCT_CODE_U16 "H"
#define STRUCT_CODE_U32 "I"
#define STRUCT_CODE_I16 "h"
#define STRUCT_CODE_F32 "f"
#define STRUCT_CODE_PAD "x"
#define FIELD_CODE(kind, name) STRUCT_CODE_##kind
#define FIELD_NAME(kind, name) #name,
#define FIELD_IS_DATA(kind, name) IS_DATA_##kind,
enum { IS_DATA_U8 = 1, IS_DATA_U16 = 1, IS_DATA_U32 = 1, IS_DATA_I16 = 1, IS_DATA_F32 = 1, IS_DATA_PAD = 0 };

/* (format, names) for one field list; PAD fields appear in the format only. */
static PyObject *layout(const char *format, const char *const *names, const int *is_data, size_t count) {
  PyObject *fields = PyList_New(0);
  for (size_t i = 0; fields != NULL && i < count; ++i) {
    if (!is_data[i]) continue;
    PyObject *name = PyUnicode_FromString(names[i]);
    if (name == NULL || PyList_Append(fields, name) != 0) Py_CLEAR(fields);
    Py_XDECREF(name);
  }
  if (fields == NULL) return NULL;
  PyObject *tuple = PyList_AsTuple(fields);
  Py_DECREF(fields);
  return tuple ? Py_BuildValue("(sN)", format, tuple) : NULL;
}

static PyObject *layouts(void) {
  PyObject *out = PyDict_New();
#define ADD_LAYOUT(list, bytes)                                                                        \
  if (out != NULL) {                                                                                   \
    static const char *const names[] = {ES_PROTO_##list##_FIELDS(FIELD_NAME)};                        \
    static const int is_data[] = {ES_PROTO_##list##_FIELDS(FIELD_IS_DATA)};                           \
    PyObject *entry = layout("<" ES_PROTO_##list##_FIELDS(FIELD_CODE), names, is_data, ES_PY_COUNT(names)); \
    if (entry == NULL || PyDict_SetItemString(out, #list, entry) != 0) Py_CLEAR(out);                 \
    Py_XDECREF(entry);                                                                                 \
  }
  ES_PROTO_LAYOUTS(ADD_LAYOUT)
#undef ADD_LAYOUT
  return out;
}

static PyMethodDef methods[] = {
    {"crc32", py_crc32, METH_VARARGS, "crc32(data, crc=0) -> int: the codec's CRC-32 (equals zlib.crc32)."},
    {"encode", py_encode, METH_VARARGS, "encode(type, seq, payload) -> bytes: one frame."},
    {"encode_repeat", py_encode_repeat, METH_VARARGS,
     "encode_repeat(flags, next, own_next) -> bytes: a REPEAT frame (FLAG_RESEND / FLAG_POLL, next expected seq, "
     "the sender's own next seq)."},
    {"decode", py_decode, METH_VARARGS,
     "decode(data, capacity=MAX_FRAME) -> (frames, counters): every frame a fresh Decoder finds in data."},
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
  EXPORT(END); EXPORT(FAULT); EXPORT(REPEAT); EXPORT(RAW); EXPORT(TYPE_COUNT);
  EXPORT(FLAG_RESEND); EXPORT(FLAG_POLL); EXPORT(REPEAT_BYTES);
  EXPORT(CONFIG_BYTES); EXPORT(CFG_FEATURES); EXPORT(CFG_STATS); EXPORT(CFG_RAW);
  EXPORT(HELLO_BYTES); EXPORT(APP_WAKE_WORD); EXPORT(APP_PERSON_DETECTION); EXPORT(APP_GESTURE);
  EXPORT(BOARD_MPS2_AN386); EXPORT(BOARD_NANO33BLE);
  EXPORT(IMAGE_HEADER_BYTES); EXPORT(IMU_SAMPLE_BYTES); EXPORT(FEATURES_HEADER_BYTES);
  EXPORT(SCORES_HEADER_BYTES); EXPORT(DETECTION_BYTES);
  EXPORT(DET_COMMAND); EXPORT(DET_ENTER); EXPORT(DET_LEAVE); EXPORT(DET_GESTURE);
  EXPORT(STAGE_PREPROCESS); EXPORT(STAGE_INVOKE); EXPORT(STAGE_POSTPROCESS); EXPORT(STAGE_COUNT);
  EXPORT(STATS_BYTES); EXPORT(STAGE_PROTOCOL); EXPORT(ERROR_HEADER_BYTES); EXPORT(END_BYTES);
  EXPORT(FAULT_BYTES); EXPORT(RAW_HEADER_BYTES); EXPORT(EXIT_OK); EXPORT(EXIT_ERROR); EXPORT(EXIT_FAULT);
  if (es_py_add_int_constants(m, status_codes, ES_PY_COUNT(status_codes)) != 0) goto fail;
  if (es_py_add_type(m, "Decoder", &DecoderType) != 0) goto fail;
  PyObject *table = layouts();
  if (table == NULL || PyModule_AddObject(m, "LAYOUTS", table) != 0) {
    Py_XDECREF(table);
    goto fail;
  }
  return m;
fail:
  Py_DECREF(m);
  return NULL;
}
