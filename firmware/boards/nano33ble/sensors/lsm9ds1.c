/* LSM9DS1 accelerometer + gyroscope (Nano 33 BLE Sense, I2C address 0x6B).
 *
 * Configured as the Arduino_LSM9DS1 library does for the magic wand sketch:
 * both at 119 Hz (ES_IMU_SAMPLE_RATE_HZ), accelerometer +-4 g, gyroscope
 * +-2000 deg/s, FIFO in continuous mode; each poll reads as many samples
 * as FIFO_SRC reports.  Scaling follows the library (4/32768 g and
 * 2000/32768 deg/s per LSB).  The sensor sits on the internal bus (SDA
 * P0.14, SCL P0.15), powered through P0.22 with pull-ups on P1.00.
 */
#include "board.h"
#include "edgesim/config.h"
#include "nrf52840_regs.h"
#include "sensors.h"

#define LSM9DS1_ADDRESS 0x6Bu
#define REG_WHO_AM_I 0x0Fu
#define REG_CTRL_REG1_G 0x10u
#define REG_OUT_X_L_G 0x18u
#define REG_CTRL_REG6_XL 0x20u
#define REG_CTRL_REG8 0x22u
#define REG_CTRL_REG9 0x23u
#define REG_OUT_X_L_XL 0x28u
#define REG_FIFO_CTRL 0x2Eu
#define REG_FIFO_SRC 0x2Fu
#define WHO_AM_I_VALUE 0x68u
#define ODR_119HZ (3u << 5)
#define GYRO_2000DPS (3u << 3)
#define ACCEL_4G (2u << 3)
#define CTRL8_IF_ADD_INC (1u << 2)
#define CTRL8_BDU (1u << 6)
#define CTRL9_FIFO_EN (1u << 1)
#define FIFO_CONTINUOUS (6u << 5)

#if ES_IMU_SAMPLE_RATE_HZ != 119
#error "ODR_119HZ below must follow ES_IMU_SAMPLE_RATE_HZ"
#endif

static uint8_t state; /* 0: not started, 1: running, 2: failed */

static int configure(void) {
  uint8_t who = 0;
  gpio_output(NRF_P0, 22u, 1); /* VDD_ENV: sensor supply */
  gpio_output(NRF_P1, 0u, 1);  /* I2C pull-ups */
  twi_init(NRF_TWI0, PSEL(0, 15u), PSEL(0, 14u));
  if (twi_read_regs(NRF_TWI0, LSM9DS1_ADDRESS, REG_WHO_AM_I, &who, 1) != 0) return -1;
  if (who != WHO_AM_I_VALUE) {
    sensors_fail("LSM9DS1 WHO_AM_I is not 0x68 (wrong device on the I2C bus?)");
    return -1;
  }
  if (twi_write_reg(NRF_TWI0, LSM9DS1_ADDRESS, REG_CTRL_REG8, CTRL8_IF_ADD_INC | CTRL8_BDU) != 0 ||
      twi_write_reg(NRF_TWI0, LSM9DS1_ADDRESS, REG_CTRL_REG1_G, ODR_119HZ | GYRO_2000DPS) != 0 ||
      twi_write_reg(NRF_TWI0, LSM9DS1_ADDRESS, REG_CTRL_REG6_XL, ODR_119HZ | ACCEL_4G) != 0 ||
      twi_write_reg(NRF_TWI0, LSM9DS1_ADDRESS, REG_CTRL_REG9, CTRL9_FIFO_EN) != 0 ||
      twi_write_reg(NRF_TWI0, LSM9DS1_ADDRESS, REG_FIFO_CTRL, FIFO_CONTINUOUS) != 0)
    return -1;
  return 0;
}

static float axis(const uint8_t *p, float full_scale) {
  int16_t raw = (int16_t)(uint16_t)(p[0] | (p[1] << 8));
  return (float)raw * full_scale / 32768.0f;
}

size_t board_sensor_imu(float *samples6, size_t capacity_samples) {
  uint8_t fifo = 0, gyro[6], accel[6];
  size_t n, i;
  if (state == 0) state = configure() == 0 ? 1 : 2;
  if (state != 1) return 0;
  if (twi_read_regs(NRF_TWI0, LSM9DS1_ADDRESS, REG_FIFO_SRC, &fifo, 1) != 0) return 0;
  n = fifo & 0x3Fu; /* FSS: unread samples */
  if (n > capacity_samples) n = capacity_samples;
  for (i = 0; i < n; i++) {
    float *s = samples6 + 6 * i;
    if (twi_read_regs(NRF_TWI0, LSM9DS1_ADDRESS, REG_OUT_X_L_G, gyro, 6) != 0 ||
        twi_read_regs(NRF_TWI0, LSM9DS1_ADDRESS, REG_OUT_X_L_XL, accel, 6) != 0)
      return i;
    s[0] = axis(accel, 4.0f);
    s[1] = axis(accel + 2, 4.0f);
    s[2] = axis(accel + 4, 4.0f);
    s[3] = axis(gyro, 2000.0f);
    s[4] = axis(gyro + 2, 2000.0f);
    s[5] = axis(gyro + 4, 2000.0f);
  }
  return n;
}
