/* PDM microphone (MP34DT05 on the Nano 33 BLE Sense) at 16 kHz mono.
 *
 * Clock 1.28 MHz with decimation ratio 80 gives exactly 16 kHz (the wake
 * word front end's rate, ES_AUDIO_SAMPLE_RATE_HZ).  EasyDMA fills blocks of
 * PDM_BLOCK samples alternately in two buffers: SAMPLE.PTR is latched when
 * a block starts (EVENTS_STARTED), so on each STARTED the driver queues the
 * pointer just latched and programs the other buffer; on each END the
 * oldest queued buffer is complete.  Handling STARTED before END within
 * one poll is correct both on the chip (END of block k and STARTED of k+1
 * arrive together) and in Renode's model (STARTED and END of the same block
 * are raised in one go).  Polled from board_sensor_audio(): a block lasts
 * 64 ms, longer than one inference, so no interrupt is needed.
 */
#include <string.h>

#include "board.h"
#include "edgesim/config.h"
#include "nrf52840_regs.h"
#include "sensors.h"

#define PDM_BLOCK 1024u
#define PIN_PDM_CLK 26u /* P0.26 */
#define PIN_PDM_DIN 25u /* P0.25 */
#define PIN_MIC_PWR 17u /* P0.17: microphone supply */

#if ES_AUDIO_SAMPLE_RATE_HZ != 16000
#error "the PDM clock/ratio below give 16 kHz; change them with the sample rate"
#endif

static int16_t buffers[2][PDM_BLOCK];
static uint8_t started;
static uint8_t programmed;   /* buffer index now in SAMPLE.PTR */
static uint8_t latched[2];   /* buffers being filled, oldest first */
static uint8_t latched_count;
static uint8_t ready[2];     /* complete buffers, oldest first */
static uint8_t ready_count;
static uint32_t read_pos;    /* samples already taken from ready[0] */
static uint32_t dropped_blocks;

static void pdm_start(void) {
  gpio_output(NRF_P0, PIN_MIC_PWR, 1);
  NRF_REG(NRF_PDM, PDM_PSEL_CLK) = PSEL(0, PIN_PDM_CLK);
  NRF_REG(NRF_PDM, PDM_PSEL_DIN) = PSEL(0, PIN_PDM_DIN);
  NRF_REG(NRF_PDM, PDM_PDMCLKCTRL) = PDM_FREQ_1280K;
  NRF_REG(NRF_PDM, PDM_RATIO) = PDM_RATIO_80;
  NRF_REG(NRF_PDM, PDM_MODE) = PDM_MODE_MONO;
  NRF_REG(NRF_PDM, PDM_GAINL) = PDM_GAIN_DEFAULT;
  NRF_REG(NRF_PDM, PDM_GAINR) = PDM_GAIN_DEFAULT;
  NRF_REG(NRF_PDM, PDM_SAMPLE_PTR) = (uint32_t)(uintptr_t)buffers[0];
  NRF_REG(NRF_PDM, PDM_SAMPLE_MAXCNT) = PDM_BLOCK;
  NRF_REG(NRF_PDM, PDM_EVENTS_STARTED) = 0;
  NRF_REG(NRF_PDM, PDM_EVENTS_END) = 0;
  NRF_REG(NRF_PDM, PDM_ENABLE) = 1;
  programmed = 0;
  latched_count = ready_count = 0;
  read_pos = 0;
  NRF_REG(NRF_PDM, PDM_TASKS_START) = 1;
  started = 1;
}

static void pdm_service(void) {
  if (NRF_REG(NRF_PDM, PDM_EVENTS_STARTED)) {
    NRF_REG(NRF_PDM, PDM_EVENTS_STARTED) = 0;
    if (latched_count < 2) latched[latched_count++] = programmed;
    programmed ^= 1u;
    NRF_REG(NRF_PDM, PDM_SAMPLE_PTR) = (uint32_t)(uintptr_t)buffers[programmed];
  }
  if (NRF_REG(NRF_PDM, PDM_EVENTS_END)) {
    NRF_REG(NRF_PDM, PDM_EVENTS_END) = 0;
    if (latched_count == 0) return; /* END without STARTED: nothing was filled */
    if (ready_count == 2) {          /* the app fell behind: drop the oldest block */
      ready[0] = ready[1];
      ready_count = 1;
      read_pos = 0;
      dropped_blocks++;
    }
    ready[ready_count++] = latched[0];
    latched[0] = latched[1];
    latched_count--;
  }
}

size_t board_sensor_audio(int16_t *samples, size_t capacity) {
  size_t copied = 0;
  if (!started) pdm_start();
  pdm_service();
  while (copied < capacity && ready_count > 0) {
    size_t n = PDM_BLOCK - read_pos;
    if (n > capacity - copied) n = capacity - copied;
    memcpy(samples + copied, &buffers[ready[0]][read_pos], n * sizeof(int16_t));
    copied += n;
    read_pos += (uint32_t)n;
    if (read_pos == PDM_BLOCK) {
      ready[0] = ready[1];
      ready_count--;
      read_pos = 0;
    }
  }
  return copied;
}
