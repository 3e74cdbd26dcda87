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
 * pacing: the UART is the bottleneck).
 *
 * The "camera" gives 96x96 gray8 frames; pixel (x, y) of frame f (f from 0
 * at boot and at every CONFIG) is (x + 2y + 7f) mod 256.  There is no IMU;
 * the weak default reports no data.
 */
#include "board.h"
#include "edgesim/image.h"

#define BLOCK_SAMPLES 320u
#define FRAME_SIDE 96u

static uint32_t next_sample;
static uint32_t next_frame;

size_t board_sensor_audio(int16_t *samples, size_t capacity) {
  size_t n = capacity < BLOCK_SAMPLES ? capacity : BLOCK_SAMPLES;
  for (size_t i = 0; i < n; ++i, ++next_sample)
    samples[i] = (int16_t)((int32_t)(((next_sample * 2654435761u) >> 16) & 0x3FFFu) - 8192);
  return n;
}

size_t board_sensor_image(uint8_t *pixels, size_t capacity, uint16_t *width, uint16_t *height,
                          uint8_t *pixel_format) {
  if (capacity < FRAME_SIDE * FRAME_SIDE) return 0;
  for (uint32_t y = 0; y < FRAME_SIDE; ++y)
    for (uint32_t x = 0; x < FRAME_SIDE; ++x) pixels[y * FRAME_SIDE + x] = (uint8_t)(x + 2u * y + 7u * next_frame);
  next_frame++;
  *width = FRAME_SIDE;
  *height = FRAME_SIDE;
  *pixel_format = ES_PIXEL_GRAY8;
  return FRAME_SIDE * FRAME_SIDE;
}

void board_sensor_restart(void) {
  next_sample = 0;
  next_frame = 0;
}
