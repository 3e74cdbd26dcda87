/* On-board sensor drivers of the Arduino Nano 33 BLE Sense (nRF52840).
 *
 *   pdm.c       MP34DT05 microphone: PDM peripheral, 16 kHz mono, EasyDMA double buffering
 *   lsm9ds1.c   LSM9DS1 accelerometer + gyroscope over TWI, FIFO continuous mode, 119 Hz
 *   arducam.c   ArduCAM Mini 2MP Plus (OV2640): SPI for the FIFO, TWI (SCCB) for the
 *               sensor; JPEG frames decoded by the shared kernel (edgesim/jpeg.h)
 *   twi.c spi.c the bus masters they share

 * firmware/sensor_input.c turns their data into the protocol frames
 * app_main.c handles (build flag FW_INPUT_SENSORS, `edgesim build APP --sensors`).
 *
 * They implement board_sensor_audio/imu/image() of firmware/board.h.  Every
 * wait on the hardware is bounded; a failure is kept as a static message
 * for sensors_error() and the call returns 0 items.
 */
#ifndef EDGESIM_NANO33BLE_SENSORS_H
#define EDGESIM_NANO33BLE_SENSORS_H

#include <stddef.h>
#include <stdint.h>

/* Spins of a hardware wait before it counts as a timeout (~ms at 64 MHz). */
#define SENSORS_WAIT_SPINS 200000u

/* The last driver failure (a static string), or NULL; reading clears it
 * (board_sensor_error() of board.h). */
const char *sensors_error(void);
void sensors_fail(const char *detail);

/* Legacy TWI master; 0 on success, -1 on NACK/timeout (sensors_error() says which). */
int twi_init(uint32_t base, uint32_t scl_psel, uint32_t sda_psel);
int twi_write_reg(uint32_t base, uint8_t address, uint8_t reg, uint8_t value);
int twi_read_regs(uint32_t base, uint8_t address, uint8_t reg, uint8_t *out, uint32_t count);

/* Legacy SPI master (mode 0, MSB first) with a GPIO chip select. */
void spi_init(uint32_t sck_psel, uint32_t mosi_psel, uint32_t miso_psel, uint32_t cs_port, uint32_t cs_pin);
void spi_select(int selected);
int spi_transfer(uint8_t out, uint8_t *in);

/* GPIO helper: drive a pin as an output at a level. */
void gpio_output(uint32_t port_base, uint32_t pin, int level);

#endif /* EDGESIM_NANO33BLE_SENSORS_H */
