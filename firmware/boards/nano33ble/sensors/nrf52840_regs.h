/* The few nRF52840 registers the on-board sensor drivers touch, from the
 * nRF52840 Product Specification v1.7 (peripheral base + register offset).
 *
 * The drivers use the legacy (non-EasyDMA) TWI and SPI master registers for
 * the LSM9DS1 and the ArduCAM: those exist on the nRF52840 at the same
 * addresses as TWIM0/SPIM2, and they are what Renode's NRF52840_I2C and
 * NRF52840_SPI models implement (neither models TWIM/SPIM EasyDMA).  The
 * PDM microphone uses EasyDMA, which Renode's NRF52840_PDM models.
 */
#ifndef EDGESIM_NRF52840_REGS_H
#define EDGESIM_NRF52840_REGS_H

#include <stdint.h>

#define NRF_REG(base, offset) (*(volatile uint32_t *)((uintptr_t)(base) + (offset)))

/* GPIO ports (P0, P1): pin n of port p has PSEL value n | p << 5. */
#define NRF_P0 0x50000000u
#define NRF_P1 0x50000300u
#define GPIO_OUTSET 0x508u
#define GPIO_OUTCLR 0x50Cu
#define GPIO_DIRSET 0x518u
#define GPIO_PIN_CNF(n) (0x700u + 4u * (n))
#define PSEL(port, pin) ((uint32_t)(pin) | ((uint32_t)(port) << 5))

/* PDM (0x4001D000) */
#define NRF_PDM 0x4001D000u
#define PDM_TASKS_START 0x000u
#define PDM_TASKS_STOP 0x004u
#define PDM_EVENTS_STARTED 0x100u
#define PDM_EVENTS_STOPPED 0x104u
#define PDM_EVENTS_END 0x108u
#define PDM_ENABLE 0x500u
#define PDM_PDMCLKCTRL 0x504u
#define PDM_MODE 0x508u
#define PDM_GAINL 0x518u
#define PDM_GAINR 0x51Cu
#define PDM_RATIO 0x520u
#define PDM_PSEL_CLK 0x540u
#define PDM_PSEL_DIN 0x544u
#define PDM_SAMPLE_PTR 0x560u
#define PDM_SAMPLE_MAXCNT 0x564u
#define PDM_FREQ_1280K 0x0A000000u /* with RATIO 80: 1.28 MHz / 80 = 16 kHz exactly */
#define PDM_RATIO_80 1u
#define PDM_MODE_MONO 1u           /* OPERATION = Mono, EDGE = LeftFalling */
#define PDM_GAIN_DEFAULT 0x28u     /* 0 dB */

/* Legacy TWI master (TWI0 at 0x40003000, TWI1 at 0x40004000) */
#define NRF_TWI0 0x40003000u
#define NRF_TWI1 0x40004000u
#define TWI_TASKS_STARTRX 0x000u
#define TWI_TASKS_STARTTX 0x008u
#define TWI_TASKS_STOP 0x014u
#define TWI_TASKS_RESUME 0x020u
#define TWI_EVENTS_STOPPED 0x104u
#define TWI_EVENTS_RXDREADY 0x108u
#define TWI_EVENTS_TXDSENT 0x11Cu
#define TWI_EVENTS_ERROR 0x124u
#define TWI_SHORTS 0x200u
#define TWI_ERRORSRC 0x4C4u
#define TWI_ENABLE 0x500u
#define TWI_PSEL_SCL 0x508u
#define TWI_PSEL_SDA 0x50Cu
#define TWI_RXD 0x518u
#define TWI_TXD 0x51Cu
#define TWI_FREQUENCY 0x524u
#define TWI_ADDRESS 0x588u
#define TWI_ENABLE_TWI 5u
#define TWI_SHORTS_BB_SUSPEND 1u
#define TWI_SHORTS_BB_STOP 2u
#define TWI_FREQ_K400 0x06680000u

/* Legacy SPI master (SPI2 at 0x40023000) */
#define NRF_SPI2 0x40023000u
#define SPI_EVENTS_READY 0x108u
#define SPI_ENABLE 0x500u
#define SPI_PSEL_SCK 0x508u
#define SPI_PSEL_MOSI 0x50Cu
#define SPI_PSEL_MISO 0x510u
#define SPI_RXD 0x518u
#define SPI_TXD 0x51Cu
#define SPI_FREQUENCY 0x524u
#define SPI_CONFIG 0x554u
#define SPI_ENABLE_SPI 1u
#define SPI_FREQ_M4 0x40000000u

#endif /* EDGESIM_NRF52840_REGS_H */
