/* The device side of the link: one sequence counter for everything the
 * firmware emits (including the fault handler's last words), the receive
 * filter that accepts each host frame once and in order, acknowledgements,
 * and repeats from a ring of recently sent frames (rules: protocol.h). */
#include "link.h"

#include <string.h>

#include "board.h"
#include "edgesim/protocol.h"

/* Bytes of sent frames kept for repeats; a host that asks for an older frame
 * gets an ERROR frame instead. */
#ifndef FW_LINK_HISTORY_BYTES
#define FW_LINK_HISTORY_BYTES (3u * ES_PROTO_MAX_FRAME)
#endif
#define HISTORY_FRAMES 64u

static uint16_t tx_seq;
static uint8_t tx_buffer[ES_PROTO_MAX_FRAME];

/* ---- sent frames kept for repeats -------------------------------------------
 * kept[] is a ring of the last kept_count frames, numbered consecutively up to
 * tx_seq - 1; their bytes live in the byte ring history[]. */
typedef struct {
  uint32_t start;
  uint32_t length;
} kept_frame;

static uint8_t history[FW_LINK_HISTORY_BYTES];
static kept_frame kept[HISTORY_FRAMES];
static uint32_t kept_first, kept_count, history_head, history_used;

static void forget_oldest(void) {
  history_used -= kept[kept_first].length;
  kept_first = (kept_first + 1) % HISTORY_FRAMES;
  kept_count--;
}

static void keep(const uint8_t *frame, size_t length) {
  if (length > FW_LINK_HISTORY_BYTES) {
    /* Too big to keep: older frames could no longer be resent in order either. */
    kept_count = 0;
    history_used = 0;
    return;
  }
  while (kept_count == HISTORY_FRAMES || history_used + length > FW_LINK_HISTORY_BYTES) forget_oldest();
  size_t first = FW_LINK_HISTORY_BYTES - history_head;
  if (first > length) first = length;
  memcpy(history + history_head, frame, first);
  memcpy(history, frame + first, length - first);
  kept[(kept_first + kept_count) % HISTORY_FRAMES] = (kept_frame){history_head, (uint32_t)length};
  kept_count++;
  history_head = (uint32_t)((history_head + length) % FW_LINK_HISTORY_BYTES);
  history_used += (uint32_t)length;
}

static void write_kept(const kept_frame *frame) {
  size_t first = FW_LINK_HISTORY_BYTES - frame->start;
  if (first > frame->length) first = frame->length;
  board_link_write(history + frame->start, first);
  if (frame->length > first) board_link_write(history, frame->length - first);
}

/* Resends up to RESEND_FRAMES frames from `from` on (the host asks again for
 * the rest; a bigger burst only queues up behind a slow line); 0 when `from`
 * is no longer kept. */
#define RESEND_FRAMES 4u
static int resend_from(uint16_t from) {
  uint16_t missing = (uint16_t)(tx_seq - from);
  if (missing == 0) return 1;
  if (missing > kept_count) return 0;
  uint32_t first = kept_count - missing;
  uint32_t end = missing > RESEND_FRAMES ? first + RESEND_FRAMES : kept_count;
  for (uint32_t i = first; i < end; ++i) write_kept(&kept[(kept_first + i) % HISTORY_FRAMES]);
  return 1;
}

/* ---- sending ----------------------------------------------------------------- */

void link_send(uint8_t type, const uint8_t *payload, size_t length) {
  size_t written = 0;
  if (es_proto_encode(type, tx_seq, payload, length, tx_buffer, sizeof tx_buffer, &written) != ES_OK) return;
  tx_seq++;
  keep(tx_buffer, written);
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

static void send_repeat(uint8_t flags, uint16_t next) {
  uint8_t frame[ES_PROTO_HEADER_BYTES + ES_PROTO_REPEAT_BYTES + ES_PROTO_CRC_BYTES];
  size_t written = 0;
  if (es_proto_encode_repeat(flags, next, tx_seq, frame, sizeof frame, &written) == ES_OK)
    board_link_write(frame, written);
}

/* ---- receiving --------------------------------------------------------------- */

static uint8_t rx_buffer[ES_PROTO_MAX_FRAME];
static es_proto_decoder decoder;
static int decoder_ready;
static uint8_t rx_chunk[256];
static size_t chunk_pos, chunk_len;

static int synced;              /* rx_next is known (a frame was accepted) */
static uint16_t rx_next;        /* the host frame accepted next */
static uint16_t last_config;    /* seq of the CONFIG that started this session */
static int repeat_asked;        /* a RESEND for rx_next is out; cleared on progress */

/* The next frame from the decoder, reading the board as needed; 0 at end of
 * input.  Without `wait`, also 0 when the line has nothing more right now
 * (a frame already begun is still waited for: its rest is on the way). */
static int next_decoded(es_proto_frame *frame, int wait) {
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
      if (!wait && !partial && !board_link_pending()) return 0;
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

static void on_repeat(const es_proto_frame *frame) {
  if ((frame->flags & ES_PROTO_FLAG_RESEND) && !resend_from(frame->seq))
    link_send_error(ES_ERR_PROTOCOL, ES_PROTO_STAGE_PROTOCOL, frame->seq,
                    "link: the host asked for a frame no longer kept for repeats");
  if ((frame->flags & ES_PROTO_FLAG_POLL) && synced) send_repeat(ES_PROTO_FLAG_RESEND | ES_PROTO_FLAG_POLL, rx_next);
}

__attribute__((weak)) int board_link_lossless(void) { return 0; }

/* Takes the frame and acknowledges it: 12 bytes back per frame lets the host
 * keep a small window of frames in flight (and for repeats). */
static void accept(const es_proto_frame *frame) {
  rx_next = (uint16_t)(frame->seq + 1);
  synced = 1;
  repeat_asked = 0;
  if (!board_link_lossless()) send_repeat(0, rx_next);
}

/* The receive filter: 1 when `frame` is the host's to act on, 0 when the
 * link took care of it (a REPEAT, a duplicate, a frame after a gap). */
static int filter(const es_proto_frame *frame) {
  if (frame->type == ES_PROTO_REPEAT) {
    on_repeat(frame);
    return 0;
  }
  if (frame->type == ES_PROTO_CONFIG) {
    if (synced && frame->seq == last_config && rx_next == (uint16_t)(frame->seq + 1))
      return 0; /* the CONFIG just accepted, repeated on the wire */
    last_config = frame->seq;
    accept(frame); /* a new session starts at its number */
    return 1;
  }
  if (!synced || frame->seq == rx_next) {
    accept(frame);
    return 1;
  }
  if ((uint16_t)(rx_next - frame->seq) <= 0x8000u) {
    /* Behind rx_next: had it already, so our acknowledgement was lost. */
    if (!board_link_lossless()) send_repeat(0, rx_next);
    return 0;
  }
  /* ahead: something before it was lost */
  if (!repeat_asked) {
    send_repeat(ES_PROTO_FLAG_RESEND, rx_next);
    repeat_asked = 1;
  }
  return 0;
}

int link_receive(es_proto_frame *frame) {
  while (next_decoded(frame, 1))
    if (filter(frame)) return 1;
  return 0;
}

int link_poll(es_proto_frame *frame) {
  while (next_decoded(frame, 0))
    if (filter(frame)) return 1;
  return 0;
}

uint32_t link_rejected(void) { return decoder_ready ? decoder.rejected : 0; }
uint32_t link_skipped(void) { return decoder_ready ? decoder.skipped : 0; }
