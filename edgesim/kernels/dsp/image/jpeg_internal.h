/* Internal structures shared by the jpeg_*.c stages (not a public header).
 *
 * jpeg_markers.c  marker walk, frame/table/scan headers -> es_jpeg_headers, es_jpeg_tables
 * jpeg_huffman.c  Huffman tables, entropy-coded bit reader, one 8x8 block of coefficients
 * jpeg_idct.c     dequantization + integer 8x8 inverse DCT
 * jpeg_color.c    chroma upsampling (libjpeg's triangle filter) and YCbCr -> RGB
 * jpeg_decode.c   the driver: workspace layout, MCU loop, restart markers, EOI
 */
#ifndef EDGESIM_JPEG_INTERNAL_H
#define EDGESIM_JPEG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "edgesim/jpeg.h"
#include "edgesim/status.h"

#define ES_JPEG_TABLES 4 /* table slots 0..3 for quantization and each Huffman class */

/* Natural (row-major) index of the k-th coefficient in zig-zag order. */
extern const uint8_t es_jpeg_zigzag[64];

#define ES_JPEG_LOOKAHEAD_BITS 8

/* A Huffman table in the canonical form of T.81 Annex F.2.2.3: codes of
 * length l are the integers from mincode(l) to maxcode[l]; the symbol of
 * code c is values[c + valoffset[l]].  lookahead resolves codes of up to 8
 * bits from the next 8 bits in one step: (length << 8) | symbol, 0 when the
 * code is longer (most codes in practice are short). */
typedef struct es_jpeg_huffman {
  int32_t maxcode[17]; /* -1 when there is no code of that length */
  int32_t valoffset[17];
  uint16_t lookahead[1 << ES_JPEG_LOOKAHEAD_BITS];
  uint8_t values[256];
  uint8_t defined;
} es_jpeg_huffman;

typedef struct es_jpeg_tables {
  uint16_t quant[ES_JPEG_TABLES][64]; /* natural order */
  uint8_t quant_defined[ES_JPEG_TABLES];
  es_jpeg_huffman dc[ES_JPEG_TABLES];
  es_jpeg_huffman ac[ES_JPEG_TABLES];
} es_jpeg_tables;

/* Everything the markers before the (first) scan say. */
typedef struct es_jpeg_headers {
  es_jpeg_info info;
  uint8_t component_id[ES_JPEG_MAX_COMPONENTS];
  uint8_t quant_table[ES_JPEG_MAX_COMPONENTS];
  uint8_t h_max, v_max;
  /* scan: frame component index, DC and AC table of each scan component */
  uint8_t scan_components;
  uint8_t scan_index[ES_JPEG_MAX_COMPONENTS];
  uint8_t scan_dc[ES_JPEG_MAX_COMPONENTS];
  uint8_t scan_ac[ES_JPEG_MAX_COMPONENTS];
  size_t scan_start; /* offset of the first entropy-coded byte */
} es_jpeg_headers;

/* Walk the markers from SOI to the first SOS.  tables may be NULL (only the
 * frame header is wanted); otherwise DQT/DHT are validated and stored, and
 * every table the scan uses must be defined. */
es_status es_jpeg_parse_headers(const uint8_t *data, size_t size, es_jpeg_headers *headers,
                                es_jpeg_tables *tables, const char **detail);

/* Builds the canonical decoding table from the 16 code counts and symbols. */
es_status es_jpeg_huffman_build(const uint8_t counts[16], const uint8_t *symbols,
                                es_jpeg_huffman *table, const char **detail);

/* Entropy-coded segment reader.  It never reads past a marker: when it
 * meets one (or the end of data) it supplies zero bits and counts them in
 * `padding`, so a decoder that consumed any of those bits knows the segment
 * was too short. */
typedef struct es_jpeg_bits {
  const uint8_t *data;
  size_t size;
  size_t pos;       /* next unread byte; at a marker's first 0xFF once one is met */
  uint32_t acc;     /* the low `count` bits are unread */
  uint32_t count;
  uint32_t padding; /* zero bits supplied after the segment ended */
  uint8_t at_marker;
} es_jpeg_bits;

void es_jpeg_bits_start(es_jpeg_bits *bits, const uint8_t *data, size_t size, size_t pos);

/* Decode one block's coefficients (de-zig-zagged into coef, which must be
 * zero on entry) and update the DC predictor. */
es_status es_jpeg_decode_block(es_jpeg_bits *bits, const es_jpeg_huffman *dc,
                               const es_jpeg_huffman *ac, int32_t *dc_pred, int16_t coef[64],
                               const char **detail);

/* Dequantize and inverse-transform one block into 8x8 samples at out
 * (row stride `stride` bytes). */
void es_jpeg_idct_islow(const int16_t coef[64], const uint16_t quant[64], uint8_t *out,
                        size_t stride);

/* One component's reconstructed samples for the MCU row being written out. */
typedef struct es_jpeg_plane {
  const uint8_t *samples; /* strip row 0 */
  size_t stride;          /* bytes per strip row */
  uint8_t h_ratio;        /* h_max / h of the component (upsampling factor) */
  uint8_t v_ratio;
  uint32_t rows;          /* strip rows inside the image */
  uint32_t width;         /* samples per row inside the image */
  const uint8_t *above;   /* the row before row 0: previous strip's last row (row 0 at the top) */
  const uint8_t *below;   /* the row after the last: next strip's first row (the last row at the bottom) */
} es_jpeg_plane;

/* Write `rows` output rows of `width` pixels from the MCU-row planes.  RGB
 * upsamples chroma as libjpeg's default "fancy" filter does (needs above /
 * below and 3 * width bytes of scratch); gray uses the luma plane only. */
void es_jpeg_emit_gray(const es_jpeg_plane *y, uint16_t width, uint32_t rows, uint8_t *out);
void es_jpeg_emit_rgb(const es_jpeg_plane planes[3], uint16_t width, uint32_t rows, uint8_t *scratch,
                      uint8_t *out);
void es_jpeg_emit_gray_as_rgb(const es_jpeg_plane *y, uint16_t width, uint32_t rows,
                              uint8_t *out);

#endif /* EDGESIM_JPEG_INTERNAL_H */
