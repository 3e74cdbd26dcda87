/* Output of one MCU row: chroma upsampling and JFIF YCbCr -> RGB in 16-bit
 * fixed point.
 *
 * Upsampling by 2 uses libjpeg's default "fancy" triangle filter, so RGB
 * output equals libjpeg's (and OpenCV's): each output sample weighs the
 * nearer input sample 3/4 and the next one 1/4, with libjpeg's alternating
 * rounding biases; for 2x2 the vertical pass (3*near + far, kept at 4x
 * scale) comes first, then the horizontal one, one rounding at the end.
 * Neighbours past the image edge are the edge sample itself; the rows
 * above and below an MCU row come from the neighbouring strips.  Other
 * factors (e.g. 4:1:1) replicate samples, as libjpeg does.
 *
 * R = Y + 1.402 Cr',  G = Y - 0.34414 Cb' - 0.71414 Cr',  B = Y + 1.772 Cb'
 * with Cb' = Cb - 128, Cr' = Cr - 128, each product rounded to nearest
 * (constants x 2^16, + 2^15, >> 16), as libjpeg's integer converter does.
 */
#include <string.h>

#include "jpeg_internal.h"

#define SCALE_BITS 16
#define HALF (1 << (SCALE_BITS - 1))
#define F_1_40200 91881
#define F_1_77200 116130
#define F_0_71414 46802
#define F_0_34414 22554

static uint8_t clamp(int32_t v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* Sample of a plane at output pixel (x, row) of the MCU row, by replication. */
static uint8_t sample(const es_jpeg_plane *p, uint32_t x, uint32_t row) {
  return p->samples[(row / p->v_ratio) * p->stride + x / p->h_ratio];
}

/* Row i of the strip, i = -1 and i = rows meaning the context rows. */
static const uint8_t *plane_row(const es_jpeg_plane *p, int32_t i) {
  if (i < 0) return p->above;
  if ((uint32_t)i >= p->rows) return p->below;
  return p->samples + (size_t)i * p->stride;
}

/* Output row r of a plane at full resolution into dst[0..width). */
static void upsample_row(const es_jpeg_plane *p, uint32_t r, uint32_t width, uint8_t *dst) {
  int32_t cy = (int32_t)(r / p->v_ratio);
  const uint8_t *row = plane_row(p, cy);
  uint32_t last = p->width - 1u, x;
  if (p->h_ratio == 1 && p->v_ratio == 1) {
    memcpy(dst, row, width);
  } else if (p->h_ratio == 2 && p->v_ratio == 1) {
    for (x = 0; x < width; x++) {
      uint32_t cx = x >> 1, odd = x & 1u;
      uint32_t far = odd ? row[cx < last ? cx + 1u : last] : row[cx > 0 ? cx - 1u : 0];
      dst[x] = (uint8_t)((3u * row[cx] + far + 1u + odd) >> 2);
    }
  } else if (p->h_ratio == 1 && p->v_ratio == 2) {
    uint32_t lower = r & 1u;
    const uint8_t *far = plane_row(p, lower ? cy + 1 : cy - 1);
    for (x = 0; x < width; x++) dst[x] = (uint8_t)((3u * row[x] + far[x] + 1u + lower) >> 2);
  } else if (p->h_ratio == 2 && p->v_ratio == 2) {
    const uint8_t *far = plane_row(p, (r & 1u) ? cy + 1 : cy - 1);
    for (x = 0; x < width; x++) {
      uint32_t cx = x >> 1, odd = x & 1u;
      uint32_t nx = odd ? (cx < last ? cx + 1u : last) : (cx > 0 ? cx - 1u : 0);
      uint32_t near_sum = 3u * row[cx] + far[cx], far_sum = 3u * row[nx] + far[nx];
      dst[x] = (uint8_t)((3u * near_sum + far_sum + 8u - odd) >> 4);
    }
  } else {
    for (x = 0; x < width; x++) dst[x] = sample(p, x, r);
  }
}

void es_jpeg_emit_gray(const es_jpeg_plane *y, uint16_t width, uint32_t rows, uint8_t *out) {
  uint32_t r, x;
  if (y->h_ratio == 1 && y->v_ratio == 1) { /* full-resolution luma: rows as they are */
    for (r = 0; r < rows; r++, out += width) memcpy(out, y->samples + r * y->stride, width);
    return;
  }
  for (r = 0; r < rows; r++)
    for (x = 0; x < width; x++) *out++ = sample(y, x, r);
}

void es_jpeg_emit_gray_as_rgb(const es_jpeg_plane *y, uint16_t width, uint32_t rows,
                              uint8_t *out) {
  uint32_t r, x;
  for (r = 0; r < rows; r++)
    for (x = 0; x < width; x++) {
      uint8_t v = sample(y, x, r);
      out[0] = out[1] = out[2] = v;
      out += 3;
    }
}

void es_jpeg_emit_rgb(const es_jpeg_plane planes[3], uint16_t width, uint32_t rows, uint8_t *scratch,
                      uint8_t *out) {
  uint8_t *ys = scratch, *cbs = scratch + width, *crs = scratch + 2u * width;
  uint32_t r, x;
  for (r = 0; r < rows; r++) {
    upsample_row(&planes[0], r, width, ys);
    upsample_row(&planes[1], r, width, cbs);
    upsample_row(&planes[2], r, width, crs);
    for (x = 0; x < width; x++) {
      int32_t y = ys[x];
      int32_t cb = (int32_t)cbs[x] - 128;
      int32_t cr = (int32_t)crs[x] - 128;
      /* >> on negative values is arithmetic with gcc and clang */
      out[0] = clamp(y + ((F_1_40200 * cr + HALF) >> SCALE_BITS));
      out[1] = clamp(y + ((-F_0_34414 * cb - F_0_71414 * cr + HALF) >> SCALE_BITS));
      out[2] = clamp(y + ((F_1_77200 * cb + HALF) >> SCALE_BITS));
      out += 3;
    }
  }
}
