/* ArduCAM Mini 2MP Plus (OV2640 + FIFO) on the Nano 33 BLE: JPEG frames,
 * decoded to gray by the shared JPEG kernel (edgesim/kernels/dsp/image/jpeg*.c).
 *
 * Wiring (as in the TFLM person detection sketch and Renode's board model):
 * SPI SCK D13 = P0.13, MOSI D11 = P1.01, MISO D12 = P1.08, CS D7 = P0.23;
 * the sensor's SCCB (I2C, address 0x30) on the Arduino Wire pins (SDA
 * P0.31, SCL P0.02).  Renode's model hangs the sensor on twi0 instead, so
 * the sensor is looked for on TWI1 (the board's wiring) and then TWI0.
 *
 * Capture follows the ArduCAM register interface: clear the FIFO-done flag,
 * start a capture, wait for TRIG.CAP_DONE, read the 23-bit FIFO length,
 * then burst-read the FIFO.  The JPEG may have filler before its SOI and
 * after its EOI; the decoder is given the bytes from SOI on.
 *
 * Not included: the OV2640's vendor register tables that switch a real
 * sensor to JPEG output at 160x120 (several hundred values from ArduCAM's
 * library, not redistributed here).  The driver resets the sensor and
 * checks it is there; a real camera needs those tables added in
 * ov2640_configure() (Renode's model delivers its ImageSource without them).
 */
#include <string.h>

#include "board.h"
#include "edgesim/image.h"
#include "edgesim/jpeg.h"
#include "nrf52840_regs.h"
#include "sensors.h"

#define REG_TEST 0x00u
#define REG_CAPTURE_CONTROL 0x01u
#define REG_FIFO_CONTROL 0x04u
#define REG_BURST_READ 0x3Cu
#define REG_TRIGGER 0x41u
#define REG_FIFO_SIZE0 0x42u
#define REG_FIFO_SIZE1 0x43u
#define REG_FIFO_SIZE2 0x44u
#define WRITE_BIT 0x80u
#define FIFO_CLEAR_DONE 0x01u
#define FIFO_START 0x02u
#define TRIGGER_CAPTURE_DONE 0x08u
#define TEST_PATTERN 0x55u
#define OV2640_ADDRESS 0x30u
#define OV2640_BANK_SELECT 0xFFu
#define OV2640_BANK_SENSOR 0x01u
#define OV2640_COM7 0x12u
#define OV2640_COM7_RESET 0x80u

#define JPEG_CAPACITY 16384u     /* a 160x120 JPEG is ~4 KiB; QVGA fits too */
#define WORKSPACE_BYTES 13312u   /* es_jpeg_workspace_size() of a 320x240 4:2:0 frame, gray: 12908 */
#define CAPTURE_POLLS 100000u

static uint8_t jpeg[JPEG_CAPACITY];
static uint8_t workspace[WORKSPACE_BYTES];
static uint8_t state; /* 0: not started, 1: ready, 2: failed */

static int cam_write(uint8_t reg, uint8_t value) {
  uint8_t ignored;
  int rc;
  spi_select(1);
  rc = spi_transfer((uint8_t)(reg | WRITE_BIT), &ignored);
  if (rc == 0) rc = spi_transfer(value, &ignored);
  spi_select(0);
  return rc;
}

static int cam_read(uint8_t reg, uint8_t *value) {
  uint8_t ignored;
  int rc;
  spi_select(1);
  rc = spi_transfer((uint8_t)(reg & 0x7Fu), &ignored);
  if (rc == 0) rc = spi_transfer(0, value);
  spi_select(0);
  return rc;
}

/* Software reset of the sensor over SCCB, on whichever bus answers. */
static int ov2640_configure(void) {
  static const uint32_t buses[2] = {NRF_TWI1, NRF_TWI0};
  static const uint32_t scl[2] = {PSEL(0, 2u), PSEL(0, 15u)};
  static const uint32_t sda[2] = {PSEL(0, 31u), PSEL(0, 14u)};
  int i;
  for (i = 0; i < 2; i++) {
    twi_init(buses[i], scl[i], sda[i]);
    if (twi_write_reg(buses[i], OV2640_ADDRESS, OV2640_BANK_SELECT, OV2640_BANK_SENSOR) == 0 &&
        twi_write_reg(buses[i], OV2640_ADDRESS, OV2640_COM7, OV2640_COM7_RESET) == 0) {
      (void)sensors_error(); /* a NACK while probing the other bus is no failure */
      return 0;
    }
  }
  sensors_fail("OV2640 does not answer on I2C address 0x30 (camera not connected?)");
  return -1;
}

static int camera_start(void) {
  uint8_t echo = 0;
  spi_init(PSEL(0, 13u), PSEL(1, 1u), PSEL(1, 8u), 0, 23u);
  if (cam_write(REG_TEST, TEST_PATTERN) != 0 || cam_read(REG_TEST, &echo) != 0) return -1;
  if (echo != TEST_PATTERN) {
    sensors_fail("ArduCAM does not echo its SPI test register (not connected or wrong CS pin)");
    return -1;
  }
  return ov2640_configure();
}

/* One JPEG from the camera FIFO into jpeg[]; its length, or 0 on failure. */
static uint32_t capture_jpeg(void) {
  uint8_t flags = 0, b0 = 0, b1 = 0, b2 = 0, ignored;
  uint32_t polls, length, i;
  if (cam_write(REG_FIFO_CONTROL, FIFO_CLEAR_DONE) != 0 || cam_write(REG_CAPTURE_CONTROL, 0) != 0 ||
      cam_write(REG_FIFO_CONTROL, FIFO_START) != 0)
    return 0;
  for (polls = 0; polls < CAPTURE_POLLS; polls++) {
    if (cam_read(REG_TRIGGER, &flags) != 0) return 0;
    if (flags & TRIGGER_CAPTURE_DONE) break;
  }
  if (!(flags & TRIGGER_CAPTURE_DONE)) {
    sensors_fail("ArduCAM capture did not finish (timeout)");
    return 0;
  }
  if (cam_read(REG_FIFO_SIZE0, &b0) != 0 || cam_read(REG_FIFO_SIZE1, &b1) != 0 ||
      cam_read(REG_FIFO_SIZE2, &b2) != 0)
    return 0;
  length = (uint32_t)b0 | ((uint32_t)b1 << 8) | ((uint32_t)(b2 & 0x7Fu) << 16);
  if (length == 0 || length > JPEG_CAPACITY) {
    sensors_fail(length ? "camera JPEG larger than the 16 KiB buffer (set a smaller resolution)"
                        : "camera FIFO is empty after capture");
    return 0;
  }
  spi_select(1);
  if (spi_transfer(REG_BURST_READ, &ignored) != 0) length = 0;
  for (i = 0; i < length; i++)
    if (spi_transfer(0, &jpeg[i]) != 0) {
      length = 0;
      break;
    }
  spi_select(0);
  cam_write(REG_FIFO_CONTROL, FIFO_CLEAR_DONE);
  return length;
}

size_t board_sensor_image(uint8_t *pixels, size_t capacity, uint16_t *width, uint16_t *height,
                          uint8_t *pixel_format) {
  es_jpeg_info info;
  const char *detail = "";
  size_t need = 0, ws_need = 0;
  uint32_t length, soi = 0;
  if (state == 0) state = camera_start() == 0 ? 1 : 2;
  if (state != 1) return 0;
  length = capture_jpeg();
  if (length == 0) return 0;
  while (soi + 1 < length && !(jpeg[soi] == 0xFFu && jpeg[soi + 1] == 0xD8u)) soi++; /* skip filler */
  if (es_jpeg_read_info(jpeg + soi, length - soi, &info, &detail) != ES_OK ||
      es_jpeg_workspace_size(&info, ES_JPEG_GRAY8, &ws_need) != ES_OK ||
      es_jpeg_output_size(&info, ES_JPEG_GRAY8, &need) != ES_OK) {
    sensors_fail(detail[0] ? detail : "camera frame is not a usable JPEG");
    return 0;
  }
  if (need > capacity || ws_need > WORKSPACE_BYTES) {
    sensors_fail("camera frame too large for the image buffer (use 160x120 or 320x240)");
    return 0;
  }
  if (es_jpeg_decode(jpeg + soi, length - soi, ES_JPEG_GRAY8, workspace, sizeof workspace, pixels, capacity,
                     &detail) != ES_OK) {
    sensors_fail(detail);
    return 0;
  }
  *width = info.width;
  *height = info.height;
  *pixel_format = ES_PIXEL_GRAY8;
  return need;
}
