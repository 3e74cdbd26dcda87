/* Person detection glue: IMAGE frames (in chunks) -> centre crop, resize to
 * 96x96, gray - 128 (es_image_preprocess) -> the model -> hysteresis on the
 * watched label's score.  Mirrors edgesim/targets/host.py (ImageFeeder +
 * PostProcessor.hysteresis_event). */
#include <string.h>

#include "app.h"
#include "app_config.h"
#include "edgesim/image.h"
#include "edgesim/post.h"

/* Largest frame the device accepts (config.h): a QVGA gray frame (320x240). */
#define FRAME_CAPACITY ((uint32_t)ES_FW_FRAME_BUFFER_BYTES)

static uint8_t frame_buffer[FRAME_CAPACITY];
static uint32_t frame_bytes; /* bytes of the frame being assembled */
static uint32_t received;
static uint32_t images;
static es_tensor *input;
static const es_hysteresis_params hysteresis_params = {FW_HYST_ON_THRESHOLD, FW_HYST_OFF_THRESHOLD,
                                                       FW_HYST_ON_COUNT, FW_HYST_OFF_COUNT};
static es_hysteresis_state hysteresis;

es_status app_init(es_model *model, const char **detail) {
  input = app_model_input(model, ES_IMAGE_SIDE * ES_IMAGE_SIDE);
  if (input == NULL) {
    *detail = "model input must be int8 96x96x1 and output int8, one score per label";
    return ES_ERR_SHAPE;
  }
  es_status status = es_hysteresis_init(&hysteresis_params, &hysteresis);
  if (status != ES_OK) *detail = "hysteresis parameters rejected";
  app_reset();
  return status;
}

void app_reset(void) {
  es_hysteresis_reset(&hysteresis);
  frame_bytes = received = images = 0;
}

es_status app_on_frame(const es_proto_frame *frame, const char **detail) {
  if (frame->type != ES_PROTO_IMAGE || frame->length < ES_PROTO_IMAGE_HEADER_BYTES) {
    *detail = "person detection takes IMAGE frames";
    return ES_ERR_PROTOCOL;
  }
  const uint8_t *p = frame->payload;
  es_image_params params = {es_get_u16(p), es_get_u16(p + 2), 0, p[4], FW_IMAGE_RESIZE};
  uint32_t offset = es_get_u32(p + 8);
  uint32_t chunk = frame->length - ES_PROTO_IMAGE_HEADER_BYTES;
  int32_t bpp = es_pixel_format_bytes(params.pixel_format);
  uint32_t total = (uint32_t)params.width * (uint32_t)params.height * (uint32_t)(bpp > 0 ? bpp : 0);
  if (bpp <= 0 || total == 0) {
    *detail = "unknown pixel format or empty image";
    return ES_ERR_IMAGE_FORMAT;
  }
  if (total > FRAME_CAPACITY) {
    *detail = "image larger than the firmware's 76800-byte frame buffer (320x240 gray)";
    return ES_ERR_BUFFER_FULL;
  }
  if (offset == 0) {
    frame_bytes = total;
    received = 0;
  }
  if (total != frame_bytes || offset != received || chunk > total - offset) {
    frame_bytes = received = 0;
    *detail = "IMAGE chunk out of order or inconsistent with the frame's size";
    return ES_ERR_PROTOCOL;
  }
  memcpy(frame_buffer + offset, p + ES_PROTO_IMAGE_HEADER_BYTES, chunk);
  received += chunk;
  if (received < total) return ES_OK;

  app_stage_begin(ES_PROTO_STAGE_PREPROCESS);
  es_status status = es_image_preprocess(&params, frame_buffer, total, (int8_t *)input->data, detail);
  app_stage_end(ES_PROTO_STAGE_PREPROCESS);
  frame_bytes = received = 0;
  if (status != ES_OK) return status;
  return app_infer(images++, detail);
}

es_status app_postprocess(const int8_t *scores, uint32_t timestamp, const char **detail) {
  es_hysteresis_output out;
  es_status status = es_hysteresis_process(&hysteresis_params, &hysteresis, scores[FW_HYST_LABEL], &out);
  if (status != ES_OK) {
    *detail = "hysteresis rejected the score";
    return status;
  }
  if (out.changed) {
    /* Appear: the watched label; leave: the other label of a two-class model. */
    int32_t label = FW_HYST_LABEL;
    if (!out.active && FW_LABEL_COUNT == 2) label = 1 - FW_HYST_LABEL;
    app_send_detection(timestamp, label, scores[label] + 128, out.active ? ES_PROTO_DET_ENTER : ES_PROTO_DET_LEAVE);
  }
  return ES_OK;
}
