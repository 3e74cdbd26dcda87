/* What the firmware needs from a board; one implementation per folder in
 * firmware/boards/<board>/.
 *
 * app_main.c and the fault handler talk to the host only through
 * board_link_read/board_link_write, a byte stream: the UART on mps2-an386
 * (optionally a pair of semihosting files under QEMU, the bulk channel: same
 * frames, same app code, ~10^4 x the UART's speed); on nano33ble the native
 * USB serial port (boards/nano33ble/usb/), or UARTE0 with FW_CONSOLE_UART.
 */
#ifndef EDGESIM_FIRMWARE_BOARD_H
#define EDGESIM_FIRMWARE_BOARD_H

#include <stddef.h>
#include <stdint.h>

/* Clocks, UART and the instruction counter; selects the link channel. */
void board_init(void);

/* The protocol byte stream.  read waits until at least one byte is there
 * and returns how many it stored; 0 when the input ended (end of file).
 * With return_when_idle, it gives up with BOARD_LINK_IDLE once the line has
 * been quiet for the board's idle time (longer than any gap inside a frame
 * its host link produces). */
#define BOARD_LINK_IDLE ((size_t)-1)
size_t board_link_read(uint8_t *data, size_t capacity, int return_when_idle);
void board_link_write(const uint8_t *data, size_t length);
/* 1 when board_link_read() would return at once with bytes: lets the
 * on-board-sensor loop take host frames between sensor polls.  The
 * semihosting file channel says 0 (it carries no host commands). */
int board_link_pending(void);

/* 1 when the link cannot lose or damage bytes (semihosting files): the link
 * then sends no acknowledgements.  A weak default in link.c says 0. */
int board_link_lossless(void);

/* Monotonic count of executed instructions (mps2-an386 under
 * -icount shift=0: timer ticks x 40) or CPU cycles (nano33ble: DWT CYCCNT).
 * Wraps modulo 2^32; differences of nearby reads are exact to the counter's
 * resolution (board_counter_resolution()). */
uint32_t board_instructions(void);
uint32_t board_counter_resolution(void);

/* Stage markers for the exact instruction-counting QEMU plugin
 * (firmware/tools/insn_count.c): board_mark_stage() calls one distinct,
 * never-inlined function per mark, whose address the plugin watches; the
 * plugin charges instructions to the last mark hit and prints the totals at
 * each BOARD_MARK_REPORT.  Marks 0..2 are ES_PROTO_STAGE_*. */
#define BOARD_MARK_IDLE 3u   /* I/O, waiting: charged to no stage */
#define BOARD_MARK_REPORT 4u /* one inference is complete */
void board_mark_stage(uint32_t mark);
/* Per-operator boundary for the same plugin (the model runner calls it
 * before each operator): it reports each operator's instructions. */
void board_mark_op(void);

/* Ends the program (semihosting exit code under QEMU; a reset-free idle
 * loop on real hardware). */
void board_exit(uint32_t code) __attribute__((noreturn));

/* Board name id (ES_PROTO_BOARD_*). */
uint8_t board_id(void);

/* On-board sensors (firmware/boards/<board>/sensors/: the Nano 33 BLE
 * Sense's drivers; mps2-an386's test signal).  Weak defaults return 0 = no
 * data, so a board without sensors links unchanged.  Each fills caller
 * memory and returns the number of items stored. */
size_t board_sensor_audio(int16_t *samples, size_t capacity);
size_t board_sensor_imu(float *samples6, size_t capacity_samples);
size_t board_sensor_image(uint8_t *pixels, size_t capacity, uint16_t *width, uint16_t *height,
                          uint8_t *pixel_format);
/* The drivers' last failure (a static string), or NULL; reading clears it. */
const char *board_sensor_error(void);
/* A new stream starts (CONFIG): sensors that can start over do (the
 * mps2-an386 test signal restarts at sample 0); real sensors just go on. */
void board_sensor_restart(void);

/* Stack bytes used so far (the stack is painted at reset). */
uint32_t board_stack_high_water(void);

#endif /* EDGESIM_FIRMWARE_BOARD_H */
