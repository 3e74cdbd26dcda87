/* The native USB serial port as the firmware's console (board_link_* on
 * nano33ble unless built with FW_CONSOLE_UART).
 *
 * The host sees a CDC-ACM port (Linux /dev/ttyACM*, VID:PID 2341:805A).
 * Bytes from the host land in a receive ring in the USBD interrupt; when the
 * ring is full the endpoint NAKs (flow control, nothing is lost).  Writes go
 * through a transmit ring; while no program has the port open (DTR low) or
 * the device is not configured, output is dropped rather than blocking the
 * app forever.  Opening the port at 1200 baud and dropping DTR restarts the
 * board into the Arduino bootloader (the "1200-baud touch" of bossac flows).
 */
#ifndef EDGESIM_USB_CONSOLE_H
#define EDGESIM_USB_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

void usb_console_init(void);
/* Copies up to `capacity` received bytes; returns how many (0: none yet). */
size_t usb_console_read(uint8_t *data, size_t capacity);
/* Received bytes waiting to be read. */
size_t usb_console_pending(void);
/* Queues `length` bytes for the host, waiting for room while the port is
 * open; returns the number accepted (less when the host went away). */
size_t usb_console_write(const uint8_t *data, size_t length);
/* 1 while the device is configured and a host program holds DTR high. */
int usb_console_open(void);

/* GPREGRET value the Arduino nRF52840 bootloader treats as "stay in the
 * bootloader, serial (bossac) only" (ArduinoCore-mbed's
 * DFU_MAGIC_SERIAL_ONLY_RESET for the Nano 33 BLE). */
#define USB_BOOTLOADER_MAGIC 0xB0u
#define USB_TOUCH_BAUD 1200u

#endif /* EDGESIM_USB_CONSOLE_H */
