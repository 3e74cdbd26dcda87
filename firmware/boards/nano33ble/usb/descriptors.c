/* USB descriptors of the edgesim console: one CDC-ACM function (USB CDC
 * 1.2 / PSTN 1.2), full speed.  The Arduino VID:PID of a Nano 33 BLE
 * running a sketch (2341:805A) lets the Arduino tools and edgesim
 * (edgesim/mcu/flash.py, edgesim/targets/device.py) find the board.
 */
#include <string.h>

#include "nrf52840_usbd.h"
#include "usbd.h"

#define USB_VID 0x2341u
#define USB_PID 0x805Au
#define LO(x) ((uint8_t)((x) & 0xFFu))
#define HI(x) ((uint8_t)((x) >> 8))

enum { STRING_LANGUAGES, STRING_MANUFACTURER, STRING_PRODUCT, STRING_SERIAL, STRING_COUNT };

static const uint8_t device_descriptor[18] = {
    18, 0x01,           /* bLength, DEVICE */
    0x00, 0x02,         /* bcdUSB 2.00 */
    0x02, 0x00, 0x00,   /* class CDC (the interfaces say the rest) */
    USB_EP0_SIZE,       /* bMaxPacketSize0 */
    LO(USB_VID), HI(USB_VID), LO(USB_PID), HI(USB_PID),
    0x00, 0x01,         /* bcdDevice 1.00 */
    STRING_MANUFACTURER, STRING_PRODUCT, STRING_SERIAL,
    1,                  /* bNumConfigurations */
};

#define CONFIG_TOTAL 67u
static const uint8_t configuration_descriptor[CONFIG_TOTAL] = {
    9, 0x02, LO(CONFIG_TOTAL), HI(CONFIG_TOTAL), 2, USB_CONFIGURATION, 0,
    0x80,               /* bus powered */
    50,                 /* 100 mA */
    /* interface 0: communications class, abstract control model */
    9, 0x04, 0, 0, 1, 0x02, 0x02, 0x01, 0,
    5, 0x24, 0x00, 0x10, 0x01,  /* header functional descriptor, CDC 1.10 */
    5, 0x24, 0x01, 0x00, 1,     /* call management: none, data interface 1 */
    4, 0x24, 0x02, 0x02,        /* ACM: line coding + control line state requests */
    5, 0x24, 0x06, 0, 1,        /* union: master 0, slave 1 */
    7, 0x05, 0x80 | USB_EP_NOTIFY, 0x03, USB_NOTIFY_SIZE, 0, 16, /* interrupt IN, 16 ms */
    /* interface 1: data class */
    9, 0x04, 1, 0, 2, 0x0A, 0x00, 0x00, 0,
    7, 0x05, USB_EP_DATA, 0x02, LO(USB_BULK_SIZE), HI(USB_BULK_SIZE), 0,        /* bulk OUT */
    7, 0x05, 0x80 | USB_EP_DATA, 0x02, LO(USB_BULK_SIZE), HI(USB_BULK_SIZE), 0, /* bulk IN */
};

static const uint8_t languages[4] = {4, 0x03, 0x09, 0x04}; /* en-US */

/* String descriptors are UTF-16LE; the texts are ASCII, so they are built
 * from C strings into one RAM table at init (the serial comes from FICR). */
#define STRING_MAX_CHARS 31u
static uint8_t strings[STRING_COUNT][2 + 2 * STRING_MAX_CHARS];

static void make_string(uint8_t *out, const char *text) {
  size_t n = strlen(text);
  if (n > STRING_MAX_CHARS) n = STRING_MAX_CHARS;
  out[0] = (uint8_t)(2 + 2 * n);
  out[1] = 0x03;
  for (size_t i = 0; i < n; ++i) {
    out[2 + 2 * i] = (uint8_t)text[i];
    out[3 + 2 * i] = 0;
  }
}

void usb_descriptors_init(void) {
  static const char hex[] = "0123456789ABCDEF";
  char serial[17];
  uint32_t id[2] = {USB_REG(FICR_DEVICEID1, 0), USB_REG(FICR_DEVICEID0, 0)};
  for (int i = 0; i < 16; ++i) serial[i] = hex[(id[i / 8] >> (28 - 4 * (i % 8))) & 0xFu];
  serial[16] = '\0';
  make_string(strings[STRING_MANUFACTURER], "Arduino");
  make_string(strings[STRING_PRODUCT], "Nano 33 BLE (edgesim)");
  make_string(strings[STRING_SERIAL], serial);
}

size_t usb_descriptor(uint16_t value, uint16_t language, const uint8_t **data) {
  uint8_t type = HI(value), index = LO(value);
  (void)language; /* one language: every id gets the same strings */
  switch (type) {
    case 0x01:
      if (index != 0) return 0;
      *data = device_descriptor;
      return sizeof device_descriptor;
    case 0x02:
      if (index != 0) return 0;
      *data = configuration_descriptor;
      return sizeof configuration_descriptor;
    case 0x03:
      if (index == STRING_LANGUAGES) {
        *data = languages;
        return sizeof languages;
      }
      if (index >= STRING_COUNT) return 0;
      *data = strings[index];
      return strings[index][0];
    default:
      return 0; /* e.g. DEVICE_QUALIFIER: a full-speed-only device stalls it (USB 2.0 9.6.2) */
  }
}
