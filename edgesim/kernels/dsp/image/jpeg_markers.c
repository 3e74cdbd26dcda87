/* JPEG marker segments: SOI, SOFn, DQT, DHT, DRI, APP14, SOS (T.81 B.2).
 *
 * Every segment length is checked against the data before a byte of it is
 * read, so a truncated or lying header ends in ES_ERR_IMAGE_FORMAT with a
 * detail naming the segment.
 */
#include <string.h>

#include "jpeg_internal.h"

#define FAIL(text) \
  do {             \
    *detail = (text); \
    return ES_ERR_IMAGE_FORMAT; \
  } while (0)

enum {
  M_SOF0 = 0xC0, M_SOF1 = 0xC1, M_SOF2 = 0xC2, M_DHT = 0xC4, M_SOF9 = 0xC9,
  M_DAC = 0xCC, M_RST0 = 0xD0, M_RST7 = 0xD7, M_SOI = 0xD8, M_EOI = 0xD9,
  M_SOS = 0xDA, M_DQT = 0xDB, M_DNL = 0xDC, M_DRI = 0xDD, M_APP14 = 0xEE, M_TEM = 0x01
};

const uint8_t es_jpeg_zigzag[64] = {
    0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

static uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static const char *unsupported_sof(uint8_t marker) {
  if (marker == M_SOF2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE)
    return "progressive JPEG is not supported (baseline only)";
  if (marker == 0xC3 || marker == 0xC7 || marker == 0xCB || marker == 0xCF)
    return "lossless JPEG is not supported (baseline only)";
  if (marker >= M_SOF9) return "arithmetic-coded JPEG is not supported (Huffman only)";
  return "hierarchical JPEG is not supported (baseline only)";
}

static es_status parse_frame(const uint8_t *p, uint16_t len, uint8_t marker,
                             es_jpeg_headers *hdr, const char **detail) {
  uint8_t n, i, j;
  if (marker != M_SOF0 && marker != M_SOF1) FAIL(unsupported_sof(marker));
  if (hdr->info.components != 0) FAIL("more than one frame header (SOF)");
  if (len < 6) FAIL("frame header (SOF) too short");
  if (p[0] != 8) FAIL("only 8-bit samples are supported (12-bit JPEG)");
  hdr->info.height = be16(p + 1);
  hdr->info.width = be16(p + 3);
  n = p[5];
  if (hdr->info.height == 0) FAIL("image height 0 (DNL marker) is not supported");
  if (hdr->info.width == 0) FAIL("image width is 0");
  if (n == 4) FAIL("4-component (CMYK/YCCK) JPEG is not supported");
  if (n != 1 && n != 3) FAIL("frame must have 1 or 3 components");
  if (len != 6u + 3u * n) FAIL("frame header (SOF) length does not match its component count");
  hdr->h_max = 1;
  hdr->v_max = 1;
  for (i = 0; i < n; i++) {
    const uint8_t *c = p + 6 + 3 * i;
    uint8_t h = (uint8_t)(c[1] >> 4), v = (uint8_t)(c[1] & 15);
    for (j = 0; j < i; j++)
      if (hdr->component_id[j] == c[0]) FAIL("duplicate component id in frame header");
    if (h < 1 || h > ES_JPEG_MAX_SAMPLING || v < 1 || v > ES_JPEG_MAX_SAMPLING)
      FAIL("sampling factor outside 1..4");
    if (c[2] >= ES_JPEG_TABLES) FAIL("quantization table id outside 0..3");
    hdr->component_id[i] = c[0];
    hdr->quant_table[i] = c[2];
    hdr->info.h_samp[i] = h;
    hdr->info.v_samp[i] = v;
    if (h > hdr->h_max) hdr->h_max = h;
    if (v > hdr->v_max) hdr->v_max = v;
  }
  /* A lone component is coded as plain 8x8 blocks whatever its factors. */
  if (n == 1) {
    hdr->info.h_samp[0] = hdr->info.v_samp[0] = 1;
    hdr->h_max = hdr->v_max = 1;
  }
  for (i = 0; i < n; i++)
    if (hdr->h_max % hdr->info.h_samp[i] != 0 || hdr->v_max % hdr->info.v_samp[i] != 0)
      FAIL("sampling factors with a non-integer ratio are not supported");
  hdr->info.components = n;
  return ES_OK;
}

static es_status parse_dqt(const uint8_t *p, uint16_t len, es_jpeg_tables *tables,
                           const char **detail) {
  uint16_t at = 0;
  while (at < len) {
    uint8_t precision = (uint8_t)(p[at] >> 4), id = (uint8_t)(p[at] & 15);
    uint16_t need = precision ? 129 : 65;
    int k;
    if (precision > 1) FAIL("quantization table precision must be 8 or 16 bits");
    if (id >= ES_JPEG_TABLES) FAIL("quantization table id outside 0..3");
    if ((uint32_t)at + need > len) FAIL("quantization table (DQT) truncated");
    for (k = 0; k < 64; k++) {
      const uint8_t *q = p + at + 1 + (precision ? 2 * k : k);
      uint16_t value = precision ? be16(q) : q[0];
      if (value == 0) FAIL("quantization table contains 0");
      tables->quant[id][es_jpeg_zigzag[k]] = value;
    }
    tables->quant_defined[id] = 1;
    at = (uint16_t)(at + need);
  }
  return ES_OK;
}

static es_status parse_dht(const uint8_t *p, uint16_t len, es_jpeg_tables *tables,
                           const char **detail) {
  uint16_t at = 0;
  while (at < len) {
    uint8_t cls = (uint8_t)(p[at] >> 4), id = (uint8_t)(p[at] & 15);
    uint32_t total = 0;
    int l;
    es_status status;
    if (cls > 1) FAIL("Huffman table class must be 0 (DC) or 1 (AC)");
    if (id >= ES_JPEG_TABLES) FAIL("Huffman table id outside 0..3");
    if ((uint32_t)at + 17 > len) FAIL("Huffman table (DHT) truncated");
    for (l = 0; l < 16; l++) total += p[at + 1 + l];
    if (total > 256) FAIL("Huffman table has more than 256 symbols");
    if ((uint32_t)at + 17 + total > len) FAIL("Huffman table (DHT) truncated");
    status = es_jpeg_huffman_build(p + at + 1, p + at + 17,
                                   cls ? &tables->ac[id] : &tables->dc[id], detail);
    if (status != ES_OK) return status;
    at = (uint16_t)(at + 17 + total);
  }
  return ES_OK;
}

static es_status parse_scan(const uint8_t *p, uint16_t len, es_jpeg_headers *hdr,
                            const es_jpeg_tables *tables, const char **detail) {
  uint8_t n, i, j;
  if (hdr->info.components == 0) FAIL("scan (SOS) before frame header (SOF)");
  if (len < 1) FAIL("scan header (SOS) too short");
  n = p[0];
  if (n < 1 || n > ES_JPEG_MAX_COMPONENTS) FAIL("scan must have 1 to 3 components");
  if (len != 4u + 2u * n) FAIL("scan header (SOS) length does not match its component count");
  if (n != hdr->info.components)
    FAIL("non-interleaved scans (one scan per component) are not supported");
  for (i = 0; i < n; i++) {
    const uint8_t *c = p + 1 + 2 * i;
    uint8_t index = ES_JPEG_MAX_COMPONENTS;
    for (j = 0; j < hdr->info.components; j++)
      if (hdr->component_id[j] == c[0]) index = j;
    if (index == ES_JPEG_MAX_COMPONENTS) FAIL("scan names a component the frame does not have");
    for (j = 0; j < i; j++)
      if (hdr->scan_index[j] == index) FAIL("scan names a component twice");
    hdr->scan_index[i] = index;
    hdr->scan_dc[i] = (uint8_t)(c[1] >> 4);
    hdr->scan_ac[i] = (uint8_t)(c[1] & 15);
    if (hdr->scan_dc[i] >= ES_JPEG_TABLES || hdr->scan_ac[i] >= ES_JPEG_TABLES)
      FAIL("Huffman table id outside 0..3 in scan header");
    if (tables != NULL) {
      if (!tables->quant_defined[hdr->quant_table[index]])
        FAIL("component uses an undefined quantization table");
      if (!tables->dc[hdr->scan_dc[i]].defined || !tables->ac[hdr->scan_ac[i]].defined)
        FAIL("scan uses an undefined Huffman table");
    }
  }
  if (p[1 + 2 * n] != 0 || p[2 + 2 * n] != 63 || p[3 + 2 * n] != 0)
    FAIL("scan is not baseline (spectral selection 0..63, no successive approximation)");
  hdr->scan_components = n;
  return ES_OK;
}

es_status es_jpeg_parse_headers(const uint8_t *data, size_t size, es_jpeg_headers *hdr,
                                es_jpeg_tables *tables, const char **detail) {
  size_t pos = 2;
  if (data == NULL || hdr == NULL || detail == NULL) return ES_ERR_ARGUMENT;
  memset(hdr, 0, sizeof(*hdr));
  if (tables != NULL) memset(tables, 0, sizeof(*tables));
  if (size < 2 || data[0] != 0xFF || data[1] != M_SOI) FAIL("not a JPEG (no SOI marker)");
  for (;;) {
    uint8_t marker;
    uint16_t len;
    const uint8_t *payload;
    es_status status = ES_OK;
    if (pos >= size || data[pos] != 0xFF) FAIL("expected a marker between header segments");
    while (pos < size && data[pos] == 0xFF) pos++; /* fill bytes */
    if (pos >= size) FAIL("data ends inside the headers");
    marker = data[pos++];
    if (marker == M_SOI || (marker >= M_RST0 && marker <= M_RST7) || marker == M_TEM ||
        marker == 0x00)
      FAIL("unexpected marker among the headers");
    if (marker == M_EOI) FAIL("image ends (EOI) before any scan");
    if (pos + 2 > size) FAIL("data ends inside a segment length");
    len = be16(data + pos);
    if (len < 2 || pos + len > size) FAIL("segment length runs past the end of data");
    payload = data + pos + 2;
    len = (uint16_t)(len - 2);
    pos += 2u + len;
    if ((marker >= M_SOF0 && marker <= 0xCF) && marker != M_DHT && marker != M_DAC)
      status = parse_frame(payload, len, marker, hdr, detail);
    else if (marker == M_DAC)
      FAIL("arithmetic-coded JPEG is not supported (Huffman only)");
    else if (marker == M_DHT && tables != NULL)
      status = parse_dht(payload, len, tables, detail);
    else if (marker == M_DQT && tables != NULL)
      status = parse_dqt(payload, len, tables, detail);
    else if (marker == M_DRI) {
      if (len != 2) FAIL("restart interval (DRI) segment must be 4 bytes");
      hdr->info.restart_interval = be16(payload);
    } else if (marker == M_DNL) {
      FAIL("DNL marker is not supported");
    } else if (marker == M_APP14 && len >= 12 && memcmp(payload, "Adobe", 5) == 0) {
      /* transform 0 with three components means the channels are RGB, not YCbCr */
      if (payload[11] == 0 && hdr->info.components == 3)
        FAIL("Adobe RGB-coded JPEG is not supported (YCbCr only)");
    } else if (marker == M_SOS) {
      status = parse_scan(payload, len, hdr, tables, detail);
      if (status != ES_OK) return status;
      hdr->scan_start = pos;
      return ES_OK;
    }
    if (status != ES_OK) return status;
  }
}

es_status es_jpeg_read_info(const uint8_t *data, size_t size, es_jpeg_info *info,
                            const char **detail) {
  es_jpeg_headers hdr;
  const char *ignored;
  es_status status;
  if (data == NULL || info == NULL) return ES_ERR_ARGUMENT;
  status = es_jpeg_parse_headers(data, size, &hdr, NULL, detail ? detail : &ignored);
  if (status == ES_OK) *info = hdr.info;
  return status;
}

es_status es_jpeg_output_size(const es_jpeg_info *info, es_jpeg_pixel_format format,
                              size_t *bytes) {
  uint64_t total;
  if (info == NULL || bytes == NULL || (format != ES_JPEG_GRAY8 && format != ES_JPEG_RGB888))
    return ES_ERR_ARGUMENT;
  total = (uint64_t)info->width * info->height * (format == ES_JPEG_RGB888 ? 3u : 1u);
  if (total > (uint64_t)(size_t)-1) return ES_ERR_ARGUMENT; /* cannot be addressed here */
  *bytes = (size_t)total;
  return ES_OK;
}
