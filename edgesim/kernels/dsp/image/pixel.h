/* Luma or one colour channel of a pixel, for every es_pixel_format (private to dsp/image).
 *
 * The arithmetic is documented once in edgesim/image.h.  The resize stages
 * call this per source pixel; it is static inline so that each stage's inner
 * loop sees the switch and the compiler can hoist it.
 */
#ifndef EDGESIM_DSP_IMAGE_PIXEL_H
#define EDGESIM_DSP_IMAGE_PIXEL_H

#include <stdint.h>

#include "edgesim/image.h"

/* BT.601 luma weights in Q15; they sum to 1 << 15. */
#define ES_LUMA_R 9798u
#define ES_LUMA_G 19235u
#define ES_LUMA_B 3735u
#define ES_LUMA_SHIFT 15

static inline uint32_t es_luma_rgb(uint32_t r, uint32_t g, uint32_t b) {
  return (ES_LUMA_R * r + ES_LUMA_G * g + ES_LUMA_B * b + (1u << (ES_LUMA_SHIFT - 1))) >> ES_LUMA_SHIFT;
}

/* RGB565 value -> luma; channels widened by bit replication. */
static inline uint32_t es_luma_rgb565(uint32_t v) {
  const uint32_t r5 = (v >> 11) & 0x1Fu;
  const uint32_t g6 = (v >> 5) & 0x3Fu;
  const uint32_t b5 = v & 0x1Fu;
  return es_luma_rgb((r5 << 3) | (r5 >> 2), (g6 << 2) | (g6 >> 4), (b5 << 3) | (b5 >> 2));
}

/* Luma of pixel x of the row starting at `row`. */
static inline uint32_t es_pixel_luma(int32_t pixel_format, const uint8_t *row, int32_t x) {
  const uint8_t *p;
  switch (pixel_format) {
    case ES_PIXEL_GRAY8:
      return row[x];
    case ES_PIXEL_RGB888:
      p = row + 3 * x;
      return es_luma_rgb(p[0], p[1], p[2]);
    case ES_PIXEL_BGR888:
      p = row + 3 * x;
      return es_luma_rgb(p[2], p[1], p[0]);
    case ES_PIXEL_RGB565:
      p = row + 2 * x;
      return es_luma_rgb565(((uint32_t)p[0] << 8) | p[1]);
    case ES_PIXEL_RGB565LE:
      p = row + 2 * x;
      return es_luma_rgb565(((uint32_t)p[1] << 8) | p[0]);
    case ES_PIXEL_YUYV:
      /* Y0 U Y1 V: every pixel's Y sits at byte 2x. */
      return row[2 * x];
    default:
      return 0; /* unreachable after es_image_validate() */
  }
}

/* Colour channel c (0 R, 1 G, 2 B) of pixel x, widened to 8 bits; gray
 * frames give their gray value for every channel.  YUYV has no RGB here
 * (es_image_preprocess_to refuses it). */
static inline uint32_t es_pixel_rgb(int32_t pixel_format, const uint8_t *row, int32_t x, int32_t c) {
  uint32_t v;
  switch (pixel_format) {
    case ES_PIXEL_GRAY8:
      return row[x];
    case ES_PIXEL_RGB888:
      return row[3 * x + c];
    case ES_PIXEL_BGR888:
      return row[3 * x + 2 - c];
    case ES_PIXEL_RGB565:
    case ES_PIXEL_RGB565LE:
      v = pixel_format == ES_PIXEL_RGB565 ? ((uint32_t)row[2 * x] << 8) | row[2 * x + 1]
                                          : ((uint32_t)row[2 * x + 1] << 8) | row[2 * x];
      if (c == 0) return (((v >> 11) & 0x1Fu) << 3) | (((v >> 11) & 0x1Fu) >> 2);
      if (c == 1) return (((v >> 5) & 0x3Fu) << 2) | (((v >> 5) & 0x3Fu) >> 4);
      return ((v & 0x1Fu) << 3) | ((v & 0x1Fu) >> 2);
    default:
      return 0; /* unreachable after es_image_preprocess_to's checks */
  }
}

/* What a resize stage reads from pixel x: the view's channel. */
static inline uint32_t es_pixel_value(const es_image_view *view, const uint8_t *row, int32_t x) {
  if (view->channel == ES_CHANNEL_LUMA) return es_pixel_luma(view->pixel_format, row, x);
  return es_pixel_rgb(view->pixel_format, row, x, view->channel - ES_CHANNEL_RED);
}

/* Output bytes between pixels of a view (0 means packed). */
static inline size_t es_view_out_step(const es_image_view *view) {
  return view->out_step > 1 ? (size_t)view->out_step : 1u;
}

/* Argument checks shared by the resize stages: a readable view, a crop
 * inside the limits of image.h and an output side they can handle.  The crop
 * lying inside the frame is the caller's contract (es_image_preprocess
 * derives it from the validated frame). */
static inline es_status es_resize_check_args(const es_image_view *view, const es_image_rect *rect,
                                             int32_t out_side, const uint8_t *out) {
  if (view == NULL || rect == NULL || out == NULL || view->data == NULL) return ES_ERR_ARGUMENT;
  if (out_side < 1 || out_side > ES_IMAGE_MAX_OUT_SIDE || rect->side < 1 ||
      rect->side > ES_IMAGE_MAX_DIM || rect->left < 0 || rect->top < 0)
    return ES_ERR_ARGUMENT;
  if (view->channel < ES_CHANNEL_LUMA || view->channel > ES_CHANNEL_BLUE || view->out_step < 0 || view->out_step > 4)
    return ES_ERR_ARGUMENT;
  return ES_OK;
}

#endif /* EDGESIM_DSP_IMAGE_PIXEL_H */
