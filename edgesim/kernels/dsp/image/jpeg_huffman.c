/* Huffman entropy decoding of baseline JPEG blocks (T.81 F.2.2).
 *
 * Codes of up to 8 bits (nearly all of them) are resolved with one 256-entry
 * lookahead; longer ones bit by bit against the canonical maxcode table
 * (~1.1 KiB per Huffman table in all).  The bit
 * reader un-stuffs 0xFF 0x00, stops at markers and counts the zero bits it
 * invents past them, so truncated data is detected instead of decoded as
 * silent zeros.
 */
#include "jpeg_internal.h"

#define FAIL(text) \
  do {             \
    *detail = (text); \
    return ES_ERR_IMAGE_FORMAT; \
  } while (0)

es_status es_jpeg_huffman_build(const uint8_t counts[16], const uint8_t *symbols,
                                es_jpeg_huffman *table, const char **detail) {
  int32_t code = 0;
  int32_t index = 0;
  int length, i;
  for (length = 1; length <= 16; length++) {
    int n = counts[length - 1];
    table->valoffset[length] = index - code;
    table->maxcode[length] = n ? code + n - 1 : -1;
    code += n;
    index += n;
    /* codes of this length must fit in `length` bits, and the all-ones code
     * is reserved (T.81 C.2), exactly as libjpeg checks */
    if (code >= ((int32_t)1 << length)) FAIL("Huffman table is over-subscribed");
    code <<= 1;
  }
  table->maxcode[0] = -1;
  table->valoffset[0] = 0;
  for (i = 0; i < index; i++) table->values[i] = symbols[i];
  /* every 8-bit window that starts with a code of length <= 8 resolves it */
  for (i = 0; i < (1 << ES_JPEG_LOOKAHEAD_BITS); i++) table->lookahead[i] = 0;
  code = 0;
  index = 0;
  for (length = 1; length <= ES_JPEG_LOOKAHEAD_BITS; length++) {
    int n;
    for (n = 0; n < counts[length - 1]; n++, code++, index++) {
      int shift = ES_JPEG_LOOKAHEAD_BITS - length, fill;
      for (fill = 0; fill < (1 << shift); fill++)
        table->lookahead[(code << shift) | fill] = (uint16_t)((length << 8) | symbols[index]);
    }
    code <<= 1;
  }
  table->defined = 1;
  return ES_OK;
}

void es_jpeg_bits_start(es_jpeg_bits *bits, const uint8_t *data, size_t size, size_t pos) {
  bits->data = data;
  bits->size = size;
  bits->pos = pos;
  bits->acc = 0;
  bits->count = 0;
  bits->padding = 0;
  bits->at_marker = 0;
}

/* Next data byte of the segment, or 0 (counted as padding) at a marker. */
static uint8_t next_byte(es_jpeg_bits *bits) {
  size_t p = bits->pos;
  if (!bits->at_marker && p < bits->size) {
    uint8_t byte = bits->data[p];
    if (byte != 0xFF) {
      bits->pos = p + 1;
      return byte;
    }
    /* 0xFF: fill bytes may repeat; 0x00 after them means a stuffed data 0xFF */
    while (p < bits->size && bits->data[p] == 0xFF) p++;
    if (p < bits->size && bits->data[p] == 0x00) {
      bits->pos = p + 1;
      return 0xFF;
    }
  }
  bits->at_marker = 1; /* pos stays on the marker (or the end) */
  bits->padding += 8;
  return 0;
}

static void fill(es_jpeg_bits *bits) {
  while (bits->count <= 24) {
    bits->acc = (bits->acc << 8) | next_byte(bits);
    bits->count += 8;
  }
}

static uint32_t get_bits(es_jpeg_bits *bits, uint32_t n) {
  if (bits->count < n) fill(bits);
  bits->count -= n;
  return (bits->acc >> bits->count) & ((1u << n) - 1u);
}

/* True once the decoder has used bits that were not in the data. */
static int overran(const es_jpeg_bits *bits) { return bits->count < bits->padding; }

static es_status decode_symbol(es_jpeg_bits *bits, const es_jpeg_huffman *table,
                               uint8_t *symbol, const char **detail) {
  int32_t code = 0;
  int length;
  uint32_t entry;
  if (bits->count < ES_JPEG_LOOKAHEAD_BITS) fill(bits);
  entry = table->lookahead[(bits->acc >> (bits->count - ES_JPEG_LOOKAHEAD_BITS)) &
                           ((1u << ES_JPEG_LOOKAHEAD_BITS) - 1u)];
  if (entry != 0) {
    bits->count -= entry >> 8;
    *symbol = (uint8_t)entry;
    return ES_OK;
  }
  for (length = 1; length <= 16; length++) {
    code = (code << 1) | (int32_t)get_bits(bits, 1);
    if (code <= table->maxcode[length]) {
      *symbol = table->values[code + table->valoffset[length]];
      return ES_OK;
    }
  }
  if (overran(bits)) FAIL("entropy-coded data ends before the image is complete");
  FAIL("invalid Huffman code in entropy-coded data");
}

/* T.81 F.2.2.1 EXTEND: an s-bit value v below 2^(s-1) stands for v - 2^s + 1. */
static int32_t receive_extend(es_jpeg_bits *bits, uint32_t s) {
  int32_t v;
  if (s == 0) return 0;
  v = (int32_t)get_bits(bits, s);
  return v < ((int32_t)1 << (s - 1)) ? v - ((int32_t)1 << s) + 1 : v;
}

es_status es_jpeg_decode_block(es_jpeg_bits *bits, const es_jpeg_huffman *dc,
                               const es_jpeg_huffman *ac, int32_t *dc_pred, int16_t coef[64],
                               const char **detail) {
  uint8_t symbol;
  uint32_t k;
  int32_t value;
  es_status status = decode_symbol(bits, dc, &symbol, detail);
  if (status != ES_OK) return status;
  /* 8-bit baseline DC differences have at most 11 magnitude bits */
  if (symbol > 11) FAIL("DC difference category above 11");
  value = *dc_pred + receive_extend(bits, symbol);
  if (value < -32768 || value > 32767) FAIL("DC coefficient out of range");
  *dc_pred = value;
  coef[0] = (int16_t)value;
  for (k = 1; k < 64; k++) {
    uint32_t run, size;
    status = decode_symbol(bits, ac, &symbol, detail);
    if (status != ES_OK) return status;
    run = symbol >> 4;
    size = symbol & 15u;
    if (size == 0) {
      if (run != 15) break; /* end of block */
      k += 15;              /* ZRL: sixteen zeros (the loop adds the last) */
      if (k >= 64) FAIL("run of zero coefficients past the end of a block");
      continue;
    }
    if (size > 10) FAIL("AC coefficient category above 10");
    k += run;
    if (k >= 64) FAIL("run of zero coefficients past the end of a block");
    coef[es_jpeg_zigzag[k]] = (int16_t)receive_extend(bits, size);
  }
  if (overran(bits)) FAIL("entropy-coded data ends before the image is complete");
  return ES_OK;
}
