/* QEMU mps2-an386: CMSDK APB UART0, APB timer 0 as instruction counter,
 * semihosting for exit codes and the optional bulk file channel.
 *
 * The bulk channel is chosen by semihosting arguments
 * (-semihosting-config arg=fw.elf,arg=in=FRAMES.bin,arg=out=REPLY.bin):
 * frames are then read from and written to those host files instead of the
 * UART; everything above board_link_* is unchanged.
 */
#include <string.h>

#include "board.h"
#include "edgesim/protocol.h"

#define UART0_BASE 0x40004000u
#define UART_DATA (*(volatile uint32_t *)(UART0_BASE + 0x00u))
#define UART_STATE (*(volatile uint32_t *)(UART0_BASE + 0x04u))
#define UART_CTRL (*(volatile uint32_t *)(UART0_BASE + 0x08u))
#define UART_BAUDDIV (*(volatile uint32_t *)(UART0_BASE + 0x10u))
#define UART_STATE_TX_FULL 0x1u
#define UART_STATE_RX_FULL 0x2u

#define TIMER0_BASE 0x40000000u
#define TIMER_CTRL (*(volatile uint32_t *)(TIMER0_BASE + 0x00u))
#define TIMER_VALUE (*(volatile uint32_t *)(TIMER0_BASE + 0x04u))
#define TIMER_RELOAD (*(volatile uint32_t *)(TIMER0_BASE + 0x08u))
/* The timer runs at the 25 MHz APB clock; under -icount shift=0 one
 * instruction takes 1 ns of virtual time, so one tick is 40 instructions. */
#define INSTRUCTIONS_PER_TICK 40u
/* Quiet line time after which a partial frame is garbage: 32 ms of virtual
 * time; QEMU polls the UART at ~8 M instructions/s, so about 4 s real.  Long,
 * because a busy host machine can starve QEMU's UART for a second inside a
 * genuine frame; the host's link does not wait for it (after an unanswered
 * poll it pushes zero bytes, which complete any garbage "frame" at once). */
#define IDLE_INSTRUCTIONS 32000000u

#define SYS_OPEN 0x01u
#define SYS_WRITE 0x05u
#define SYS_READ 0x06u
#define SYS_GET_CMDLINE 0x15u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static int32_t in_file = -1;
static int32_t out_file = -1;

static uint32_t semihost(uint32_t op, const void *arg) {
  register uint32_t r0 __asm("r0") = op;
  register const void *r1 __asm("r1") = arg;
  __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static int32_t open_file(const char *name, uint32_t mode) {
  const uint32_t block[3] = {(uint32_t)(uintptr_t)name, mode, (uint32_t)strlen(name)};
  return (int32_t)semihost(SYS_OPEN, block);
}

/* Parses "in=PATH out=PATH" from the semihosting command line. */
static void select_channel(void) {
  static char cmdline[512];
  uint32_t block[2] = {(uint32_t)(uintptr_t)cmdline, sizeof cmdline - 1};
  if (semihost(SYS_GET_CMDLINE, block) != 0) return;
  cmdline[block[1] < sizeof cmdline ? block[1] : sizeof cmdline - 1] = '\0';
  for (char *token = cmdline; *token;) {
    char *end = token;
    while (*end && *end != ' ') ++end;
    char saved = *end;
    *end = '\0';
    if (strncmp(token, "in=", 3) == 0) in_file = open_file(token + 3, 1 /* "rb" */);
    if (strncmp(token, "out=", 4) == 0) out_file = open_file(token + 4, 5 /* "wb" */);
    *end = saved;
    token = saved ? end + 1 : end;
  }
}

void board_init(void) {
  /* BAUDDIV >= 16 and TX/RX enabled before the first write, or QEMU keeps
   * reporting TX full and a polling write never finishes. */
  UART_BAUDDIV = 16;
  UART_CTRL = 0x3;
  TIMER_CTRL = 0;
  TIMER_RELOAD = 0xFFFFFFFFu;
  TIMER_VALUE = 0xFFFFFFFFu;
  TIMER_CTRL = 0x1;
  select_channel();
}

size_t board_link_read(uint8_t *data, size_t capacity, int return_when_idle) {
  if (capacity == 0) return 0;
  if (in_file >= 0) {
    const uint32_t block[3] = {(uint32_t)in_file, (uint32_t)(uintptr_t)data, (uint32_t)capacity};
    uint32_t not_read = semihost(SYS_READ, block);
    return not_read > capacity ? 0 : capacity - not_read;
  }
  uint32_t start = board_instructions();
  while (!(UART_STATE & UART_STATE_RX_FULL)) {
    if (return_when_idle && board_instructions() - start > IDLE_INSTRUCTIONS) return BOARD_LINK_IDLE;
  }
  size_t n = 0;
  do {
    data[n++] = (uint8_t)UART_DATA;
  } while (n < capacity && (UART_STATE & UART_STATE_RX_FULL));
  return n;
}

int board_link_lossless(void) { return in_file >= 0; }

int board_link_pending(void) { return in_file < 0 && (UART_STATE & UART_STATE_RX_FULL) != 0; }

void board_link_write(const uint8_t *data, size_t length) {
  if (out_file >= 0) {
    const uint32_t block[3] = {(uint32_t)out_file, (uint32_t)(uintptr_t)data, (uint32_t)length};
    semihost(SYS_WRITE, block);
    return;
  }
  for (size_t i = 0; i < length; ++i) {
    while (UART_STATE & UART_STATE_TX_FULL) {
    }
    UART_DATA = data[i];
  }
}

uint32_t board_instructions(void) { return (0xFFFFFFFFu - TIMER_VALUE) * INSTRUCTIONS_PER_TICK; }
uint32_t board_counter_resolution(void) { return INSTRUCTIONS_PER_TICK; }
uint8_t board_id(void) { return ES_PROTO_BOARD_MPS2_AN386; }

void board_exit(uint32_t code) {
  const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, code};
  for (;;) semihost(SYS_EXIT_EXTENDED, block);
}
