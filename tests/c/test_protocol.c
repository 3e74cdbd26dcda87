/* Checks the C frame codec against tests/protocol_golden.txt (run under
 * ASan + UBSan by tests/test_protocol_c.py).
 *
 * Usage: test_protocol GOLDEN.txt   -> prints "ok <checks>" or the first failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgesim/protocol.h"
#include "harness.h"

#define MAX_VECTORS 64

typedef struct vector {
  char name[64];
  unsigned type, seq;
  uint8_t payload[ES_PROTO_MAX_PAYLOAD];
  size_t payload_len;
  uint8_t frame[ES_PROTO_MAX_FRAME];
  size_t frame_len;
} vector;

static vector vectors[MAX_VECTORS];

static size_t parse_hex(const char *hex, uint8_t *out, size_t cap) {
  if (strcmp(hex, "-") == 0) return 0;
  size_t n = strlen(hex) / 2;
  REQUIRE_MSG(n <= cap, "hex too long");
  for (size_t i = 0; i < n; ++i) {
    unsigned v;
    REQUIRE_MSG(sscanf(hex + 2 * i, "%2x", &v) == 1, "bad hex");
    out[i] = (uint8_t)v;
  }
  return n;
}

static int load(const char *path) {
  FILE *f = fopen(path, "r");
  REQUIRE_MSG(f != NULL, "cannot open %s", path);
  static char payload_hex[2 * ES_PROTO_MAX_PAYLOAD + 2], frame_hex[2 * ES_PROTO_MAX_FRAME + 2];
  int n = 0;
  while (n < MAX_VECTORS) {
    vector *v = &vectors[n];
    if (fscanf(f, "%63s %u %u %8192s %8216s", v->name, &v->type, &v->seq, payload_hex, frame_hex) != 5) break;
    v->payload_len = parse_hex(payload_hex, v->payload, sizeof v->payload);
    v->frame_len = parse_hex(frame_hex, v->frame, sizeof v->frame);
    n++;
  }
  fclose(f);
  REQUIRE_MSG(n > 10, "only %d vectors in %s", n, path);
  return n;
}

/* Feeds `data` in chunks of `chunk` bytes; returns the frames found. */
static int decode_all(es_proto_decoder *d, const uint8_t *data, size_t len, size_t chunk,
                      es_proto_frame *frames, uint8_t (*copies)[ES_PROTO_MAX_PAYLOAD], int max) {
  int found = 0;
  size_t pos = 0;
  for (;;) {
    int ready = 1;
    while (ready) {
      es_proto_frame f;
      REQUIRE_MSG(es_proto_decoder_next(d, &f, &ready) == ES_OK, "next failed");
      if (ready) {
        REQUIRE_MSG(found < max, "too many frames");
        memcpy(copies[found], f.payload, f.length); /* payload dies at the next write */
        frames[found] = f;
        frames[found].payload = copies[found];
        found++;
      }
    }
    if (pos == len) break;
    size_t n = len - pos < chunk ? len - pos : chunk, accepted = 0;
    REQUIRE_MSG(es_proto_decoder_write(d, data + pos, n, &accepted) == ES_OK, "write failed");
    pos += accepted;
  }
  return found;
}

static uint32_t lcg(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }

int main(int argc, char **argv) {
  REQUIRE_MSG(argc == 2, "usage: test_protocol GOLDEN.txt");
  int n = load(argv[1]);
  static uint8_t out[ES_PROTO_MAX_FRAME];
  static uint8_t stream[MAX_VECTORS * (ES_PROTO_MAX_FRAME + 64) * 2];
  static uint8_t buffer[ES_PROTO_MAX_FRAME];
  static es_proto_frame frames[4 * MAX_VECTORS];
  static uint8_t copies[4 * MAX_VECTORS][ES_PROTO_MAX_PAYLOAD];

  /* 1. The encoder reproduces every golden frame byte for byte. */
  for (int i = 0; i < n; ++i) {
    size_t written = 0;
    REQUIRE_MSG(es_proto_encode((uint8_t)vectors[i].type, (uint16_t)vectors[i].seq, vectors[i].payload,
                          vectors[i].payload_len, out, sizeof out, &written) == ES_OK, "%s: encode", vectors[i].name);
    REQUIRE_MSG(written == vectors[i].frame_len && memcmp(out, vectors[i].frame, written) == 0, "%s: bytes differ",
          vectors[i].name);
    REQUIRE_MSG(es_proto_encode((uint8_t)vectors[i].type, 0, vectors[i].payload, vectors[i].payload_len, out,
                          written - 1, &written) == ES_ERR_BUFFER_FULL, "%s: small buffer accepted", vectors[i].name);
  }
  size_t w;
  REQUIRE_MSG(es_proto_encode(0, 0, NULL, 0, out, sizeof out, &w) == ES_ERR_ARGUMENT, "type 0 accepted");
  REQUIRE_MSG(es_proto_encode(ES_PROTO_TYPE_COUNT, 0, NULL, 0, out, sizeof out, &w) == ES_ERR_ARGUMENT, "bad type accepted");
  REQUIRE_MSG(es_proto_encode(ES_PROTO_AUDIO, 0, out, ES_PROTO_MAX_PAYLOAD + 1, stream, sizeof stream, &w) ==
            ES_ERR_ARGUMENT, "oversized payload accepted");
  REQUIRE_MSG(es_crc32_update(0, (const uint8_t *)"123456789", 9) == 0xCBF43926u, "CRC-32 check value");

  /* 2. Garbage, truncated and corrupted frames between the golden frames:
   * every intact frame comes out, in order, whatever the chunking. */
  uint32_t seed = 12345;
  size_t len = 0;
  for (int i = 0; i < n; ++i) {
    size_t g = lcg(&seed) % 40;
    for (size_t k = 0; k < g; ++k) {
      uint32_t r = lcg(&seed) >> 24;
      stream[len++] = (uint8_t)(r % 3 == 0 ? ES_PROTO_MAGIC : r); /* plenty of false magic bytes */
    }
    /* a truncated copy of the previous frame, then a corrupted copy */
    const vector *prev = &vectors[(i + n - 1) % n];
    size_t cut = prev->frame_len / 2;
    memcpy(stream + len, prev->frame, cut);
    len += cut;
    memcpy(stream + len, prev->frame, prev->frame_len);
    stream[len + (lcg(&seed) >> 8) % prev->frame_len] ^= (uint8_t)(1u << (lcg(&seed) >> 29));
    len += prev->frame_len;
    memcpy(stream + len, vectors[i].frame, vectors[i].frame_len);
    len += vectors[i].frame_len;
  }
  const size_t chunks[] = {1, 7, 64, 5000, sizeof stream};
  for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; ++c) {
    es_proto_decoder d;
    REQUIRE_MSG(es_proto_decoder_init(&d, buffer, sizeof buffer) == ES_OK, "init");
    int found = decode_all(&d, stream, len, chunks[c], frames, copies, 4 * MAX_VECTORS);
    REQUIRE_MSG(found == n, "chunk %zu: found %d frames, expected %d", chunks[c], found, n);
    for (int i = 0; i < n; ++i) {
      REQUIRE_MSG(frames[i].type == vectors[i].type && frames[i].seq == vectors[i].seq &&
                frames[i].length == vectors[i].payload_len &&
                memcmp(frames[i].payload, vectors[i].payload, vectors[i].payload_len) == 0,
            "chunk %zu: frame %d (%s) differs", chunks[c], i, vectors[i].name);
    }
    REQUIRE_MSG(d.frames == (uint32_t)n && d.rejected > 0 && d.skipped > 0, "counters");
  }

  /* 3. A decoder with a small buffer rejects frames that do not fit and keeps going. */
  {
    static uint8_t small[64];
    es_proto_decoder d;
    REQUIRE_MSG(es_proto_decoder_init(&d, small, sizeof small) == ES_OK, "init small");
    REQUIRE_MSG(es_proto_decoder_init(&d, small, 11) == ES_ERR_ARGUMENT, "tiny capacity accepted");
    REQUIRE_MSG(es_proto_decoder_init(&d, small, sizeof small) == ES_OK, "init small");
    const vector *big = NULL, *tiny = NULL;
    for (int i = 0; i < n; ++i) {
      if (strcmp(vectors[i].name, "max_payload") == 0) big = &vectors[i];
      if (strcmp(vectors[i].name, "end_empty") == 0) tiny = &vectors[i];
    }
    REQUIRE_MSG(big && tiny, "vectors max_payload and end_empty needed");
    len = 0;
    memcpy(stream, big->frame, big->frame_len);
    len += big->frame_len;
    memcpy(stream + len, tiny->frame, tiny->frame_len);
    len += tiny->frame_len;
    int found = decode_all(&d, stream, len, 3, frames, copies, 4);
    REQUIRE_MSG(found == 1 && frames[0].type == ES_PROTO_END, "small decoder found %d", found);
  }

  /* 4. A garbage header declaring a plausible length holds the decoder until
   * the line goes quiet; abandoning it finds the frame that followed. */
  {
    es_proto_decoder d;
    REQUIRE_MSG(es_proto_decoder_init(&d, buffer, sizeof buffer) == ES_OK, "init");
    const uint8_t fake[8] = {ES_PROTO_MAGIC, ES_PROTO_VERSION, ES_PROTO_AUDIO, 0, 0, 0, 0x00, 0x01};
    const vector *v = &vectors[1];
    memcpy(stream, fake, sizeof fake);
    memcpy(stream + sizeof fake, v->frame, v->frame_len);
    int found = decode_all(&d, stream, sizeof fake + v->frame_len, 64, frames, copies, 4);
    REQUIRE_MSG(found == 0, "a frame came out of a candidate that still waits for bytes");
    es_proto_decoder_abandon(&d);
    found = decode_all(&d, stream, 0, 64, frames, copies, 4);
    REQUIRE_MSG(found == 1 && frames[0].type == v->type && frames[0].seq == v->seq, "abandon did not resync");
    REQUIRE_MSG(d.skipped == sizeof fake && d.rejected == 1, "abandon counters");
    es_proto_decoder_abandon(&d); /* nothing pending: no effect */
    REQUIRE_MSG(d.rejected == 1, "abandon with nothing pending changed the counters");
    es_proto_decoder_abandon(NULL);
  }

  /* 5. NULL arguments are errors, not crashes. */
  es_proto_frame f;
  int ready;
  size_t acc;
  REQUIRE_MSG(es_proto_decoder_next(NULL, &f, &ready) == ES_ERR_ARGUMENT, "null decoder");
  REQUIRE_MSG(es_proto_decoder_write(NULL, out, 1, &acc) == ES_ERR_ARGUMENT, "null decoder write");
  REQUIRE_MSG(es_proto_decoder_init(NULL, buffer, sizeof buffer) == ES_ERR_ARGUMENT, "null init");
  REQUIRE_MSG(es_proto_encode(ES_PROTO_END, 0, NULL, 0, NULL, 0, &w) == ES_ERR_ARGUMENT, "null out");
  printf("ok %d\n", checks);
  return 0;
}
