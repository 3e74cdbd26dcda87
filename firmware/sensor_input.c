/* Sensor data -> the protocol frames app_main.c handles (FW_INPUT_SENSORS).
 *
 * Audio and IMU samples go out as soon as a driver has some (one AUDIO
 * frame per poll, up to a frame's payload); a camera frame is decoded once
 * and then handed out as IMAGE chunks (header + pixels at an offset), as
 * the host does (edgesim/protocol.py image_payloads).  Payload layouts are
 * the protocol's: little-endian int16 / float32, which is also the
 * Cortex-M4's memory order.
 */
#include <string.h>

#include "app_config.h"
#include "board.h"
#include "edgesim/image.h"
#include "edgesim/protocol.h"
#include "link.h"
#include "sensor_input.h"

#define CAMERA_PIXELS (160u * 120u) /* the sensor-mode camera resolution, gray */
/* Between polls that found no data: POLL_PAUSE_LOOPS turns of an empty loop
 * (~3000 cycles, ~50 us at 64 MHz: far below a PDM block's 16 ms or an IMU
 * sample's 8 ms).  On silicon it only spaces the register reads out; on
 * Renode, where every peripheral read leaves the translated code, a tight
 * poll loop spent most of the wall time there.  20000 empty polls (~1 s)
 * before the sensor counts as silent. */
#define POLL_PAUSE_LOOPS 1000u
#define IDLE_POLLS_BEFORE_ERROR 20000u

static union {
  uint8_t bytes[SENSOR_INPUT_MAX_PAYLOAD];
  int16_t audio[SENSOR_INPUT_MAX_PAYLOAD / 2];
  float imu[SENSOR_INPUT_MAX_PAYLOAD / 4];
} payload;
#if FW_APP_ID == ES_PROTO_APP_PERSON_DETECTION
static uint8_t pixels[CAMERA_PIXELS];
static uint32_t image_bytes, image_sent;
static uint16_t image_width, image_height;
static uint8_t image_format;
#endif
static uint16_t seq;
static uint32_t idle_polls;

static void report_failure(void) {
  const char *error = board_sensor_error();
  if (error == NULL && ++idle_polls < IDLE_POLLS_BEFORE_ERROR) return;
  link_send_error(ES_ERR_INPUT_DATA, ES_PROTO_STAGE_PREPROCESS, seq,
                  error ? error : "no data from the on-board sensor");
  idle_polls = 0;
}

static void poll_pause(void) {
  for (uint32_t i = 0; i < POLL_PAUSE_LOOPS; ++i) __asm volatile("");
}

static size_t next_payload(uint8_t *type) {
#if FW_APP_ID == ES_PROTO_APP_WAKE_WORD
  *type = ES_PROTO_AUDIO;
  return 2u * board_sensor_audio(payload.audio, SENSOR_INPUT_MAX_PAYLOAD / 2u);
#elif FW_APP_ID == ES_PROTO_APP_GESTURE
  *type = ES_PROTO_IMU;
  return ES_PROTO_IMU_SAMPLE_BYTES *
         board_sensor_imu(payload.imu, SENSOR_INPUT_MAX_PAYLOAD / ES_PROTO_IMU_SAMPLE_BYTES);
#else
  size_t chunk;
  *type = ES_PROTO_IMAGE;
  if (image_sent == image_bytes) {
    image_bytes = (uint32_t)board_sensor_image(pixels, sizeof pixels, &image_width, &image_height, &image_format);
    image_sent = 0;
    if (image_bytes == 0) return 0;
  }
  chunk = image_bytes - image_sent;
  if (chunk > SENSOR_INPUT_MAX_PAYLOAD - ES_PROTO_IMAGE_HEADER_BYTES)
    chunk = SENSOR_INPUT_MAX_PAYLOAD - ES_PROTO_IMAGE_HEADER_BYTES;
  memset(payload.bytes, 0, ES_PROTO_IMAGE_HEADER_BYTES);
  es_put_u16(payload.bytes, image_width);
  es_put_u16(payload.bytes + 2, image_height);
  payload.bytes[4] = image_format;
  es_put_u32(payload.bytes + 8, image_sent);
  memcpy(payload.bytes + ES_PROTO_IMAGE_HEADER_BYTES, pixels + image_sent, chunk);
  image_sent += (uint32_t)chunk;
  return ES_PROTO_IMAGE_HEADER_BYTES + chunk;
#endif
}

int sensor_input_poll(es_proto_frame *frame) {
  uint8_t type = 0;
  size_t length = next_payload(&type);
  if (length == 0) {
    report_failure();
    poll_pause();
    return 0;
  }
  idle_polls = 0;
  frame->type = type;
  frame->flags = 0;
  frame->seq = seq++;
  frame->length = (uint16_t)length;
  frame->payload = payload.bytes;
  return 1;
}

void sensor_input_restart(void) {
#if FW_APP_ID == ES_PROTO_APP_PERSON_DETECTION
  image_bytes = image_sent = 0;
#endif
  idle_polls = 0;
  board_sensor_restart();
}
