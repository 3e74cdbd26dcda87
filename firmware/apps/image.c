/* Camera app I/O: IMAGE frames (in chunks) -> centre crop, resize to the
 * app's FW_IMAGE_SIDE square, gray or RGB, - 128 (es_image_preprocess_to, as
 * the host target's ImageFeeder) -> app_infer() once per frame; the
 * timestamp is the frame's index. */
#include <string.h>

#include "app.h"
#include "app_config.h"
#include "edgesim/image.h"

/* Largest frame the device accepts (config.h): a QVGA gray frame (320x240). */
#define FRAME_CAPACITY ((uint32_t)ES_FW_FRAME_BUFFER_BYTES)

static uint8_t frame_buffer[FRAME_CAPACITY];
static uint32_t frame_bytes; /* bytes of the frame being assembled */
static uint32_t received;
static uint32_t images;
static int8_t *input; /* app_model_input(): the int8 values of one model input */
static const es_image_output output = {FW_IMAGE_SIDE, FW_IMAGE_CHANNELS};
#define INPUT_BYTES ((size_t)FW_IMAGE_SIDE * FW_IMAGE_SIDE * FW_IMAGE_CHANNELS)

es_status app_init(es_model *model, const char **detail) {
  input = app_model_input(model, INPUT_BYTES);
  if (input == NULL) {
    *detail = "model input must be int8 or float32 "
                "size x size x channels (the app's) and output int8 or float32, "
                "one score per label";
    return ES_ERR_SHAPE;
  }
  app_reset();
  return ES_OK;
}

void app_reset(void) { frame_bytes = received = images = 0; }

es_status app_on_frame(const es_proto_frame *frame, const char **detail) {
  if (frame->type != ES_PROTO_IMAGE || frame->length < ES_PROTO_IMAGE_HEADER_BYTES) {
    *detail = "this app takes IMAGE frames";
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
  es_status status = es_image_preprocess_to(&params, &output, frame_buffer, total, input, detail);
  app_stage_end(ES_PROTO_STAGE_PREPROCESS);
  frame_bytes = received = 0;
  if (status != ES_OK) return status;
  return app_infer(images++, detail);
}
