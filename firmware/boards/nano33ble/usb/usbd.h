/* A small bare-metal USB device stack for the nRF52840 USBD peripheral:
 * one CDC-ACM function (the board's native USB serial port), no malloc,
 * register-level with EasyDMA.
 *
 *   usbd.c         power events, enable (errata 171/187), EP0 control
 *                  transfers and the standard requests, endpoint DMA
 *   descriptors.c  device/configuration/string descriptors (Arduino
 *                  VID:PID 2341:805A, as the Arduino mbed core's sketches)
 *   cdc_acm.c      CDC class requests, the 1200-baud touch, bulk data rings
 *
 * Everything runs in the USBD and POWER_CLOCK interrupt handlers (the only
 * code that touches the USBD, so EasyDMA transfers never overlap); the app
 * talks to the rings through usb_console.h.
 */
#ifndef EDGESIM_USBD_H
#define EDGESIM_USBD_H

#include <stddef.h>
#include <stdint.h>

#define USB_EP0_SIZE 64u
#define USB_BULK_SIZE 64u
#define USB_NOTIFY_SIZE 8u
#define USB_EP_NOTIFY 1u /* interrupt IN 0x81: CDC notifications */
#define USB_EP_DATA 2u   /* bulk OUT 0x02 and bulk IN 0x82: the byte stream */
#define USB_CONFIGURATION 1u

/* A SETUP packet as the USBD peripheral decodes it. */
typedef struct {
  uint8_t request_type;
  uint8_t request;
  uint16_t value;
  uint16_t index;
  uint16_t length;
} usb_setup;

/* bmRequestType fields */
#define USB_DIR_IN 0x80u
#define USB_TYPE_MASK 0x60u
#define USB_TYPE_STANDARD 0x00u
#define USB_TYPE_CLASS 0x20u
#define USB_RECIPIENT_MASK 0x1Fu
#define USB_RECIPIENT_DEVICE 0u
#define USB_RECIPIENT_INTERFACE 1u
#define USB_RECIPIENT_ENDPOINT 2u

/* ---- descriptors.c ---------------------------------------------------- */
/* Fills in the iSerial string from the chip's device id; call once. */
void usb_descriptors_init(void);
/* The descriptor wValue asks for (type in the high byte, index in the low
 * byte) and its length; 0 when there is none (the request is stalled). */
size_t usb_descriptor(uint16_t value, uint16_t language, const uint8_t **data);

/* ---- usbd.c: used by the class ---------------------------------------- */
/* The control transfer's data stage: send `length` bytes (copied, at most
 * 64), or receive up to `capacity` bytes into `buffer` and then call
 * cdc_acm_control_out().  Anything else: status (ACK) or stall. */
void usbd_control_send(const uint8_t *data, size_t length);
void usbd_control_receive(uint8_t *buffer, size_t capacity);
void usbd_control_ack(void);
void usbd_control_stall(void);
/* Synchronous EasyDMA between RAM and an endpoint buffer (the transfer of
 * at most 64 bytes takes microseconds; waiting keeps one DMA at a time, as
 * the USBD requires, and brackets it with the errata 199 register). */
void usbd_dma_in(uint32_t endpoint, const uint8_t *ram, size_t length);
size_t usbd_dma_out(uint32_t endpoint, uint8_t *ram, size_t capacity);
uint32_t usbd_cycles(void);

/* Interrupt handlers (installed in the board's RAM vector table). */
void usbd_irq_handler(void);
void usbd_power_irq_handler(void);
/* Installs the handlers, enables the POWER USB events and starts the
 * peripheral if VBUS is already there.  Needs HFXO running. */
void usbd_init(void);

/* ---- cdc_acm.c: called by usbd.c ------------------------------------- */
void cdc_acm_bus_reset(void);
void cdc_acm_configured(void);
/* A class request for the CDC interfaces: answer with usbd_control_*. */
void cdc_acm_control(const usb_setup *setup);
/* The data stage of an OUT class request arrived (usbd_control_receive). */
void cdc_acm_control_out(const usb_setup *setup, size_t received);
/* EPDATASTATUS bits of the CDC endpoints, and the kick the app's calls pend. */
void cdc_acm_endpoints(uint32_t epdatastatus);

#endif /* EDGESIM_USBD_H */
