/* Board self-test image (tests/test_firmware_board.py): exercises the board
 * layer without any app.  It says HELLO, then for every frame it receives:
 *   CONFIG with a command word (below)  -> runs that command
 *   CONFIG with flags                   -> HELLO (as an app image)
 *   STROKE                              -> STATS with the instructions of a
 *                                          loop of exactly 200,000 instructions
 *   END                                 -> END, exit 0
 *   anything else                       -> the same type and payload back
 */
#include <stdint.h>

#include "board.h"
#include "edgesim/protocol.h"
#include "link.h"

#define CMD_UNDEFINED_INSTRUCTION 0xDEAD0001u
#define CMD_HANG 0xDEAD0002u
#define CMD_DIVIDE_BY_ZERO 0xDEAD0003u
#define CMD_BUS_FAULT 0xDEAD0004u
#define CMD_EXIT_7 0xDEAD0005u
#define CMD_FLOAT 0xDEAD0006u

static volatile uint32_t divisor_zero;

/* 100,000 iterations of subs + bne: 200,000 instructions plus 2 of set-up. */
static uint32_t measure_loop(void) {
  board_mark_stage(ES_PROTO_STAGE_PREPROCESS);
  uint32_t start = board_instructions();
  __asm volatile(
      "ldr r3, =100000\n"
      "1: subs r3, r3, #1\n"
      "bne 1b\n" ::: "r3", "cc");
  uint32_t used = board_instructions() - start;
  board_mark_stage(BOARD_MARK_IDLE);
  board_mark_stage(BOARD_MARK_REPORT);
  return used;
}

static void run_command(uint32_t command) {
  switch (command) {
    case CMD_UNDEFINED_INSTRUCTION: __asm volatile("udf #0"); break;
    case CMD_HANG: for (;;) { } break;
    case CMD_DIVIDE_BY_ZERO: divisor_zero = 10u / divisor_zero; break;
    case CMD_BUS_FAULT: divisor_zero = *(volatile uint32_t *)0xFFFFFFF0u; break;
    case CMD_EXIT_7: board_exit(7); break;
    case CMD_FLOAT: {
      /* the FPU must be on: a float division round trip through memory */
      volatile float x = 1.0f;
      x = x / 3.0f;
      uint8_t payload[4];
      union { float f; uint32_t u; } v = {x};
      es_put_u32(payload, v.u);
      link_send(ES_PROTO_CONFIG, payload, 4);
      break;
    }
    default: link_send_error(ES_ERR_ARGUMENT, ES_PROTO_STAGE_PROTOCOL, 0, "unknown selftest command");
  }
}

/* HELLO as an app image sends it (one model output), so the emulator
 * target accepts this image too. */
static void send_hello(void) {
  uint8_t hello[ES_PROTO_HELLO_BYTES] = {0, board_id()};
  hello[16] = 1;
  link_send(ES_PROTO_HELLO, hello, sizeof hello);
}

int main(void) {
  board_init();
  send_hello();
  es_proto_frame frame;
  while (link_receive(&frame)) {
    if (frame.type == ES_PROTO_CONFIG && frame.length == 4) {
      uint32_t word = es_get_u32(frame.payload);
      if ((word & 0xFFFF0000u) == 0xDEAD0000u)
        run_command(word);
      else
        send_hello(); /* a real CONFIG: flags */
    } else if (frame.type == ES_PROTO_STROKE) {
      uint8_t stats[ES_PROTO_STATS_BYTES] = {0};
      es_put_u32(stats + 4, measure_loop());
      es_put_u32(stats + 16, board_stack_high_water());
      link_send(ES_PROTO_STATS, stats, sizeof stats);
    } else if (frame.type == ES_PROTO_END) {
      uint8_t end[ES_PROTO_END_BYTES] = {0};
      es_put_u32(end + 4, link_rejected());
      es_put_u32(end + 8, link_skipped());
      es_put_u32(end + 12, board_stack_high_water());
      link_send(ES_PROTO_END, end, sizeof end);
      return 0;
    } else {
      link_send(frame.type, frame.payload, frame.length);
    }
  }
  return 0;
}
