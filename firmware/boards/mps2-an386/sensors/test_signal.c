/* The emulated board's "microphone" (FW_INPUT_SENSORS on mps2-an386): QEMU's
 * AN386 has no audio input, so a deterministic test signal stands in for
 * one, letting tests record "the board's own sensor" through the device
 * target and check every sample.
 *
 * Sample n of the stream (n counts from 0 at boot and again at every
 * CONFIG, board_sensor_restart) is
 *
 *   s[n] = (((n * 2654435761) mod 2^32) >> 16 & 0x3FFF) - 8192
 *
 * Knuth's multiplicative hash: white-noise-like, -12 dBFS peak, never
 * periodic within 2^32 samples, so a sample lost, repeated or shifted shows.
 * It comes in 20 ms blocks as fast as the firmware asks (no real-time
 * pacing: the UART is the bottleneck).  There is no IMU or camera here; the
 * weak defaults report no data for those.
 */
#include "board.h"

#define BLOCK_SAMPLES 320u

static uint32_t next_sample;

size_t board_sensor_audio(int16_t *samples, size_t capacity) {
  size_t n = capacity < BLOCK_SAMPLES ? capacity : BLOCK_SAMPLES;
  for (size_t i = 0; i < n; ++i, ++next_sample)
    samples[i] = (int16_t)((int32_t)(((next_sample * 2654435761u) >> 16) & 0x3FFFu) - 8192);
  return n;
}

void board_sensor_restart(void) { next_sample = 0; }
