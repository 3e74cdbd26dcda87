/* Camera frame -> a square int8 model input (gray or RGB; ES_IMAGE_SIDE
 * squared gray for es_image_preprocess).
 *
 * Validation first (a camera driver or a protocol frame may hand us any
 * numbers), then centre crop, resize and quantize; see edgesim/image.h for
 * the arithmetic of each stage.
 */
#include "edgesim/image.h"

int32_t es_pixel_format_bytes(int32_t pixel_format) {
  switch (pixel_format) {
    case ES_PIXEL_GRAY8: return 1;
    case ES_PIXEL_RGB888:
    case ES_PIXEL_BGR888: return 3;
    case ES_PIXEL_RGB565:
    case ES_PIXEL_RGB565LE:
    case ES_PIXEL_YUYV: return 2;
    default: return 0;
  }
}

static es_status fail(const char **detail, es_status status, const char *why) {
  if (detail != NULL) *detail = why;
  return status;
}

es_status es_image_validate(const es_image_params *params, size_t length, const char **detail) {
  if (detail != NULL) *detail = "";
  if (params == NULL) return fail(detail, ES_ERR_ARGUMENT, "no image parameters");
  const int32_t bpp = es_pixel_format_bytes(params->pixel_format);
  if (bpp == 0) return fail(detail, ES_ERR_ARGUMENT, "unknown pixel format");
  if (params->resize < 0 || params->resize >= ES_RESIZE_METHOD_COUNT)
    return fail(detail, ES_ERR_ARGUMENT, "unknown resize method");
  if (params->width < 1 || params->height < 1)
    return fail(detail, ES_ERR_INPUT_DATA, "frame width and height must be at least 1");
  if (params->width > ES_IMAGE_MAX_DIM || params->height > ES_IMAGE_MAX_DIM)
    return fail(detail, ES_ERR_INPUT_DATA, "frame width or height above ES_IMAGE_MAX_DIM (8192)");
  if (params->pixel_format == ES_PIXEL_YUYV && (params->width & 1) != 0)
    return fail(detail, ES_ERR_INPUT_DATA, "YUYV frames need an even width (2 pixels share U and V)");
  /* Sizes are bounded above, so these products fit in 32 bits. */
  const size_t row_bytes = (size_t)params->width * (size_t)bpp;
  const size_t rows = (size_t)params->height;
  if (params->stride == 0) {
    if (length != row_bytes * rows)
      return fail(detail, ES_ERR_INPUT_DATA, "buffer length is not width * height * bytes per pixel");
    return ES_OK;
  }
  if (params->stride < 0 || (size_t)params->stride < row_bytes)
    return fail(detail, ES_ERR_INPUT_DATA, "row stride shorter than one row of pixels");
  if (params->stride > ES_IMAGE_MAX_DIM * 4)
    return fail(detail, ES_ERR_INPUT_DATA, "row stride above 4 * ES_IMAGE_MAX_DIM bytes");
  const size_t stride = (size_t)params->stride;
  if (length < stride * (rows - 1) + row_bytes || length > stride * rows)
    return fail(detail, ES_ERR_INPUT_DATA, "buffer length does not match height rows of stride bytes");
  return ES_OK;
}

es_status es_image_preprocess_to(const es_image_params *params, const es_image_output *output,
                                 const uint8_t *data, size_t length, int8_t *out, const char **detail) {
  es_status status = es_image_validate(params, length, detail);
  if (status != ES_OK) return status;
  if (data == NULL || out == NULL || output == NULL)
    return fail(detail, ES_ERR_ARGUMENT, "NULL frame, output parameters or output buffer");
  if (output->side < 1 || output->side > ES_IMAGE_MAX_OUT_SIDE)
    return fail(detail, ES_ERR_ARGUMENT, "output side must be 1..ES_IMAGE_MAX_OUT_SIDE (1024)");
  if (output->channels != 1 && output->channels != 3)
    return fail(detail, ES_ERR_ARGUMENT, "output channels must be 1 (gray) or 3 (RGB)");
  if (output->channels == 3 && params->pixel_format == ES_PIXEL_YUYV)
    return fail(detail, ES_ERR_ARGUMENT, "RGB output from YUYV frames is not supported");

  es_image_rect rect;
  status = es_image_center_crop(params->width, params->height, &rect);
  if (status != ES_OK) return fail(detail, status, "crop failed");
  const int32_t packed = params->width * es_pixel_format_bytes(params->pixel_format);
  es_image_view view = {data, params->stride != 0 ? params->stride : packed, params->pixel_format, ES_CHANNEL_LUMA,
                        output->channels};

  /* The resize writes uint8 bytes into the caller's int8 buffer, which
   * quantize then converts in place (same size, char types may alias);
   * RGB: one pass per channel, interleaved. */
  uint8_t *pixels = (uint8_t *)out;
  for (int32_t c = 0; c < output->channels; ++c) {
    view.channel = output->channels == 1 ? ES_CHANNEL_LUMA : ES_CHANNEL_RED + c;
    if (params->resize == ES_RESIZE_AREA)
      status = es_image_resize_area(&view, &rect, output->side, pixels + c);
    else
      status = es_image_resize_bilinear(&view, &rect, output->side, pixels + c);
    if (status != ES_OK) return fail(detail, status, "resize failed");
  }
  const size_t count = (size_t)output->side * (size_t)output->side * (size_t)output->channels;
  return es_image_quantize(pixels, count, out);
}

es_status es_image_preprocess(const es_image_params *params, const uint8_t *data, size_t length,
                              int8_t *out, const char **detail) {
  const es_image_output person_input = {ES_IMAGE_SIDE, 1};
  return es_image_preprocess_to(params, &person_input, data, length, out, detail);
}
