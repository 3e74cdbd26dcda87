/* Host <-> device frame protocol: the single definition of its ids and layouts.
 *
 * A frame on the byte stream (UART, pty, semihosting file) is
 *
 *   offset  size  field
 *   0       1     magic    ES_PROTO_MAGIC
 *   1       1     version  ES_PROTO_VERSION
 *   2       1     type     es_proto_type
 *   3       1     flags    ES_PROTO_FLAG_* (REPEAT frames); 0 on every other frame
 *   4       2     sequence number, little-endian, per direction, +1 per frame
 *   6       2     payload length n, little-endian, <= ES_PROTO_MAX_PAYLOAD
 *   8       n     payload (layouts below, all integers little-endian)
 *   8+n     4     CRC-32 (IEEE 802.3, as zlib.crc32) of bytes 0 .. 8+n-1
 *
 * A receiver that meets a bad magic, version, length or CRC drops one byte
 * and searches for the next magic (resynchronisation), counting what it
 * skipped.  A garbage "header" that declares a plausible length would make
 * the receiver wait for that many bytes; when the line goes quiet first, the
 * receiver abandons the candidate (es_proto_decoder_abandon) and rescans.
 *
 * Reliable delivery (a noisy UART: flipped, dropped, repeated bytes):
 * every frame but REPEAT is numbered, per direction, +1 per frame.  A
 * receiver accepts the frame numbered "next expected" and drops the rest: a
 * number behind it is a duplicate, one ahead of it means something was lost,
 * and the receiver then asks for a repeat, once per gap:
 *   REPEAT with ES_PROTO_FLAG_RESEND, seq = the next number it expects:
 *     "resend everything from seq on"; the sender goes back and resends.
 *   REPEAT without the flag, seq = the same: "I have everything before seq"
 *     (an acknowledgement; the device sends one for every frame it accepts,
 *     so the host keeps only a small window of frames for repeats).
 * Every REPEAT also carries the number its sender will use next, so the
 * line being first-in first-out, a receiver that sees it knows every frame
 * numbered below it was sent before: one it lacks was lost, and it asks.
 * A host REPEAT with ES_PROTO_FLAG_POLL (and no RESEND) is a poll for a line
 * that has gone quiet: the device answers with a RESEND|POLL REPEAT, and the
 * host resends what it had sent before the poll from the number asked for.  REPEAT frames are not numbered (their seq is the request).
 * CONFIG starts a session at any number: the device takes its seq as the
 * new starting point, except for an exact repeat of the CONFIG it has just
 * accepted (a duplicated frame).  The device keeps its recent frames in a
 * ring (firmware/link.c); a repeat of a frame no longer there is reported
 * with an ERROR frame (stage PROTOCOL), never silently skipped.
 *
 * Python reads every constant below through edgesim._protocol (module
 * attributes with the ES_PROTO_ prefix removed); nothing is restated there.
 */
#ifndef EDGESIM_PROTOCOL_H
#define EDGESIM_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "edgesim/status.h"

#define ES_PROTO_MAGIC 0xE5u
#define ES_PROTO_VERSION 1u
#define ES_PROTO_HEADER_BYTES 8u
#define ES_PROTO_CRC_BYTES 4u
/* Large enough for a 49x40 feature matrix or a 20 ms .. 128 ms audio chunk;
 * bigger sensor data (images) travels in several frames. */
#define ES_PROTO_MAX_PAYLOAD 4096u
#define ES_PROTO_MAX_FRAME (ES_PROTO_HEADER_BYTES + ES_PROTO_MAX_PAYLOAD + ES_PROTO_CRC_BYTES)

/* Frame types.  H->D: host to device, D->H: device to host. */
typedef enum es_proto_type {
  ES_PROTO_HELLO = 1,     /* D->H after boot: hello payload */
  ES_PROTO_CONFIG = 2,    /* H->D: config payload; answered by HELLO */
  ES_PROTO_AUDIO = 3,     /* H->D: int16 samples at ES_AUDIO_SAMPLE_RATE_HZ */
  ES_PROTO_IMAGE = 4,     /* H->D: image header + one chunk of pixel bytes */
  ES_PROTO_IMU = 5,       /* H->D: samples of 6 float32 (ax ay az in g, gx gy gz in deg/s) */
  ES_PROTO_STROKE = 6,    /* H->D: a complete stroke, int8 (x, y) pairs */
  ES_PROTO_FEATURES = 7,  /* D->H: the model's int8 input (in pieces) */
  ES_PROTO_SCORES = 8,    /* D->H: result header + the model's int8 output */
  ES_PROTO_DETECTION = 9, /* D->H: detection payload */
  ES_PROTO_STATS = 10,    /* D->H: per-stage instruction counts of one inference */
  ES_PROTO_ERROR = 11,    /* D->H: error payload (a kernel or protocol failure) */
  ES_PROTO_END = 12,      /* H->D: end of stream; D->H: end payload, then idle */
  ES_PROTO_FAULT = 13,    /* D->H: fault payload from the fault handler, then exit */
  ES_PROTO_REPEAT = 14,   /* both: unnumbered; seq = next expected (ACK, or RESEND with the flag) */
  ES_PROTO_RAW = 15,      /* D->H: raw header + the board's own sensor input (ES_PROTO_CFG_RAW) */
  ES_PROTO_TYPE_COUNT
} es_proto_type;

/* Header flags (REPEAT frames only). */
#define ES_PROTO_FLAG_RESEND 0x1u /* resend everything from seq on */
#define ES_PROTO_FLAG_POLL 0x2u   /* H->D: a poll, answer it; D->H: this is the answer */
#define ES_PROTO_REPEAT_BYTES 2u

/* CONFIG payload: u32 flags. */
#define ES_PROTO_CONFIG_BYTES 4u
#define ES_PROTO_CFG_FEATURES 0x1u /* send a FEATURES frame before each SCORES */
#define ES_PROTO_CFG_STATS 0x2u    /* send a STATS frame after each SCORES */
/* Firmware reading its own sensors (built with --sensors): forward their
 * input as RAW frames instead of running the model (edgesim record --source
 * device), until END.  A firmware fed by the host answers this flag with an
 * ERROR frame (stage PROTOCOL, status ES_ERR_UNSUPPORTED). */
#define ES_PROTO_CFG_RAW 0x4u

/* HELLO payload: u8 app, u8 board, u16 reserved, u32 model_bytes,
 * u32 arena_bytes (planned), u32 input_bytes, u32 output_count. */
#define ES_PROTO_HELLO_BYTES 20u

/* Applications and boards named in HELLO. */
#define ES_PROTO_APP_WAKE_WORD 1u
#define ES_PROTO_APP_PERSON_DETECTION 2u
#define ES_PROTO_APP_GESTURE 3u
#define ES_PROTO_BOARD_MPS2_AN386 1u
#define ES_PROTO_BOARD_NANO33BLE 2u

/* IMAGE payload: u16 width, u16 height, u8 pixel format (the image kernel's
 * format id), u8 reserved[3], u32 byte offset of this chunk in the frame,
 * then pixel bytes.  The frame is complete when offset + chunk reaches
 * width * height * bytes-per-pixel. */
#define ES_PROTO_IMAGE_HEADER_BYTES 12u

/* IMU payload: n samples of 6 little-endian float32. */
#define ES_PROTO_IMU_SAMPLE_BYTES 24u

/* FEATURES payload: u32 inference index, u32 byte offset, then int8 model
 * input bytes from that offset (inputs above one payload take several
 * frames, in order). */
#define ES_PROTO_FEATURES_HEADER_BYTES 8u

/* SCORES payload: u32 inference index, u32 timestamp (input position: audio
 * samples / image count / IMU samples or stroke count), then the int8
 * model output. */
#define ES_PROTO_SCORES_HEADER_BYTES 8u

/* DETECTION payload: u32 inference index, u32 timestamp (as SCORES),
 * i16 label index (-1: a "leave"/no-label event), u8 score (0..255),
 * u8 kind (ES_PROTO_DET_*). */
#define ES_PROTO_DETECTION_BYTES 12u
#define ES_PROTO_DET_COMMAND 1u /* a recognised word */
#define ES_PROTO_DET_ENTER 2u   /* a person appeared */
#define ES_PROTO_DET_LEAVE 3u   /* a person left */
#define ES_PROTO_DET_GESTURE 4u /* a completed stroke was classified */

/* STATS payload: u32 inference index, then ES_PROTO_STAGE_COUNT u32
 * instruction counts (preprocess, invoke, postprocess), u32 stack bytes
 * used so far (high-water mark). */
#define ES_PROTO_STAGE_PREPROCESS 0u
#define ES_PROTO_STAGE_INVOKE 1u
#define ES_PROTO_STAGE_POSTPROCESS 2u
#define ES_PROTO_STAGE_COUNT 3u
#define ES_PROTO_STATS_BYTES 20u

/* ERROR payload: u16 es_status, u16 stage (ES_PROTO_STAGE_* or
 * ES_PROTO_STAGE_PROTOCOL), u16 sequence of the frame that caused it,
 * u16 detail length, then ASCII detail. */
#define ES_PROTO_STAGE_PROTOCOL 0xFFu
#define ES_PROTO_ERROR_HEADER_BYTES 8u

/* END payload (D->H): u32 inferences run, u32 frames rejected (bad CRC,
 * magic, version or length), u32 bytes skipped while resynchronising,
 * u32 stack high-water mark in bytes. */
#define ES_PROTO_END_BYTES 16u

/* FAULT payload: ten u32: CFSR, HFSR, MMFAR, BFAR, and the stacked R0, R12,
 * LR, PC, xPSR, then the SP at fault. */
#define ES_PROTO_FAULT_BYTES 40u

/* RAW payload: u8 input (the frame type the data would have from the host:
 * ES_PROTO_AUDIO, ES_PROTO_IMAGE or ES_PROTO_IMU), u8 reserved[3], u32
 * position of the first item in the stream since CONFIG (audio or IMU
 * samples; for IMAGE the image's index), then that input frame's payload
 * unchanged (int16 samples, image header + chunk, float32 IMU samples).
 * A sensor firmware's input frames leave room for this header, so each is
 * forwarded as one RAW frame. */
#define ES_PROTO_RAW_HEADER_BYTES 8u

/* Semihosting exit codes of the firmware (mps2-an386). */
#define ES_PROTO_EXIT_OK 0u
#define ES_PROTO_EXIT_ERROR 1u  /* setup failed (model, arena); an ERROR frame was sent */
#define ES_PROTO_EXIT_FAULT 3u  /* HardFault/UsageFault/...; a FAULT frame was sent */

/* ---- payload layouts ------------------------------------------------------ */

/* Every fixed layout above as a field list, the one place its fields are
 * named in order: F(kind, name) with kind U8, U16, U32, I16, F32 or PAD (one
 * unused byte; its name is ignored).  Little-endian, no padding between
 * fields.  edgesim._protocol turns each into LAYOUTS["HELLO"] == ("<BBHIIII",
 * ("app", "board", ...)) for the host; the size checks below keep every list
 * equal to its *_BYTES constant. */
#define ES_PROTO_HEADER_FIELDS(F) \
  F(U8, magic) F(U8, version) F(U8, type) F(U8, flags) F(U16, seq) F(U16, length)
#define ES_PROTO_HELLO_FIELDS(F)                                                                   \
  F(U8, app) F(U8, board) F(U16, reserved) F(U32, model_bytes) F(U32, arena_bytes) F(U32, input_bytes) \
  F(U32, output_count)
#define ES_PROTO_CONFIG_FIELDS(F) F(U32, flags)
#define ES_PROTO_IMAGE_HEADER_FIELDS(F) \
  F(U16, width) F(U16, height) F(U8, pixel_format) F(PAD, _1) F(PAD, _2) F(PAD, _3) F(U32, offset)
#define ES_PROTO_IMU_SAMPLE_FIELDS(F) F(F32, ax) F(F32, ay) F(F32, az) F(F32, gx) F(F32, gy) F(F32, gz)
#define ES_PROTO_FEATURES_HEADER_FIELDS(F) F(U32, index) F(U32, offset)
#define ES_PROTO_SCORES_HEADER_FIELDS(F) F(U32, index) F(U32, timestamp)
#define ES_PROTO_DETECTION_FIELDS(F) F(U32, index) F(U32, timestamp) F(I16, label) F(U8, score) F(U8, kind)
#define ES_PROTO_STATS_FIELDS(F) \
  F(U32, index) F(U32, preprocess) F(U32, invoke) F(U32, postprocess) F(U32, stack_bytes)
#define ES_PROTO_ERROR_HEADER_FIELDS(F) F(U16, status) F(U16, stage) F(U16, seq) F(U16, detail_length)
#define ES_PROTO_END_FIELDS(F) F(U32, inferences) F(U32, rejected) F(U32, skipped) F(U32, stack_bytes)
#define ES_PROTO_RAW_HEADER_FIELDS(F) F(U8, input) F(PAD, _1) F(PAD, _2) F(PAD, _3) F(U32, position)
#define ES_PROTO_FAULT_FIELDS(F) \
  F(U32, cfsr) F(U32, hfsr) F(U32, mmfar) F(U32, bfar) F(U32, r0) F(U32, r12) F(U32, lr) F(U32, pc) \
  F(U32, xpsr) F(U32, sp)

/* The layout lists, X(LIST, bytes): one line per payload for code that walks them all. */
#define ES_PROTO_LAYOUTS(X)                                                                         \
  X(HEADER, ES_PROTO_HEADER_BYTES) X(HELLO, ES_PROTO_HELLO_BYTES) X(CONFIG, ES_PROTO_CONFIG_BYTES)   \
  X(IMAGE_HEADER, ES_PROTO_IMAGE_HEADER_BYTES) X(IMU_SAMPLE, ES_PROTO_IMU_SAMPLE_BYTES)              \
  X(FEATURES_HEADER, ES_PROTO_FEATURES_HEADER_BYTES) X(SCORES_HEADER, ES_PROTO_SCORES_HEADER_BYTES) \
  X(DETECTION, ES_PROTO_DETECTION_BYTES) X(STATS, ES_PROTO_STATS_BYTES)                              \
  X(ERROR_HEADER, ES_PROTO_ERROR_HEADER_BYTES) X(END, ES_PROTO_END_BYTES) X(FAULT, ES_PROTO_FAULT_BYTES) \
  X(RAW_HEADER, ES_PROTO_RAW_HEADER_BYTES)

#define ES_PROTO_SIZE_U8 1u
#define ES_PROTO_SIZE_U16 2u
#define ES_PROTO_SIZE_U32 4u
#define ES_PROTO_SIZE_I16 2u
#define ES_PROTO_SIZE_F32 4u
#define ES_PROTO_SIZE_PAD 1u
#define ES_PROTO_FIELD_SIZE(kind, name) +ES_PROTO_SIZE_##kind
/* C99 compile-time check: a negative array size when a list and its size disagree. */
#define ES_PROTO_CHECK_LAYOUT(list, bytes) \
  typedef char es_proto_layout_check_##list[((0 ES_PROTO_##list##_FIELDS(ES_PROTO_FIELD_SIZE)) == (bytes)) ? 1 : -1];
ES_PROTO_LAYOUTS(ES_PROTO_CHECK_LAYOUT)
#undef ES_PROTO_CHECK_LAYOUT

/* ---- codec ---------------------------------------------------------------- */

/* A decoded frame; payload points into the decoder's buffer and stays valid
 * until the next es_proto_decoder_write(). */
typedef struct es_proto_frame {
  uint8_t type;
  uint8_t flags;
  uint16_t seq;
  uint16_t length;
  const uint8_t *payload;
} es_proto_frame;

/* Streaming decoder over caller memory: bytes [start, fill) of buf are
 * received and not yet parsed.  A capacity of ES_PROTO_MAX_FRAME accepts
 * every frame; a smaller one rejects frames whose payload does not fit. */
typedef struct es_proto_decoder {
  uint8_t *buf;
  size_t capacity;
  size_t start;
  size_t fill;
  uint32_t frames;   /* good frames returned */
  uint32_t rejected; /* candidate frames dropped for bad version, type, length or CRC */
  uint32_t skipped;  /* bytes discarded while searching for a frame */
} es_proto_decoder;

/* CRC-32 (reflected, polynomial 0xEDB88320, init and final xor 0xFFFFFFFF):
 * crc = es_crc32_update(0, data, n) equals zlib.crc32(data); calls chain. */
uint32_t es_crc32_update(uint32_t crc, const uint8_t *data, size_t length);

/* Writes one frame into out[0 .. capacity) and its size into *written.
 * ES_ERR_ARGUMENT for a NULL pointer, a type outside es_proto_type or a
 * payload above ES_PROTO_MAX_PAYLOAD; ES_ERR_BUFFER_FULL if out is small. */
es_status es_proto_encode(uint8_t type, uint16_t seq, const uint8_t *payload, size_t length,
                          uint8_t *out, size_t capacity, size_t *written);

/* A REPEAT frame (not numbered): `next` is the sequence number the sender
 * expects next, flags ES_PROTO_FLAG_*; its payload is the u16 number the
 * sender will give its own next frame (ES_PROTO_REPEAT_BYTES). */
es_status es_proto_encode_repeat(uint8_t flags, uint16_t next, uint16_t own_next, uint8_t *out, size_t capacity,
                                 size_t *written);

/* capacity >= ES_PROTO_HEADER_BYTES + ES_PROTO_CRC_BYTES. */
es_status es_proto_decoder_init(es_proto_decoder *decoder, uint8_t *buffer, size_t capacity);
void es_proto_decoder_reset(es_proto_decoder *decoder);

/* Appends up to `length` received bytes; *accepted says how many fitted
 * (call es_proto_decoder_next() until it yields nothing, then write the
 * rest).  Invalidates the payload of frames returned earlier. */
es_status es_proto_decoder_write(es_proto_decoder *decoder, const uint8_t *data, size_t length,
                                 size_t *accepted);

/* Parses buffered bytes: *ready becomes 1 with *frame filled when a valid
 * frame was found, else 0 (more bytes needed).  Garbage never fails: it is
 * skipped and counted.  ES_ERR_ARGUMENT only for NULL pointers. */
es_status es_proto_decoder_next(es_proto_decoder *decoder, es_proto_frame *frame, int *ready);

/* Gives up on the incomplete frame at the front of the buffer (the line went
 * quiet before the length it declared arrived: the "header" was garbage):
 * drops its first byte so the next es_proto_decoder_next() searches again.
 * No effect when nothing is pending. */
void es_proto_decoder_abandon(es_proto_decoder *decoder);

/* ---- little-endian field access ------------------------------------------ */

static inline void es_put_u16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void es_put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static inline uint16_t es_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t es_get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

#endif /* EDGESIM_PROTOCOL_H */
