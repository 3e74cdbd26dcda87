/* Baseline JPEG decoding driver: workspace layout, MCU loop, restart
 * markers and the end of image.
 *
 * The image is decoded one MCU row at a time: each component that the
 * output needs gets a strip of one MCU row of samples in the workspace
 * (components the output does not need, e.g. chroma for gray output, are
 * entropy-decoded but not transformed); then the strip is written out.
 * RGB output of a colour image keeps two strips per component: MCU row m
 * is written out once row m+1 is decoded, because chroma upsampling looks
 * one chroma row beyond the strip (the last row of strip m-1 is kept too).
 */
#include <string.h>

#include "jpeg_internal.h"

#define FAIL(text) \
  do {             \
    *detail = (text); \
    return ES_ERR_IMAGE_FORMAT; \
  } while (0)

#define ALIGN 8u

typedef struct layout {
  uint32_t mcus_x, mcus_y;
  uint8_t h_max, v_max;
  uint8_t buffers;                        /* strips per component: 2 when upsampling needs context */
  uint8_t needed[ES_JPEG_MAX_COMPONENTS]; /* component reconstructed for the output */
  size_t stride[ES_JPEG_MAX_COMPONENTS];  /* strip bytes per row */
  size_t strip_bytes[ES_JPEG_MAX_COMPONENTS];
  uint32_t width[ES_JPEG_MAX_COMPONENTS]; /* samples per row inside the image */
  uint32_t height[ES_JPEG_MAX_COMPONENTS];/* sample rows inside the image */
  size_t context_bytes;                   /* kept last rows + upsampling scratch */
  size_t total;                           /* workspace bytes */
} layout;

static es_status plan(const es_jpeg_info *info, es_jpeg_pixel_format format, layout *l) {
  uint8_t c;
  if (format != ES_JPEG_GRAY8 && format != ES_JPEG_RGB888) return ES_ERR_ARGUMENT;
  if (info->components != 1 && info->components != 3) return ES_ERR_ARGUMENT;
  if (info->width == 0 || info->height == 0) return ES_ERR_ARGUMENT;
  l->h_max = l->v_max = 1;
  for (c = 0; c < info->components; c++) {
    if (info->h_samp[c] < 1 || info->h_samp[c] > ES_JPEG_MAX_SAMPLING || info->v_samp[c] < 1 ||
        info->v_samp[c] > ES_JPEG_MAX_SAMPLING)
      return ES_ERR_ARGUMENT;
    if (info->h_samp[c] > l->h_max) l->h_max = info->h_samp[c];
    if (info->v_samp[c] > l->v_max) l->v_max = info->v_samp[c];
  }
  l->mcus_x = (info->width + 8u * l->h_max - 1u) / (8u * l->h_max);
  l->mcus_y = (info->height + 8u * l->v_max - 1u) / (8u * l->v_max);
  l->buffers = (format == ES_JPEG_RGB888 && info->components == 3) ? 2 : 1;
  l->total = sizeof(es_jpeg_tables) + ALIGN;
  l->context_bytes = 0;
  for (c = 0; c < ES_JPEG_MAX_COMPONENTS; c++) {
    l->needed[c] = c < info->components && (c == 0 || format == ES_JPEG_RGB888);
    l->stride[c] = c < info->components ? (size_t)l->mcus_x * info->h_samp[c] * 8u : 0;
    l->strip_bytes[c] = l->needed[c] ? l->stride[c] * info->v_samp[c] * 8u : 0;
    l->width[c] = c < info->components ? ((uint32_t)info->width * info->h_samp[c] + l->h_max - 1u) / l->h_max : 0;
    l->height[c] = c < info->components ? ((uint32_t)info->height * info->v_samp[c] + l->v_max - 1u) / l->v_max : 0;
    l->total += l->strip_bytes[c] * l->buffers;
    if (l->buffers == 2) l->context_bytes += l->stride[c];
  }
  if (l->buffers == 2) l->context_bytes += 3u * (size_t)info->width;
  l->total += l->context_bytes;
  return ES_OK;
}

es_status es_jpeg_workspace_size(const es_jpeg_info *info, es_jpeg_pixel_format format,
                                 size_t *bytes) {
  layout l;
  es_status status;
  if (info == NULL || bytes == NULL) return ES_ERR_ARGUMENT;
  status = plan(info, format, &l);
  if (status == ES_OK) *bytes = l.total;
  return status;
}

/* At a restart interval boundary: the segment must end in RSTn with n the
 * expected number mod 8; then prediction restarts from zero. */
static es_status restart(es_jpeg_bits *bits, uint32_t number, int32_t pred[], const char **detail) {
  size_t pos = bits->pos;
  if (bits->count < bits->padding) FAIL("entropy-coded data ends before the image is complete");
  if (pos >= bits->size || bits->data[pos] != 0xFF) FAIL("restart marker missing");
  while (pos < bits->size && bits->data[pos] == 0xFF) pos++;
  if (pos >= bits->size) FAIL("data ends at a restart marker");
  if (bits->data[pos] != 0xD0 + (number & 7u)) FAIL("restart marker out of sequence");
  es_jpeg_bits_start(bits, bits->data, bits->size, pos + 1);
  pred[0] = pred[1] = pred[2] = 0;
  return ES_OK;
}

/* After the last MCU: skip any segments up to EOI.  Stray bytes between the
 * scan and the next marker are skipped as libjpeg does (some encoders pad
 * the last entropy byte); the image is complete by then, and a missing EOI
 * is still an error. */
static es_status finish(const es_jpeg_bits *bits, const char **detail) {
  size_t pos = bits->pos;
  while (pos < bits->size &&
         !(bits->data[pos] == 0xFF && pos + 1 < bits->size && bits->data[pos + 1] != 0x00))
    pos++;
  for (;;) {
    uint8_t marker;
    if (pos >= bits->size) FAIL("data ends without an EOI marker (truncated file?)");
    if (bits->data[pos] != 0xFF) FAIL("unexpected data between segments after the scan");
    while (pos < bits->size && bits->data[pos] == 0xFF) pos++;
    if (pos >= bits->size) FAIL("data ends without an EOI marker (truncated file?)");
    marker = bits->data[pos++];
    if (marker == 0xD9) return ES_OK;
    if (marker == 0xDA) FAIL("more than one scan is not supported (baseline single scan only)");
    if ((marker >= 0xD0 && marker <= 0xD8) || marker == 0x01 || marker == 0x00)
      FAIL("unexpected marker after the scan");
    if (pos + 2 > bits->size) FAIL("data ends inside a segment length");
    {
      size_t len = ((size_t)bits->data[pos] << 8) | bits->data[pos + 1];
      if (len < 2 || pos + len > bits->size) FAIL("segment length runs past the end of data");
      pos += len;
    }
  }
}

/* Describe strip `index` (MCU row) of component c for writing out. */
static void describe(const layout *l, uint8_t c, uint32_t index, uint8_t *strip, const uint8_t *above,
                     const uint8_t *next_first_row, const es_jpeg_info *info, es_jpeg_plane *plane) {
  uint32_t strip_rows = 8u * info->v_samp[c], first = index * strip_rows;
  plane->samples = strip;
  plane->stride = l->stride[c];
  plane->h_ratio = (uint8_t)(l->h_max / info->h_samp[c]);
  plane->v_ratio = (uint8_t)(l->v_max / info->v_samp[c]);
  plane->rows = l->height[c] - first < strip_rows ? l->height[c] - first : strip_rows;
  plane->width = l->width[c];
  plane->above = above != NULL ? above : strip;
  plane->below = next_first_row != NULL ? next_first_row : strip + (size_t)(plane->rows - 1u) * l->stride[c];
}

es_status es_jpeg_decode(const uint8_t *data, size_t size, es_jpeg_pixel_format format,
                         void *workspace, size_t workspace_size, uint8_t *out, size_t out_size,
                         const char **detail) {
  es_jpeg_headers hdr;
  es_jpeg_tables *tables;
  es_jpeg_bits bits;
  layout l;
  uint8_t *strip[ES_JPEG_MAX_COMPONENTS][2] = {{NULL, NULL}, {NULL, NULL}, {NULL, NULL}};
  uint8_t *kept[ES_JPEG_MAX_COMPONENTS] = {NULL, NULL, NULL}; /* last row of the strip written out last */
  uint8_t *scratch = NULL;
  es_jpeg_plane planes[ES_JPEG_MAX_COMPONENTS];
  int32_t pred[ES_JPEG_MAX_COMPONENTS] = {0, 0, 0};
  int16_t coef[64];
  uint32_t mx, my, restarts_done = 0, until_restart;
  size_t need, channels = format == ES_JPEG_RGB888 ? 3u : 1u, row_bytes;
  uint8_t *cursor;
  uintptr_t base;
  const char *ignored;
  es_status status;
  uint8_t c, b;

  if (detail == NULL) detail = &ignored;
  *detail = "";
  if (data == NULL || workspace == NULL || out == NULL) return ES_ERR_ARGUMENT;
  if (format != ES_JPEG_GRAY8 && format != ES_JPEG_RGB888) return ES_ERR_ARGUMENT;
  base = ((uintptr_t)workspace + (ALIGN - 1u)) & ~(uintptr_t)(ALIGN - 1u);
  if (workspace_size < sizeof(es_jpeg_tables) + ALIGN) {
    *detail = "workspace smaller than es_jpeg_workspace_size()";
    return ES_ERR_ARENA_TOO_SMALL;
  }
  tables = (es_jpeg_tables *)base;
  status = es_jpeg_parse_headers(data, size, &hdr, tables, detail);
  if (status != ES_OK) return status;
  status = plan(&hdr.info, format, &l);
  if (status != ES_OK) return status;
  if (workspace_size < l.total) {
    *detail = "workspace smaller than es_jpeg_workspace_size()";
    return ES_ERR_ARENA_TOO_SMALL;
  }
  status = es_jpeg_output_size(&hdr.info, format, &need);
  if (status != ES_OK) return status;
  if (out_size < need) {
    *detail = "output buffer smaller than es_jpeg_output_size()";
    return ES_ERR_ARGUMENT;
  }
  cursor = (uint8_t *)base + sizeof(es_jpeg_tables);
  for (c = 0; c < hdr.info.components; c++) {
    if (!l.needed[c]) continue;
    for (b = 0; b < l.buffers; b++) {
      strip[c][b] = cursor;
      cursor += l.strip_bytes[c];
    }
    if (l.buffers == 2) {
      kept[c] = cursor;
      cursor += l.stride[c];
    }
  }
  if (l.buffers == 2) scratch = cursor;

  es_jpeg_bits_start(&bits, data, size, hdr.scan_start);
  until_restart = hdr.info.restart_interval;
  row_bytes = (size_t)hdr.info.width * channels;
  for (my = 0; my < l.mcus_y + (l.buffers - 1u); my++) {
    uint32_t done = my + 1u - l.buffers; /* MCU row to write out now (when my >= buffers - 1) */
    if (my < l.mcus_y) {
      uint8_t which = (uint8_t)(my % l.buffers);
      for (mx = 0; mx < l.mcus_x; mx++) {
        uint8_t s;
        if (hdr.info.restart_interval != 0) {
          if (until_restart == 0) {
            status = restart(&bits, restarts_done++, pred, detail);
            if (status != ES_OK) return status;
            until_restart = hdr.info.restart_interval;
          }
          until_restart--;
        }
        for (s = 0; s < hdr.scan_components; s++) {
          uint8_t idx = hdr.scan_index[s], bx, by;
          for (by = 0; by < hdr.info.v_samp[idx]; by++)
            for (bx = 0; bx < hdr.info.h_samp[idx]; bx++) {
              memset(coef, 0, sizeof(coef));
              status = es_jpeg_decode_block(&bits, &tables->dc[hdr.scan_dc[s]],
                                            &tables->ac[hdr.scan_ac[s]], &pred[s], coef, detail);
              if (status != ES_OK) return status;
              if (strip[idx][which] != NULL)
                es_jpeg_idct_islow(coef, tables->quant[hdr.quant_table[idx]],
                                   strip[idx][which] + (size_t)by * 8u * l.stride[idx] +
                                       ((size_t)mx * hdr.info.h_samp[idx] + bx) * 8u,
                                   l.stride[idx]);
            }
        }
      }
    }
    if (my + 1u >= l.buffers) {
      uint32_t first_row = done * 8u * l.v_max;
      uint32_t rows = hdr.info.height - first_row;
      uint8_t *dst = out + (size_t)first_row * row_bytes;
      uint8_t now = (uint8_t)(done % l.buffers), next = (uint8_t)((done + 1u) % l.buffers);
      if (rows > 8u * l.v_max) rows = 8u * l.v_max;
      for (c = 0; c < hdr.info.components; c++)
        if (l.needed[c])
          describe(&l, c, done, strip[c][now], done > 0 ? kept[c] : NULL,
                   l.buffers == 2 && done + 1u < l.mcus_y ? strip[c][next] : NULL, &hdr.info, &planes[c]);
      if (format == ES_JPEG_GRAY8)
        es_jpeg_emit_gray(&planes[0], hdr.info.width, rows, dst);
      else if (hdr.info.components == 1)
        es_jpeg_emit_gray_as_rgb(&planes[0], hdr.info.width, rows, dst);
      else
        es_jpeg_emit_rgb(planes, hdr.info.width, rows, scratch, dst);
      for (c = 0; c < hdr.info.components; c++)
        if (kept[c] != NULL)
          memcpy(kept[c], planes[c].samples + (size_t)(planes[c].rows - 1u) * l.stride[c], l.stride[c]);
    }
  }
  return finish(&bits, detail);
}
