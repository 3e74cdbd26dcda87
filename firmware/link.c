/* The device side of frame sending: one sequence counter for everything the
 * firmware emits, including the fault handler's last words. */
#include "link.h"

#include <string.h>

#include "board.h"
#include "edgesim/protocol.h"

static uint16_t tx_seq;
static uint8_t tx_buffer[ES_PROTO_MAX_FRAME];

void link_send(uint8_t type, const uint8_t *payload, size_t length) {
  size_t written = 0;
  if (es_proto_encode(type, tx_seq, payload, length, tx_buffer, sizeof tx_buffer, &written) != ES_OK) return;
  tx_seq++;
  board_link_write(tx_buffer, written);
}

void link_send_error(uint16_t status, uint16_t stage, uint16_t seq, const char *detail) {
  uint8_t payload[ES_PROTO_ERROR_HEADER_BYTES + 120];
  size_t n = detail ? strlen(detail) : 0;
  if (n > sizeof payload - ES_PROTO_ERROR_HEADER_BYTES) n = sizeof payload - ES_PROTO_ERROR_HEADER_BYTES;
  es_put_u16(payload, status);
  es_put_u16(payload + 2, stage);
  es_put_u16(payload + 4, seq);
  es_put_u16(payload + 6, (uint16_t)n);
  if (n) memcpy(payload + ES_PROTO_ERROR_HEADER_BYTES, detail, n);
  link_send(ES_PROTO_ERROR, payload, ES_PROTO_ERROR_HEADER_BYTES + n);
}

static uint8_t rx_buffer[ES_PROTO_MAX_FRAME];
static es_proto_decoder decoder;
static int decoder_ready;
static uint8_t rx_chunk[256];
static size_t chunk_pos, chunk_len;

int link_receive(es_proto_frame *frame) {
  if (!decoder_ready) {
    es_proto_decoder_init(&decoder, rx_buffer, sizeof rx_buffer);
    decoder_ready = 1;
  }
  for (;;) {
    int ready = 0;
    es_proto_decoder_next(&decoder, frame, &ready);
    if (ready) return 1;
    if (chunk_pos == chunk_len) {
      /* With a frame half received, a quiet line means its header was
       * garbage: abandon it and rescan what came after. */
      int partial = decoder.start < decoder.fill;
      size_t n = board_link_read(rx_chunk, sizeof rx_chunk, partial);
      if (n == BOARD_LINK_IDLE) {
        es_proto_decoder_abandon(&decoder);
        continue;
      }
      chunk_len = n;
      chunk_pos = 0;
      if (chunk_len == 0) return 0;
    }
    size_t accepted = 0;
    es_proto_decoder_write(&decoder, rx_chunk + chunk_pos, chunk_len - chunk_pos, &accepted);
    chunk_pos += accepted;
  }
}

uint32_t link_rejected(void) { return decoder_ready ? decoder.rejected : 0; }
uint32_t link_skipped(void) { return decoder_ready ? decoder.skipped : 0; }
