/* Legacy TWI master (nRF52840 PS 6.31), byte by byte.
 *
 * Reads use SHORTS.BB_SUSPEND so each received byte waits for RESUME, and
 * switch to BB_STOP before resuming for the last byte, which is then
 * NACKed and followed by STOP (PS 6.31.6).  Renode's NRF52840_I2C behaves
 * the same way for this sequence: it fetches one byte per STARTRX/RESUME
 * and stops after the RXD read that follows BB_STOP.
 */
#include "nrf52840_regs.h"
#include "sensors.h"

static int wait_event(uint32_t base, uint32_t event, const char *what) {
  uint32_t spins;
  for (spins = 0; spins < SENSORS_WAIT_SPINS; spins++) {
    if (NRF_REG(base, TWI_EVENTS_ERROR)) {
      NRF_REG(base, TWI_EVENTS_ERROR) = 0;
      NRF_REG(base, TWI_ERRORSRC) = NRF_REG(base, TWI_ERRORSRC); /* write 1s to clear */
      NRF_REG(base, TWI_TASKS_STOP) = 1;
      sensors_fail("I2C device did not acknowledge (NACK)");
      return -1;
    }
    if (NRF_REG(base, event)) {
      NRF_REG(base, event) = 0;
      return 0;
    }
  }
  NRF_REG(base, TWI_TASKS_STOP) = 1;
  sensors_fail(what);
  return -1;
}

int twi_init(uint32_t base, uint32_t scl_psel, uint32_t sda_psel) {
  NRF_REG(base, TWI_ENABLE) = 0;
  NRF_REG(base, TWI_PSEL_SCL) = scl_psel;
  NRF_REG(base, TWI_PSEL_SDA) = sda_psel;
  NRF_REG(base, TWI_FREQUENCY) = TWI_FREQ_K400;
  NRF_REG(base, TWI_SHORTS) = 0;
  NRF_REG(base, TWI_ENABLE) = TWI_ENABLE_TWI;
  return 0;
}

static void clear_events(uint32_t base) {
  NRF_REG(base, TWI_EVENTS_STOPPED) = 0;
  NRF_REG(base, TWI_EVENTS_RXDREADY) = 0;
  NRF_REG(base, TWI_EVENTS_TXDSENT) = 0;
  NRF_REG(base, TWI_EVENTS_ERROR) = 0;
}

int twi_write_reg(uint32_t base, uint8_t address, uint8_t reg, uint8_t value) {
  NRF_REG(base, TWI_ADDRESS) = address;
  clear_events(base);
  NRF_REG(base, TWI_SHORTS) = 0;
  NRF_REG(base, TWI_TXD) = reg;
  NRF_REG(base, TWI_TASKS_STARTTX) = 1;
  if (wait_event(base, TWI_EVENTS_TXDSENT, "I2C register address not sent (timeout)") != 0) return -1;
  NRF_REG(base, TWI_TXD) = value;
  if (wait_event(base, TWI_EVENTS_TXDSENT, "I2C data byte not sent (timeout)") != 0) return -1;
  NRF_REG(base, TWI_TASKS_STOP) = 1;
  return wait_event(base, TWI_EVENTS_STOPPED, "I2C stop not completed (timeout)");
}

int twi_read_regs(uint32_t base, uint8_t address, uint8_t reg, uint8_t *out, uint32_t count) {
  uint32_t i;
  if (count == 0) return 0;
  NRF_REG(base, TWI_ADDRESS) = address;
  clear_events(base);
  NRF_REG(base, TWI_SHORTS) = 0;
  NRF_REG(base, TWI_TXD) = reg;
  NRF_REG(base, TWI_TASKS_STARTTX) = 1;
  if (wait_event(base, TWI_EVENTS_TXDSENT, "I2C register address not sent (timeout)") != 0) return -1;
  NRF_REG(base, TWI_SHORTS) = count == 1 ? TWI_SHORTS_BB_STOP : TWI_SHORTS_BB_SUSPEND;
  NRF_REG(base, TWI_TASKS_STARTRX) = 1; /* repeated start */
  for (i = 0; i < count; i++) {
    if (wait_event(base, TWI_EVENTS_RXDREADY, "I2C read timed out") != 0) return -1;
    out[i] = (uint8_t)NRF_REG(base, TWI_RXD);
    if (i + 1 < count) {
      if (i + 2 == count) NRF_REG(base, TWI_SHORTS) = TWI_SHORTS_BB_STOP; /* next byte is the last */
      NRF_REG(base, TWI_TASKS_RESUME) = 1;
    }
  }
  return wait_event(base, TWI_EVENTS_STOPPED, "I2C stop not completed (timeout)");
}
