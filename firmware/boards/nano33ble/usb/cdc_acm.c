/* CDC-ACM: the class requests, the 1200-baud touch and the data rings.
 *
 * Rings: the USBD interrupt is the only producer of rx and the only
 * consumer of tx; the app the other side.  Indices are free-running 32-bit
 * counts (single writer each), so no lock is needed on the Cortex-M4.
 */
#include <string.h>

#include "nrf52840_usbd.h"
#include "usb_console.h"
#include "usbd.h"

/* CDC PSTN 1.2 class requests */
#define CDC_SET_LINE_CODING 0x20u
#define CDC_GET_LINE_CODING 0x21u
#define CDC_SET_CONTROL_LINE_STATE 0x22u
#define CDC_SEND_BREAK 0x23u
#define LINE_CODING_BYTES 7u
#define CONTROL_DTR 1u

#define RX_BYTES 2048u /* powers of two: indices wrap with a mask */
#define TX_BYTES 2048u

/* After the touch is acknowledged, give the host a few frames to finish
 * the status stage before the USB disappears: 20 ms at 64 MHz. */
#define TOUCH_DELAY_CYCLES (64000000u / 50u)

static struct {
  volatile int configured;
  volatile int dtr;
  int opened;           /* DTR was high since configuration: a program had the port open */
  volatile int in_busy; /* a bulk IN packet waits in the endpoint for the host */
  int in_ends_full;     /* the last IN packet was full: a short one must end the transfer */
  volatile int out_pending; /* a bulk OUT packet waits for room in rx */
  uint8_t line_coding_in[LINE_CODING_BYTES];
  uint8_t rx[RX_BYTES];
  volatile uint32_t rx_head, rx_tail;
  uint8_t tx[TX_BYTES];
  volatile uint32_t tx_head, tx_tail;
  uint8_t in_packet[USB_BULK_SIZE];  /* EasyDMA bounce buffers (RAM) */
  uint8_t out_packet[USB_BULK_SIZE];
} cdc;

/* dwDTERate (LE), bCharFormat, bParityType, bDataBits: 115200 8N1 until the host sets it */
static uint8_t line_coding[LINE_CODING_BYTES] = {0x00, 0xC2, 0x01, 0x00, 0, 0, 8};

static uint32_t line_baud(void) {
  return (uint32_t)line_coding[0] | (uint32_t)line_coding[1] << 8 | (uint32_t)line_coding[2] << 16 |
         (uint32_t)line_coding[3] << 24;
}

/* The Arduino convention for "start the bootloader": the port was open,
 * its baud rate is 1200 and DTR is dropped (port closed).  As ArduinoCore-
 * mbed's Nano 33 BLE variant does: GPREGRET = 0xB0 tells the bootloader to
 * stay in serial (bossac) mode, then a system reset. */
static void check_touch(void) {
  if (!cdc.opened || cdc.dtr || line_baud() != USB_TOUCH_BAUD) return;
  uint32_t start = usbd_cycles();
  while (usbd_cycles() - start < TOUCH_DELAY_CYCLES) {
  }
  __asm volatile("cpsid i" ::: "memory");
  USB_REG(NRF_POWER, POWER_GPREGRET) = USB_BOOTLOADER_MAGIC;
  __asm volatile("dsb" ::: "memory");
  USB_REG(SCB_AIRCR, 0) = SCB_AIRCR_SYSRESETREQ;
  __asm volatile("dsb" ::: "memory");
  for (;;) {
  }
}

void cdc_acm_bus_reset(void) {
  cdc.configured = 0;
  cdc.dtr = 0;
  cdc.opened = 0;
  cdc.in_busy = 0;
  cdc.in_ends_full = 0;
  cdc.out_pending = 0;
  cdc.tx_tail = cdc.tx_head; /* output nobody will read */
}

void cdc_acm_configured(void) {
  cdc_acm_bus_reset();
  cdc.configured = 1;
}

void cdc_acm_control(const usb_setup *setup) {
  switch (setup->request) {
    case CDC_SET_LINE_CODING:
      usbd_control_receive(cdc.line_coding_in, LINE_CODING_BYTES);
      return;
    case CDC_GET_LINE_CODING:
      usbd_control_send(line_coding, LINE_CODING_BYTES);
      return;
    case CDC_SET_CONTROL_LINE_STATE:
      cdc.dtr = (setup->value & CONTROL_DTR) != 0;
      if (cdc.dtr) cdc.opened = 1;
      usbd_control_ack();
      check_touch();
      return;
    case CDC_SEND_BREAK:
      usbd_control_ack();
      return;
    default:
      usbd_control_stall();
      return;
  }
}

void cdc_acm_control_out(const usb_setup *setup, size_t received) {
  if (setup->request != CDC_SET_LINE_CODING || received != LINE_CODING_BYTES) {
    usbd_control_stall();
    return;
  }
  memcpy(line_coding, cdc.line_coding_in, LINE_CODING_BYTES);
  usbd_control_ack();
  check_touch();
}

static void receive(void) {
  if (RX_BYTES - (cdc.rx_head - cdc.rx_tail) < USB_BULK_SIZE) return; /* NAK until the app reads */
  size_t n = usbd_dma_out(USB_EP_DATA, cdc.out_packet, USB_BULK_SIZE);
  uint32_t head = cdc.rx_head;
  for (size_t i = 0; i < n; ++i) cdc.rx[(head + i) & (RX_BYTES - 1u)] = cdc.out_packet[i];
  cdc.rx_head = head + (uint32_t)n;
  cdc.out_pending = 0;
}

static void transmit(void) {
  uint32_t tail = cdc.tx_tail;
  uint32_t used = cdc.tx_head - tail;
  if (used == 0 && !cdc.in_ends_full) return;
  size_t n = used < USB_BULK_SIZE ? used : USB_BULK_SIZE;
  for (size_t i = 0; i < n; ++i) cdc.in_packet[i] = cdc.tx[(tail + i) & (TX_BYTES - 1u)];
  usbd_dma_in(USB_EP_DATA, cdc.in_packet, n);
  cdc.tx_tail = tail + (uint32_t)n;
  cdc.in_ends_full = n == USB_BULK_SIZE;
  cdc.in_busy = 1;
}

void cdc_acm_endpoints(uint32_t epdatastatus) {
  if (epdatastatus & USBD_EPDATASTATUS_EPIN(USB_EP_DATA)) cdc.in_busy = 0;
  if (epdatastatus & USBD_EPDATASTATUS_EPOUT(USB_EP_DATA)) cdc.out_pending = 1;
  if (!cdc.configured) return;
  if (cdc.out_pending) receive();
  if (!cdc.in_busy) transmit();
}

/* ---- the app's side -------------------------------------------------- */

static void kick(void) { USB_REG(NVIC_ISPR(USBD_IRQN / 32u), 0) = 1u << (USBD_IRQN % 32u); }

void usb_console_init(void) {
  usb_descriptors_init();
  usbd_init();
}

int usb_console_open(void) { return cdc.configured && cdc.dtr; }

size_t usb_console_read(uint8_t *data, size_t capacity) {
  uint32_t tail = cdc.rx_tail;
  uint32_t available = cdc.rx_head - tail;
  size_t n = available < capacity ? available : capacity;
  for (size_t i = 0; i < n; ++i) data[i] = cdc.rx[(tail + i) & (RX_BYTES - 1u)];
  cdc.rx_tail = tail + (uint32_t)n;
  if (n > 0 && cdc.out_pending) kick(); /* room again: fetch the waiting packet */
  return n;
}

size_t usb_console_pending(void) { return cdc.rx_head - cdc.rx_tail; }

size_t usb_console_write(const uint8_t *data, size_t length) {
  size_t written = 0;
  while (written < length) {
    if (!usb_console_open()) break; /* nobody listening: drop rather than block */
    uint32_t head = cdc.tx_head;
    uint32_t room = TX_BYTES - (head - cdc.tx_tail);
    if (room == 0) continue; /* the interrupt drains it as the host reads */
    size_t n = length - written < room ? length - written : room;
    for (size_t i = 0; i < n; ++i) cdc.tx[(head + i) & (TX_BYTES - 1u)] = data[written + i];
    cdc.tx_head = head + (uint32_t)n;
    written += n;
    kick();
  }
  return written;
}
