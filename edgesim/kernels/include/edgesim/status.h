/* Status codes shared by every edgesim kernel.
 *
 * Every kernel function returns an es_status; none prints, allocates or
 * aborts.  es_status_str() gives a short, stable description that the Python
 * bindings and the firmware turn into error messages / error frames.  New
 * codes are appended (the numbers travel in protocol error frames).
 */
#ifndef EDGESIM_STATUS_H
#define EDGESIM_STATUS_H

typedef enum es_status {
  ES_OK = 0,
  ES_ERR_ARGUMENT = 1,        /* NULL pointer, zero length, out-of-range parameter */
  ES_ERR_MODEL_FORMAT = 2,    /* flatbuffer malformed, truncated or inconsistent */
  ES_ERR_UNSUPPORTED_OP = 3,  /* builtin/custom op or op version not registered */
  ES_ERR_UNSUPPORTED = 4,     /* valid but unsupported (dtype, rank, option value) */
  ES_ERR_ARENA_TOO_SMALL = 5, /* caller-provided memory does not fit the plan */
  ES_ERR_SHAPE = 6,           /* tensor shapes inconsistent with the op */
  ES_ERR_QUANTIZATION = 7,    /* missing or invalid scale / zero point */
  ES_ERR_INPUT_DATA = 8,      /* NaN/inf, absurd sizes or corrupt sensor data */
  ES_ERR_BUFFER_FULL = 9,     /* streaming buffer cannot take more input now */
  ES_ERR_PROTOCOL = 10,       /* bad frame: magic, version, length or CRC */
  ES_ERR_STATE = 11,          /* call made in the wrong state (e.g. invoke before init) */
  ES_ERR_IMAGE_FORMAT = 12,   /* corrupt or unsupported image (e.g. JPEG) */
  ES_STATUS_COUNT
} es_status;

/* Short English description of a status; never NULL. */
const char *es_status_str(es_status status);

#endif /* EDGESIM_STATUS_H */
