/* nRF52840 USBD device core: power, enable, control endpoint, DMA.
 *
 * Errata workarounds applied (nRF52840 errata sheet): 171 and 187 around
 * ENABLE, 199 around every EasyDMA transfer.
 *
 * Power-up (Product Specification 6.35.4 "USB power-up sequence"): POWER
 * raises USBDETECTED when VBUS appears -> enable the USBD (with the errata
 * 171/187 writes around it) and wait for EVENTCAUSE.READY; POWER raises
 * USBPWRRDY when the USB regulator is up -> connect the D+ pull-up, and the
 * host starts enumerating.  USBREMOVED undoes it.
 *
 * Control transfers (6.35.6): the peripheral decodes SETUP into registers
 * and raises EP0SETUP.  IN data goes out 64 bytes at a time through EasyDMA
 * (STARTEPIN[0]), each acknowledged packet raising EP0DATADONE; OUT data is
 * allowed with EP0RCVOUT and fetched after EP0DATADONE (STARTEPOUT[0]); the
 * EP0STATUS task lets the status stage complete, EP0STALL refuses a request.
 * SET_ADDRESS is answered by the hardware itself: software does nothing.
 */
#include <string.h>

#include "nrf52840_usbd.h"
#include "usbd.h"

#define USBD(offset) USB_REG(NRF_USBD, offset)
#define POWER(offset) USB_REG(NRF_POWER, offset)

enum { EP0_IDLE, EP0_IN, EP0_OUT };

/* Standard requests (USB 2.0 table 9-4) */
#define REQ_GET_STATUS 0u
#define REQ_CLEAR_FEATURE 1u
#define REQ_SET_FEATURE 3u
#define REQ_SET_ADDRESS 5u
#define REQ_GET_DESCRIPTOR 6u
#define REQ_GET_CONFIGURATION 8u
#define REQ_SET_CONFIGURATION 9u
#define REQ_GET_INTERFACE 10u
#define REQ_SET_INTERFACE 11u
#define FEATURE_ENDPOINT_HALT 0u
#define FEATURE_DEVICE_REMOTE_WAKEUP 1u
#define INTERFACE_COUNT 2u
#define DISCONNECT_CYCLES (64000000u / 20u) /* 50 ms at 64 MHz */

static struct {
  volatile int enabled;
  uint8_t configuration;
  uint8_t ep0_state;
  usb_setup setup;
  const uint8_t *in_data; /* IN data stage: what is left to send */
  size_t in_left;
  int in_zlp;             /* the data ends on a packet boundary short of wLength */
  uint8_t *out_buffer;    /* OUT data stage */
  size_t out_capacity, out_received;
  uint16_t halted;        /* endpoint halt feature: bit n = IN n, bit 8+n = OUT n */
  uint8_t reply[8];       /* small IN replies, copied so the caller's may go */
  uint8_t ep0_packet[USB_EP0_SIZE]; /* EasyDMA reads RAM only: descriptors are in flash */
} usbd;

/* Vector table in RAM: the core's 16 entries (copied from the table the
 * reset code installed) plus the nRF52840's 48 interrupts.  VTOR needs the
 * table aligned to its size rounded up to a power of two: 64 words. */
#define IRQ_COUNT 48u
static void (*vectors[16 + IRQ_COUNT])(void) __attribute__((aligned(256)));

static void unexpected_irq(void) {
  for (;;) {
  }
}

uint32_t usbd_cycles(void) { return USB_REG(DWT_CYCCNT, 0); }

/* The errata registers are behind a lock at 0x4006EC00; Nordic's
 * workaround unlocks, writes and locks again when it finds it locked. */
static void errata_write(uint32_t reg, uint32_t value) {
  if (USB_REG(ERRATA_UNLOCK, 0) == 0) {
    USB_REG(ERRATA_UNLOCK, 0) = ERRATA_UNLOCK_KEY;
    USB_REG(reg, 0) = value;
    USB_REG(ERRATA_UNLOCK, 0) = ERRATA_UNLOCK_KEY;
  } else {
    USB_REG(reg, 0) = value;
  }
}

/* Errata 187 ("USB cannot be enabled") and 171 ("USBD might not reach its
 * active state"): the two register writes bracket ENABLE..READY. */
static void enable(void) {
  if (usbd.enabled) return;
  errata_write(ERRATA_187_REG, ERRATA_187_VALUE);
  errata_write(ERRATA_171_REG, ERRATA_171_VALUE);
  USBD(USBD_ENABLE) = 1;
  while ((USBD(USBD_EVENTCAUSE) & USBD_EVENTCAUSE_READY) == 0) {
  }
  USBD(USBD_EVENTCAUSE) = USBD_EVENTCAUSE_READY; /* write 1 to clear */
  USBD(USBD_EVENTS_USBEVENT) = 0;
  errata_write(ERRATA_171_REG, 0);
  errata_write(ERRATA_187_REG, 0);
  USBD(USBD_INTENSET) = USBD_INT(USBD_EVENTS_USBRESET) | USBD_INT(USBD_EVENTS_EP0SETUP) |
                        USBD_INT(USBD_EVENTS_EP0DATADONE) | USBD_INT(USBD_EVENTS_EPDATA) |
                        USBD_INT(USBD_EVENTS_USBEVENT);
  usbd.enabled = 1;
}

static void disable(void) {
  USBD(USBD_USBPULLUP) = 0;
  USBD(USBD_INTENCLR) = 0xFFFFFFFFu;
  USBD(USBD_ENABLE) = 0;
  usbd.enabled = 0;
  usbd.configuration = 0;
  usbd.ep0_state = EP0_IDLE;
  cdc_acm_bus_reset();
}

void usbd_power_irq_handler(void) {
  if (POWER(POWER_EVENTS_USBDETECTED)) {
    POWER(POWER_EVENTS_USBDETECTED) = 0;
    enable();
  }
  if (POWER(POWER_EVENTS_USBPWRRDY)) {
    POWER(POWER_EVENTS_USBPWRRDY) = 0;
    if (usbd.enabled) USBD(USBD_USBPULLUP) = 1;
  }
  if (POWER(POWER_EVENTS_USBREMOVED)) {
    POWER(POWER_EVENTS_USBREMOVED) = 0;
    disable();
  }
}

void usbd_init(void) {
  const uint32_t *core = (const uint32_t *)(uintptr_t)USB_REG(SCB_VTOR, 0);
  for (uint32_t i = 0; i < 16u; ++i) vectors[i] = (void (*)(void))(uintptr_t)core[i];
  for (uint32_t i = 0; i < IRQ_COUNT; ++i) vectors[16u + i] = unexpected_irq;
  vectors[16u + POWER_CLOCK_IRQN] = usbd_power_irq_handler;
  vectors[16u + USBD_IRQN] = usbd_irq_handler;
  USB_REG(SCB_VTOR, 0) = (uint32_t)(uintptr_t)vectors;

  /* A bootloader that jumped here without a reset may have left the USBD
   * connected as itself: disconnect long enough for the host to notice
   * (the hub sees SE0), so it enumerates this device afresh. */
  if (USBD(USBD_ENABLE)) {
    USBD(USBD_USBPULLUP) = 0;
    USBD(USBD_ENABLE) = 0;
    uint32_t start = usbd_cycles();
    while (usbd_cycles() - start < DISCONNECT_CYCLES) {
    }
  }

  __asm volatile("cpsid i" ::: "memory");
  POWER(POWER_INTENSET) = POWER_INT_USBDETECTED | POWER_INT_USBREMOVED | POWER_INT_USBPWRRDY;
  /* VBUS may have been there since power-on (a USB-powered board): its
   * events are latched, but start without waiting for them. */
  uint32_t status = POWER(POWER_USBREGSTATUS);
  if (status & POWER_USBREGSTATUS_VBUSDETECT) enable();
  if ((status & POWER_USBREGSTATUS_OUTPUTRDY) && usbd.enabled) USBD(USBD_USBPULLUP) = 1;
  USB_REG(NVIC_ISER(0), 0) = 1u << POWER_CLOCK_IRQN;
  USB_REG(NVIC_ISER(USBD_IRQN / 32u), 0) = 1u << (USBD_IRQN % 32u);
  __asm volatile("cpsie i" ::: "memory");
}

void usbd_dma_in(uint32_t endpoint, const uint8_t *ram, size_t length) {
  USBD(USBD_EPIN_PTR(endpoint)) = (uint32_t)(uintptr_t)ram;
  USBD(USBD_EPIN_MAXCNT(endpoint)) = (uint32_t)length;
  USBD(USBD_EVENTS_ENDEPIN(endpoint)) = 0;
  USBD(ERRATA_199_REG) = ERRATA_199_DMA_BUSY;
  USBD(USBD_TASKS_STARTEPIN(endpoint)) = 1;
  while (USBD(USBD_EVENTS_ENDEPIN(endpoint)) == 0) {
  }
  USBD(ERRATA_199_REG) = 0;
  USBD(USBD_EVENTS_ENDEPIN(endpoint)) = 0;
  USBD(USBD_EVENTS_STARTED) = 0;
}

size_t usbd_dma_out(uint32_t endpoint, uint8_t *ram, size_t capacity) {
  size_t n = USBD(USBD_SIZE_EPOUT(endpoint));
  if (n > capacity) n = capacity;
  USBD(USBD_EPOUT_PTR(endpoint)) = (uint32_t)(uintptr_t)ram;
  USBD(USBD_EPOUT_MAXCNT(endpoint)) = (uint32_t)n;
  USBD(USBD_EVENTS_ENDEPOUT(endpoint)) = 0;
  USBD(ERRATA_199_REG) = ERRATA_199_DMA_BUSY;
  USBD(USBD_TASKS_STARTEPOUT(endpoint)) = 1;
  while (USBD(USBD_EVENTS_ENDEPOUT(endpoint)) == 0) {
  }
  USBD(ERRATA_199_REG) = 0;
  USBD(USBD_EVENTS_ENDEPOUT(endpoint)) = 0;
  USBD(USBD_EVENTS_STARTED) = 0;
  return USBD(USBD_EPOUT_AMOUNT(endpoint));
}

/* ---- control endpoint ---------------------------------------------- */

void usbd_control_ack(void) {
  usbd.ep0_state = EP0_IDLE;
  USBD(USBD_TASKS_EP0STATUS) = 1;
}

void usbd_control_stall(void) {
  usbd.ep0_state = EP0_IDLE;
  USBD(USBD_TASKS_EP0STALL) = 1;
}

static void send_packet(void) {
  size_t n = usbd.in_left < USB_EP0_SIZE ? usbd.in_left : USB_EP0_SIZE;
  if (n == 0) usbd.in_zlp = 0; /* this is the terminating zero-length packet */
  memcpy(usbd.ep0_packet, usbd.in_data, n);
  usbd.in_data += n;
  usbd.in_left -= n;
  usbd_dma_in(0, usbd.ep0_packet, n);
}

void usbd_control_send(const uint8_t *data, size_t length) {
  if (length > usbd.setup.length) length = usbd.setup.length;
  if (length <= sizeof usbd.reply) {
    memcpy(usbd.reply, data, length);
    data = usbd.reply;
  }
  usbd.in_data = data;
  usbd.in_left = length;
  /* A transfer shorter than asked ends with a short packet; when it ends
   * on a packet boundary that packet is a zero-length one (USB 2.0 5.5.3). */
  usbd.in_zlp = length < usbd.setup.length && length % USB_EP0_SIZE == 0;
  usbd.ep0_state = EP0_IN;
  send_packet();
}

void usbd_control_receive(uint8_t *buffer, size_t capacity) {
  if (capacity > usbd.setup.length) capacity = usbd.setup.length;
  usbd.out_buffer = buffer;
  usbd.out_capacity = capacity;
  usbd.out_received = 0;
  if (capacity == 0) {
    cdc_acm_control_out(&usbd.setup, 0);
    return;
  }
  usbd.ep0_state = EP0_OUT;
  USBD(USBD_TASKS_EP0RCVOUT) = 1;
}

static void ep0_data_done(void) {
  if (usbd.ep0_state == EP0_IN) {
    if (usbd.in_left > 0 || usbd.in_zlp) {
      send_packet();
    } else {
      usbd_control_ack(); /* all data acknowledged: let the host's status OUT through */
    }
  } else if (usbd.ep0_state == EP0_OUT) {
    size_t n = usbd_dma_out(0, usbd.out_buffer + usbd.out_received, usbd.out_capacity - usbd.out_received);
    usbd.out_received += n;
    if (usbd.out_received >= usbd.out_capacity || n < USB_EP0_SIZE) {
      usbd.ep0_state = EP0_IDLE;
      cdc_acm_control_out(&usbd.setup, usbd.out_received);
    } else {
      USBD(USBD_TASKS_EP0RCVOUT) = 1;
    }
  }
}

static uint16_t halt_bit(uint16_t endpoint_address) {
  uint16_t number = endpoint_address & 0x7u;
  return (uint16_t)(1u << ((endpoint_address & 0x80u) ? number : 8u + number));
}

static int endpoint_exists(uint16_t address) {
  if (usbd.configuration == 0) return (address & 0x7Fu) == 0;
  return address == 0x00u || address == 0x80u || address == (0x80u | USB_EP_NOTIFY) ||
         address == USB_EP_DATA || address == (0x80u | USB_EP_DATA);
}

static void set_halt(uint16_t address, int halt) {
  uint32_t select = (address & 0x7u) | ((address & 0x80u) ? USBD_EPSTALL_IO_IN : 0u);
  USBD(USBD_EPSTALL) = select | (halt ? USBD_EPSTALL_STALL : 0u);
  if (halt) {
    usbd.halted |= halt_bit(address);
  } else {
    /* Clearing a halt restarts the data toggle at DATA0 (USB 2.0 9.4.5). */
    USBD(USBD_DTOGGLE) = select;
    USBD(USBD_DTOGGLE) = select | USBD_DTOGGLE_DATA0;
    usbd.halted &= (uint16_t)~halt_bit(address);
  }
}

static void set_configuration(uint8_t value) {
  usbd.configuration = value;
  usbd.halted = 0;
  if (value == 0) {
    USBD(USBD_EPINEN) = 1u;
    USBD(USBD_EPOUTEN) = 1u;
    cdc_acm_bus_reset();
    return;
  }
  USBD(USBD_EPINEN) = 1u | (1u << USB_EP_NOTIFY) | (1u << USB_EP_DATA);
  USBD(USBD_EPOUTEN) = 1u | (1u << USB_EP_DATA);
  set_halt(0x80u | USB_EP_NOTIFY, 0);
  set_halt(0x80u | USB_EP_DATA, 0);
  set_halt(USB_EP_DATA, 0);
  /* Writing SIZE.EPOUT frees the OUT buffer: the endpoint accepts data. */
  USBD(USBD_SIZE_EPOUT(USB_EP_DATA)) = 0;
  cdc_acm_configured();
}

static void standard_request(const usb_setup *setup) {
  uint8_t recipient = setup->request_type & USB_RECIPIENT_MASK;
  switch (setup->request) {
    case REQ_GET_DESCRIPTOR: {
      const uint8_t *data = 0;
      size_t length = usb_descriptor(setup->value, setup->index, &data);
      if (length == 0 || !(setup->request_type & USB_DIR_IN)) break;
      usbd_control_send(data, length);
      return;
    }
    case REQ_SET_ADDRESS:
      return; /* the USBD answers SET_ADDRESS itself (PS 6.35.6) */
    case REQ_SET_CONFIGURATION:
      if (setup->value > USB_CONFIGURATION) break;
      set_configuration((uint8_t)setup->value);
      usbd_control_ack();
      return;
    case REQ_GET_CONFIGURATION:
      usbd_control_send(&usbd.configuration, 1);
      return;
    case REQ_GET_STATUS: {
      uint8_t status[2] = {0, 0}; /* bus powered, no remote wakeup, not halted */
      if (recipient == USB_RECIPIENT_ENDPOINT) {
        if (!endpoint_exists(setup->index)) break;
        status[0] = (usbd.halted & halt_bit(setup->index)) ? 1u : 0u;
      } else if (recipient == USB_RECIPIENT_INTERFACE && setup->index >= INTERFACE_COUNT) {
        break;
      }
      usbd_control_send(status, 2);
      return;
    }
    case REQ_CLEAR_FEATURE:
    case REQ_SET_FEATURE:
      if (recipient == USB_RECIPIENT_ENDPOINT && setup->value == FEATURE_ENDPOINT_HALT &&
          endpoint_exists(setup->index)) {
        if ((setup->index & 0x7Fu) != 0) set_halt(setup->index, setup->request == REQ_SET_FEATURE);
        usbd_control_ack();
        return;
      }
      if (recipient == USB_RECIPIENT_DEVICE && setup->value == FEATURE_DEVICE_REMOTE_WAKEUP) {
        usbd_control_ack(); /* accepted; this device never signals wakeup */
        return;
      }
      break;
    case REQ_GET_INTERFACE:
      if (usbd.configuration == 0 || setup->index >= INTERFACE_COUNT) break;
      usbd.reply[0] = 0;
      usbd_control_send(usbd.reply, 1);
      return;
    case REQ_SET_INTERFACE:
      if (usbd.configuration == 0 || setup->index >= INTERFACE_COUNT || setup->value != 0) break;
      usbd_control_ack();
      return;
    default:
      break;
  }
  usbd_control_stall();
}

static void on_setup(void) {
  usb_setup *s = &usbd.setup;
  s->request_type = (uint8_t)USBD(USBD_BMREQUESTTYPE);
  s->request = (uint8_t)USBD(USBD_BREQUEST);
  s->value = (uint16_t)(USBD(USBD_WVALUEL) | (USBD(USBD_WVALUEH) << 8));
  s->index = (uint16_t)(USBD(USBD_WINDEXL) | (USBD(USBD_WINDEXH) << 8));
  s->length = (uint16_t)(USBD(USBD_WLENGTHL) | (USBD(USBD_WLENGTHH) << 8));
  usbd.ep0_state = EP0_IDLE; /* a new SETUP abandons any unfinished transfer */
  switch (s->request_type & USB_TYPE_MASK) {
    case USB_TYPE_STANDARD:
      standard_request(s);
      break;
    case USB_TYPE_CLASS:
      if ((s->request_type & USB_RECIPIENT_MASK) == USB_RECIPIENT_INTERFACE && s->index < INTERFACE_COUNT &&
          usbd.configuration != 0) {
        cdc_acm_control(s);
        break;
      }
      usbd_control_stall();
      break;
    default:
      usbd_control_stall();
      break;
  }
}

void usbd_irq_handler(void) {
  uint32_t epdata = 0;
  if (USBD(USBD_EVENTS_USBRESET)) {
    USBD(USBD_EVENTS_USBRESET) = 0;
    usbd.configuration = 0;
    usbd.ep0_state = EP0_IDLE;
    usbd.halted = 0;
    cdc_acm_bus_reset();
  }
  if (USBD(USBD_EVENTS_USBEVENT)) {
    USBD(USBD_EVENTS_USBEVENT) = 0;
    /* SUSPEND/RESUME: the board is bus powered and keeps running; the
     * causes are only acknowledged (write 1 to clear). */
    USBD(USBD_EVENTCAUSE) = USBD(USBD_EVENTCAUSE);
  }
  if (USBD(USBD_EVENTS_EP0SETUP)) {
    USBD(USBD_EVENTS_EP0SETUP) = 0;
    on_setup();
  }
  if (USBD(USBD_EVENTS_EP0DATADONE)) {
    USBD(USBD_EVENTS_EP0DATADONE) = 0;
    ep0_data_done();
  }
  if (USBD(USBD_EVENTS_EPDATA)) {
    USBD(USBD_EVENTS_EPDATA) = 0;
    epdata = USBD(USBD_EPDATASTATUS);
    USBD(USBD_EPDATASTATUS) = epdata; /* write 1 to clear */
  }
  /* Also runs when the app pended this interrupt to start a transfer. */
  if (usbd.configuration != 0) cdc_acm_endpoints(epdata);
}
