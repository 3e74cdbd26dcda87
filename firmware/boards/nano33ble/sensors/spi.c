/* Legacy SPI master (nRF52840 PS 6.24) on SPI2, one byte at a time, and
 * the GPIO helper.  TXD/RXD are double-buffered in hardware; one byte in
 * flight at a time keeps the driver simple and matches Renode's
 * NRF52840_SPI model, which raises READY per transmitted byte. */
#include "nrf52840_regs.h"
#include "sensors.h"

static uint32_t cs_port_base;
static uint32_t cs_pin;

void gpio_output(uint32_t port_base, uint32_t pin, int level) {
  NRF_REG(port_base, level ? GPIO_OUTSET : GPIO_OUTCLR) = 1u << pin;
  NRF_REG(port_base, GPIO_PIN_CNF(pin)) = 1u; /* DIR = output, input buffer disconnected off */
  NRF_REG(port_base, GPIO_DIRSET) = 1u << pin;
}

void spi_init(uint32_t sck_psel, uint32_t mosi_psel, uint32_t miso_psel, uint32_t cs_port, uint32_t pin) {
  cs_port_base = cs_port ? NRF_P1 : NRF_P0;
  cs_pin = pin;
  gpio_output(cs_port_base, cs_pin, 1); /* deselected */
  NRF_REG(NRF_SPI2, SPI_ENABLE) = 0;
  NRF_REG(NRF_SPI2, SPI_PSEL_SCK) = sck_psel;
  NRF_REG(NRF_SPI2, SPI_PSEL_MOSI) = mosi_psel;
  NRF_REG(NRF_SPI2, SPI_PSEL_MISO) = miso_psel;
  NRF_REG(NRF_SPI2, SPI_FREQUENCY) = SPI_FREQ_M4;
  NRF_REG(NRF_SPI2, SPI_CONFIG) = 0; /* MSB first, CPHA 0, CPOL 0 (ArduCAM: mode 0) */
  NRF_REG(NRF_SPI2, SPI_EVENTS_READY) = 0;
  NRF_REG(NRF_SPI2, SPI_ENABLE) = SPI_ENABLE_SPI;
}

void spi_select(int selected) {
  NRF_REG(cs_port_base, selected ? GPIO_OUTCLR : GPIO_OUTSET) = 1u << cs_pin; /* CS is active low */
}

int spi_transfer(uint8_t out, uint8_t *in) {
  uint32_t spins;
  NRF_REG(NRF_SPI2, SPI_EVENTS_READY) = 0;
  NRF_REG(NRF_SPI2, SPI_TXD) = out;
  for (spins = 0; spins < SENSORS_WAIT_SPINS; spins++) {
    if (NRF_REG(NRF_SPI2, SPI_EVENTS_READY)) {
      NRF_REG(NRF_SPI2, SPI_EVENTS_READY) = 0;
      *in = (uint8_t)NRF_REG(NRF_SPI2, SPI_RXD);
      return 0;
    }
  }
  sensors_fail("SPI transfer timed out");
  return -1;
}
