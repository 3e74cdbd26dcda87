/* Frame encoder and the resynchronising stream decoder (layout: protocol.h).
 *
 * The decoder keeps received bytes in caller memory as a window
 * [start, fill).  es_proto_decoder_next() looks for a frame at `start`: it
 * checks magic, version, type and length as soon as those bytes are there,
 * and the CRC once the whole frame is.  Any failed check discards just the
 * first byte and searches again from the next magic byte, so a frame that
 * follows garbage (or a truncated frame) is still found.  The length check
 * bounds every candidate by the buffer, so the window can never fill up
 * without either a frame or a rejection.
 */
#include <string.h>

#include "edgesim/protocol.h"

static es_status encode(uint8_t type, uint8_t flags, uint16_t seq, const uint8_t *payload, size_t length,
                        uint8_t *out, size_t capacity, size_t *written) {
  if (out == NULL || written == NULL || (payload == NULL && length > 0)) return ES_ERR_ARGUMENT;
  *written = 0;
  if (type == 0 || type >= ES_PROTO_TYPE_COUNT || length > ES_PROTO_MAX_PAYLOAD) return ES_ERR_ARGUMENT;
  size_t total = ES_PROTO_HEADER_BYTES + length + ES_PROTO_CRC_BYTES;
  if (capacity < total) return ES_ERR_BUFFER_FULL;
  out[0] = ES_PROTO_MAGIC;
  out[1] = ES_PROTO_VERSION;
  out[2] = type;
  out[3] = flags;
  es_put_u16(out + 4, seq);
  es_put_u16(out + 6, (uint16_t)length);
  if (length > 0) memcpy(out + ES_PROTO_HEADER_BYTES, payload, length);
  es_put_u32(out + ES_PROTO_HEADER_BYTES + length,
             es_crc32_update(0, out, ES_PROTO_HEADER_BYTES + length));
  *written = total;
  return ES_OK;
}

es_status es_proto_encode(uint8_t type, uint16_t seq, const uint8_t *payload, size_t length,
                          uint8_t *out, size_t capacity, size_t *written) {
  return encode(type, 0, seq, payload, length, out, capacity, written);
}

es_status es_proto_encode_repeat(uint8_t flags, uint16_t next, uint16_t own_next, uint8_t *out, size_t capacity,
                                 size_t *written) {
  uint8_t payload[ES_PROTO_REPEAT_BYTES];
  es_put_u16(payload, own_next);
  return encode(ES_PROTO_REPEAT, flags, next, payload, sizeof payload, out, capacity, written);
}


es_status es_proto_decoder_init(es_proto_decoder *decoder, uint8_t *buffer, size_t capacity) {
  if (decoder == NULL || buffer == NULL) return ES_ERR_ARGUMENT;
  /* Room for at least one empty frame; the length check uses the rest. */
  if (capacity < ES_PROTO_HEADER_BYTES + ES_PROTO_CRC_BYTES) return ES_ERR_ARGUMENT;
  decoder->buf = buffer;
  decoder->capacity = capacity;
  es_proto_decoder_reset(decoder);
  return ES_OK;
}

void es_proto_decoder_reset(es_proto_decoder *decoder) {
  if (decoder == NULL) return;
  decoder->start = 0;
  decoder->fill = 0;
  decoder->frames = 0;
  decoder->rejected = 0;
  decoder->skipped = 0;
}

es_status es_proto_decoder_write(es_proto_decoder *decoder, const uint8_t *data, size_t length,
                                 size_t *accepted) {
  if (decoder == NULL || accepted == NULL || (data == NULL && length > 0)) return ES_ERR_ARGUMENT;
  /* Move the unparsed window to the front: this is the only place bytes
   * move, which is why a frame's payload is valid until the next write. */
  if (decoder->start > 0) {
    memmove(decoder->buf, decoder->buf + decoder->start, decoder->fill - decoder->start);
    decoder->fill -= decoder->start;
    decoder->start = 0;
  }
  size_t room = decoder->capacity - decoder->fill;
  size_t n = length < room ? length : room;
  if (n > 0) memcpy(decoder->buf + decoder->fill, data, n);
  decoder->fill += n;
  *accepted = n;
  return ES_OK;
}

/* Largest payload a frame may declare and still fit in this decoder. */
static size_t max_payload(const es_proto_decoder *decoder) {
  size_t room = decoder->capacity - ES_PROTO_HEADER_BYTES - ES_PROTO_CRC_BYTES;
  return room < ES_PROTO_MAX_PAYLOAD ? room : ES_PROTO_MAX_PAYLOAD;
}

/* 1: a valid frame starts at `start`; 0: not enough bytes yet; -1: invalid. */
static int check_candidate(const es_proto_decoder *decoder) {
  const uint8_t *p = decoder->buf + decoder->start;
  size_t avail = decoder->fill - decoder->start;
  if (avail >= 2 && p[1] != ES_PROTO_VERSION) return -1;
  if (avail >= 3 && (p[2] == 0 || p[2] >= ES_PROTO_TYPE_COUNT)) return -1;
  if (avail < ES_PROTO_HEADER_BYTES) return 0;
  size_t length = es_get_u16(p + 6);
  if (length > max_payload(decoder)) return -1;
  size_t body = ES_PROTO_HEADER_BYTES + length;
  if (avail < body + ES_PROTO_CRC_BYTES) return 0;
  return es_crc32_update(0, p, body) == es_get_u32(p + body) ? 1 : -1;
}

es_status es_proto_decoder_next(es_proto_decoder *decoder, es_proto_frame *frame, int *ready) {
  if (decoder == NULL || frame == NULL || ready == NULL) return ES_ERR_ARGUMENT;
  *ready = 0;
  for (;;) {
    while (decoder->start < decoder->fill && decoder->buf[decoder->start] != ES_PROTO_MAGIC) {
      decoder->start++;
      decoder->skipped++;
    }
    if (decoder->start == decoder->fill) {
      decoder->start = decoder->fill = 0;
      return ES_OK;
    }
    int verdict = check_candidate(decoder);
    if (verdict == 0) return ES_OK;
    if (verdict < 0) {
      /* Drop the false magic byte; the search continues right after it. */
      decoder->rejected++;
      decoder->skipped++;
      decoder->start++;
      continue;
    }
    const uint8_t *p = decoder->buf + decoder->start;
    frame->type = p[2];
    frame->flags = p[3];
    frame->seq = es_get_u16(p + 4);
    frame->length = es_get_u16(p + 6);
    frame->payload = p + ES_PROTO_HEADER_BYTES;
    decoder->start += ES_PROTO_HEADER_BYTES + frame->length + ES_PROTO_CRC_BYTES;
    decoder->frames++;
    *ready = 1;
    return ES_OK;
  }
}

void es_proto_decoder_abandon(es_proto_decoder *decoder) {
  if (decoder == NULL || decoder->start >= decoder->fill) return;
  decoder->rejected++;
  decoder->skipped++;
  decoder->start++;
}
