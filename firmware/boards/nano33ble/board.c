/* Arduino Nano 33 BLE (Sense) core: clocks, the console, DWT cycle counter.
 * The on-board sensors live in sensors/ and override the weak
 * board_sensor_* hooks.
 *
 * The console (board_link_*) is the board's native USB serial port (usb/,
 * CDC-ACM, VID:PID 2341:805A) unless built with FW_CONSOLE_UART
 * (`edgesim build APP --board nano33ble --console uart`): then it is UARTE0
 * on the header pins (TX P1.03, RX P1.10 - "Serial1"), as Renode models it.
 *
 * UART reception has two builds:
 * - the board's (console "uart"): it never loses bytes while the app computes.
 *   EasyDMA writes into a RAM ring continuously (the ENDRX->STARTRX short
 *   restarts it at the ring start), and TIMER1, counting RXDRDY events
 *   through a PPI channel, says how many bytes have landed - the scheme of
 *   Nordic's libuarte.
 * - Renode's (console "uart-polled", FW_UART_RX_BYTEWISE): Renode models
 *   neither that PPI event (<= v1.16.1) nor the ENDRX->STARTRX short (no
 *   version), so each EasyDMA transfer takes one byte and is restarted by
 *   hand.  While ENDRX is pending, Renode keeps further bytes queued in the
 *   model (it does not drop them), so the host can send ahead without ever
 *   overrunning anything; on silicon the UARTE FIFO would overflow while the
 *   app computes, which is why the board keeps the PPI ring.
 */
#include <string.h>

#include "board.h"
#include "edgesim/protocol.h"
#ifndef FW_CONSOLE_UART
#include "usb/usb_console.h"
#endif

#define REG(addr) (*(volatile uint32_t *)(addr))

#define CLOCK_BASE 0x40000000u
#define CLOCK_TASKS_HFCLKSTART REG(CLOCK_BASE + 0x000u)
#define CLOCK_EVENTS_HFCLKSTARTED REG(CLOCK_BASE + 0x100u)

#define UARTE0 0x40002000u
#define UARTE_TASKS_STARTRX REG(UARTE0 + 0x000u)
#define UARTE_TASKS_STARTTX REG(UARTE0 + 0x008u)
#define UARTE_EVENTS_RXDRDY_ADDR (UARTE0 + 0x108u)
#define UARTE_EVENTS_ENDRX REG(UARTE0 + 0x110u)
#define UARTE_EVENTS_ENDTX REG(UARTE0 + 0x120u)
#define UARTE_SHORTS REG(UARTE0 + 0x200u)
#define UARTE_ENABLE REG(UARTE0 + 0x500u)
#define UARTE_PSEL_RTS REG(UARTE0 + 0x508u)
#define UARTE_PSEL_TXD REG(UARTE0 + 0x50Cu)
#define UARTE_PSEL_CTS REG(UARTE0 + 0x510u)
#define UARTE_PSEL_RXD REG(UARTE0 + 0x514u)
#define UARTE_BAUDRATE REG(UARTE0 + 0x524u)
#define UARTE_RXD_PTR REG(UARTE0 + 0x534u)
#define UARTE_RXD_MAXCNT REG(UARTE0 + 0x538u)
#define UARTE_TXD_PTR REG(UARTE0 + 0x544u)
#define UARTE_TXD_MAXCNT REG(UARTE0 + 0x548u)
#define UARTE_CONFIG REG(UARTE0 + 0x56Cu)
#define UARTE_ENABLE_UARTE 8u
#define UARTE_BAUD_115200 0x01D60000u
#define UARTE_SHORT_ENDRX_STARTRX (1u << 5)
#define PSEL_DISCONNECTED 0xFFFFFFFFu
#define PIN(port, pin) (((port) << 5) | (pin))

#define TIMER1 0x40009000u
#define TIMER_TASKS_START REG(TIMER1 + 0x000u)
#define TIMER_TASKS_COUNT_ADDR (TIMER1 + 0x008u)
#define TIMER_TASKS_CLEAR REG(TIMER1 + 0x00Cu)
#define TIMER_TASKS_CAPTURE0 REG(TIMER1 + 0x040u)
#define TIMER_MODE REG(TIMER1 + 0x504u)
#define TIMER_BITMODE REG(TIMER1 + 0x508u)
#define TIMER_CC0 REG(TIMER1 + 0x540u)
#define TIMER_MODE_LOW_POWER_COUNTER 2u
#define TIMER_BITMODE_32 3u

#define PPI_BASE 0x4001F000u
#define PPI_CHENSET REG(PPI_BASE + 0x504u)
#define PPI_CH_EEP(n) REG(PPI_BASE + 0x510u + 8u * (n))
#define PPI_CH_TEP(n) REG(PPI_BASE + 0x514u + 8u * (n))
#define PPI_CHANNEL 0u

#define DEMCR REG(0xE000EDFCu)
#define DWT_CTRL REG(0xE0001000u)
#define DWT_CYCCNT REG(0xE0001004u)

/* Line quiet time after which a partial frame is garbage: 20 ms at 64 MHz
 * (USB-serial adapters deliver a frame's bytes far closer together). */
#define IDLE_CYCLES (64000000u / 50u)

#ifdef FW_CONSOLE_UART
#ifdef FW_UART_RX_BYTEWISE
static volatile uint8_t rx_byte; /* EasyDMA target of the one-byte transfers */
#else
#define RX_RING_BYTES 2048u
static uint8_t rx_ring[RX_RING_BYTES]; /* EasyDMA target: must be in RAM */
static uint32_t rx_consumed;
#endif
static uint8_t tx_bounce[256];         /* EasyDMA cannot read flash */
static void console_init(void);
#else
#define console_init usb_console_init
#endif

void board_init(void) {
  CLOCK_EVENTS_HFCLKSTARTED = 0;
  CLOCK_TASKS_HFCLKSTART = 1; /* crystal: accurate baud rate; the USBD runs only on HFXO */
  while (CLOCK_EVENTS_HFCLKSTARTED == 0) {
  }
  DEMCR |= 1u << 24; /* TRCENA */
  DWT_CYCCNT = 0;
  DWT_CTRL |= 1u;
  console_init();
}

#ifdef FW_CONSOLE_UART
static void uarte_init(void) {
  UARTE_ENABLE = 0;
  UARTE_PSEL_TXD = PIN(1u, 3u);
  UARTE_PSEL_RXD = PIN(1u, 10u);
  UARTE_PSEL_RTS = PSEL_DISCONNECTED;
  UARTE_PSEL_CTS = PSEL_DISCONNECTED;
  UARTE_BAUDRATE = UARTE_BAUD_115200;
  UARTE_CONFIG = 0; /* 8N1, no flow control */
  UARTE_ENABLE = UARTE_ENABLE_UARTE;
}

#ifdef FW_UART_RX_BYTEWISE
static void console_init(void) {
  uarte_init();
  UARTE_EVENTS_ENDRX = 0;
  UARTE_RXD_PTR = (uint32_t)(uintptr_t)&rx_byte;
  UARTE_RXD_MAXCNT = 1;
  UARTE_TASKS_STARTRX = 1;
}

/* The received byte, then the next transfer armed.  STARTRX is written
 * before and after clearing ENDRX: a byte that lands between the clear and
 * the second STARTRX (the host's bytes arrive between any two instructions)
 * is in rx_byte with ENDRX set, and the second STARTRX, seeing ENDRX
 * pending, leaves it there; otherwise the second STARTRX moves the next
 * queued byte in at once. */
static uint8_t rx_take(void) {
  uint8_t byte = rx_byte;
  UARTE_TASKS_STARTRX = 1;
  UARTE_EVENTS_ENDRX = 0;
  UARTE_TASKS_STARTRX = 1;
  return byte;
}

/* Between empty polls of ENDRX: on Renode every peripheral read leaves the
 * translated code, so a tight poll loop ran the guest ~50x slower than the
 * same time spent in plain instructions. */
#define POLL_PAUSE_LOOPS 200u

size_t board_link_read(uint8_t *data, size_t capacity, int return_when_idle) {
  uint32_t start = DWT_CYCCNT;
  while (UARTE_EVENTS_ENDRX == 0) {
    if (return_when_idle && DWT_CYCCNT - start > IDLE_CYCLES) return BOARD_LINK_IDLE;
    for (uint32_t i = 0; i < POLL_PAUSE_LOOPS; ++i) __asm volatile("");
  }
  size_t n = 0;
  while (n < capacity && UARTE_EVENTS_ENDRX != 0) data[n++] = rx_take();
  return n;
}

int board_link_pending(void) { return UARTE_EVENTS_ENDRX != 0; }
#else
static void console_init(void) {
  uarte_init();
  TIMER_MODE = TIMER_MODE_LOW_POWER_COUNTER;
  TIMER_BITMODE = TIMER_BITMODE_32;
  TIMER_TASKS_CLEAR = 1;
  TIMER_TASKS_START = 1;
  PPI_CH_EEP(PPI_CHANNEL) = UARTE_EVENTS_RXDRDY_ADDR;
  PPI_CH_TEP(PPI_CHANNEL) = TIMER_TASKS_COUNT_ADDR;
  PPI_CHENSET = 1u << PPI_CHANNEL;

  UARTE_RXD_PTR = (uint32_t)(uintptr_t)rx_ring;
  UARTE_RXD_MAXCNT = RX_RING_BYTES;
  UARTE_SHORTS = UARTE_SHORT_ENDRX_STARTRX;
  UARTE_TASKS_STARTRX = 1;
}

static uint32_t rx_received(void) {
  TIMER_TASKS_CAPTURE0 = 1;
  return TIMER_CC0;
}

size_t board_link_read(uint8_t *data, size_t capacity, int return_when_idle) {
  uint32_t start = DWT_CYCCNT;
  uint32_t available;
  while ((available = rx_received() - rx_consumed) == 0) {
    if (return_when_idle && DWT_CYCCNT - start > IDLE_CYCLES) return BOARD_LINK_IDLE;
  }
  if (available > RX_RING_BYTES) {
    /* Overrun: the oldest bytes were overwritten; skip to what is intact
     * (the frame decoder's CRC rejects the damaged frame). */
    rx_consumed += available - RX_RING_BYTES;
    available = RX_RING_BYTES;
  }
  size_t n = available < capacity ? available : capacity;
  for (size_t i = 0; i < n; ++i) data[i] = rx_ring[(rx_consumed + i) % RX_RING_BYTES];
  rx_consumed += (uint32_t)n;
  return n;
}

int board_link_pending(void) { return rx_received() != rx_consumed; }
#endif /* FW_UART_RX_BYTEWISE */

void board_link_write(const uint8_t *data, size_t length) {
  while (length > 0) {
    size_t n = length < sizeof tx_bounce ? length : sizeof tx_bounce;
    memcpy(tx_bounce, data, n);
    UARTE_EVENTS_ENDTX = 0;
    UARTE_TXD_PTR = (uint32_t)(uintptr_t)tx_bounce;
    UARTE_TXD_MAXCNT = n;
    UARTE_TASKS_STARTTX = 1;
    while (UARTE_EVENTS_ENDTX == 0) {
    }
    data += n;
    length -= n;
  }
}
#else
size_t board_link_read(uint8_t *data, size_t capacity, int return_when_idle) {
  uint32_t start = DWT_CYCCNT;
  size_t n;
  while ((n = usb_console_read(data, capacity)) == 0) {
    if (return_when_idle && DWT_CYCCNT - start > IDLE_CYCLES) return BOARD_LINK_IDLE;
  }
  return n;
}

void board_link_write(const uint8_t *data, size_t length) { (void)usb_console_write(data, length); }

int board_link_pending(void) { return usb_console_pending() != 0; }
#endif

/* DWT CYCCNT: CPU cycles at 64 MHz (the M4 retires about one instruction
 * per cycle in this code; flash wait states make it somewhat less). */
uint32_t board_instructions(void) { return DWT_CYCCNT; }
uint32_t board_counter_resolution(void) { return 1u; }
uint8_t board_id(void) { return ES_PROTO_BOARD_NANO33BLE; }

/* No host to exit to: stop here with interrupts off. */
void board_exit(uint32_t code) {
  (void)code;
  __asm volatile("cpsid i");
  for (;;) __asm volatile("wfi");
}
