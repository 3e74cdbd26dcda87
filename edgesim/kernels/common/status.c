#include "edgesim/status.h"

const char *es_status_str(es_status status) {
  switch (status) {
    case ES_OK: return "ok";
    case ES_ERR_ARGUMENT: return "invalid argument";
    case ES_ERR_MODEL_FORMAT: return "malformed model";
    case ES_ERR_UNSUPPORTED_OP: return "unsupported operator";
    case ES_ERR_UNSUPPORTED: return "unsupported feature";
    case ES_ERR_ARENA_TOO_SMALL: return "arena too small";
    case ES_ERR_SHAPE: return "tensor shape mismatch";
    case ES_ERR_QUANTIZATION: return "invalid quantization parameters";
    case ES_ERR_INPUT_DATA: return "invalid input data";
    case ES_ERR_BUFFER_FULL: return "buffer full";
    case ES_ERR_PROTOCOL: return "protocol error";
    case ES_ERR_STATE: return "invalid state";
    case ES_ERR_IMAGE_FORMAT: return "corrupt or unsupported image";
    case ES_STATUS_COUNT: break;
  }
  return "unknown status";
}
