/* The firmware's one loop, the same on every board and for every app:
 *
 *   boot -> load the embedded model into the arena -> HELLO
 *   frames in:  CONFIG (flags; new stream) -> HELLO
 *               AUDIO/IMAGE/IMU/STROKE -> the app glue feeds the app layer
 *               and calls app_infer() per model input; the post feed
 *               (edgesim/app_layer.h) turns the scores into detections
 *               END -> END (counters), then wait for more
 *   frames out: FEATURES (optional), SCORES, DETECTION, STATS (optional),
 *               ERROR for anything rejected (the loop keeps going).
 *
 * Built with FW_INPUT_SENSORS (--sensors), the input frames come from the
 * board's own sensors (sensor_input.c) and host frames are taken between
 * sensor polls; CONFIG with ES_PROTO_CFG_RAW then forwards the input as
 * RAW frames instead of running the model, until END (edgesim record
 * --source device).
 *
 * Instructions per stage are measured with the board counter and, for the
 * exact counting plugin, bracketed by board_mark_stage().
 */
#include <string.h>

#include "app.h"
#include "app_config.h"
#include "board.h"
#include "edgesim/app_layer.h"
#include "edgesim/model.h"
#include "edgesim/ops.h"
#include "edgesim/protocol.h"
#include "edgesim/schedule.h"
#include "link.h"
#ifdef FW_INPUT_SENSORS
#include "sensor_input.h"
#endif

extern const uint8_t es_model_data[];
extern const uint8_t es_model_end[];
/* FW_COMPILED (edgesim build --optimize speed|size): the model's build-time
 * compiled schedule (edgesim/schedule.h) runs it instead of the interpreter. */
#ifndef FW_COMPILED
#define FW_COMPILED 0
#endif
#if FW_COMPILED
extern const es_compiled_model es_compiled;
#endif

/* The tensor arena: its own section so the size report shows it. */
__attribute__((section(".arena"), aligned(16))) uint8_t es_arena[FW_ARENA_BYTES];

static es_model model;
static uint32_t config_flags;
static uint32_t inferences;
static uint16_t current_seq;
static uint32_t stage_start[ES_PROTO_STAGE_COUNT];
static uint32_t stage_total[ES_PROTO_STAGE_COUNT];
#ifdef FW_INPUT_SENSORS
static uint32_t raw_position; /* audio/IMU samples, or images, forwarded since CONFIG */
#endif

/* The app's postprocessing (app_config.h, from the app definition). */
static const es_post_feed_params post_params = {
    FW_POST_KIND,
    FW_LABEL_COUNT,
    {FW_LABEL_COUNT, FW_RC_AVERAGE_WINDOW_MS, FW_RC_DETECTION_THRESHOLD, FW_RC_SUPPRESSION_MS, FW_RC_MINIMUM_COUNT},
    FW_POST_REPORT_MASK,
    FW_HYST_LABEL,
    {FW_HYST_ON_THRESHOLD, FW_HYST_OFF_THRESHOLD, FW_HYST_ON_COUNT, FW_HYST_OFF_COUNT},
    FW_CLASSIFY_MIN_SCORE,
};
static es_post_feed post;
static int32_t recognizer_times[FW_RC_CAPACITY];
static int8_t recognizer_scores[FW_RC_CAPACITY * FW_LABEL_COUNT];

/* Float models (app_layer.h, model I/O): the int8 values' float meaning and
 * the int8 scores read from float32 probabilities. */
static const es_float_input_params float_input = {FW_FLOAT_INPUT_SCALE, FW_FLOAT_INPUT_ZERO_POINT};
static size_t input_values; /* int8 values of one model input */
static int8_t float_scores[FW_LABEL_COUNT];

int8_t *app_model_input(es_model *m, size_t input_bytes) {
  es_tensor *input = es_model_input(m, 0);
  const es_tensor *output = es_model_output(m, 0);
  if (input == NULL || output == NULL || (input->type != ES_INT8 && input->type != ES_FLOAT32) ||
      (size_t)es_tensor_elements(input) != input_bytes || (output->type != ES_INT8 && output->type != ES_FLOAT32) ||
      es_tensor_elements(output) != FW_LABEL_COUNT)
    return NULL;
  if (input->type == ES_FLOAT32 && es_float_input_check(&float_input) != ES_OK) return NULL;
  input_values = input_bytes;
  return (int8_t *)input->data;
}

void app_stage_begin(uint32_t stage) {
  board_mark_stage(stage);
  stage_start[stage] = board_instructions();
}

void app_stage_end(uint32_t stage) {
  stage_total[stage] += board_instructions() - stage_start[stage];
  board_mark_stage(BOARD_MARK_IDLE);
}

static uint8_t detection_frame_kind(uint8_t kind) {
  switch (kind) {
    case ES_DETECTION_ENTER: return ES_PROTO_DET_ENTER;
    case ES_DETECTION_LEAVE: return ES_PROTO_DET_LEAVE;
    case ES_DETECTION_GESTURE: return ES_PROTO_DET_GESTURE;
    default: return ES_PROTO_DET_COMMAND;
  }
}

static void send_detection(uint32_t timestamp, int32_t label, int32_t score_255, uint8_t kind) {
  uint8_t payload[ES_PROTO_DETECTION_BYTES];
  es_put_u32(payload, inferences);
  es_put_u32(payload + 4, timestamp);
  es_put_u16(payload + 8, (uint16_t)(int16_t)label);
  payload[10] = (uint8_t)(score_255 < 0 ? 0 : score_255 > 255 ? 255 : score_255);
  payload[11] = kind;
  link_send(ES_PROTO_DETECTION, payload, sizeof payload);
}

static void send_features(const uint8_t *values, size_t bytes) {
  static uint8_t payload[ES_PROTO_MAX_PAYLOAD];
  const size_t room = ES_PROTO_MAX_PAYLOAD - ES_PROTO_FEATURES_HEADER_BYTES;
  for (size_t offset = 0; offset < bytes; offset += room) {
    size_t n = bytes - offset < room ? bytes - offset : room;
    es_put_u32(payload, inferences);
    es_put_u32(payload + 4, (uint32_t)offset);
    memcpy(payload + ES_PROTO_FEATURES_HEADER_BYTES, values + offset, n);
    link_send(ES_PROTO_FEATURES, payload, ES_PROTO_FEATURES_HEADER_BYTES + n);
  }
}

/* After the model ran: scores, postprocessing, stats. Kept out of
   app_infer (noinline) so its buffers are not on the stack while the model's
   kernels run, the deepest part of the call chain. */
static __attribute__((noinline)) es_status report_result(const es_tensor *output, uint32_t timestamp,
                                                         const char **detail) {
  const int8_t *scores = (const int8_t *)output->data;
  if (output->type == ES_FLOAT32) {
    es_scores_from_float((const float *)output->data, FW_LABEL_COUNT, float_scores);
    scores = float_scores;
  }
  uint8_t payload[ES_PROTO_SCORES_HEADER_BYTES + 64];
  size_t n = FW_LABEL_COUNT < 64 ? FW_LABEL_COUNT : 64;
  es_put_u32(payload, inferences);
  es_put_u32(payload + 4, timestamp);
  memcpy(payload + ES_PROTO_SCORES_HEADER_BYTES, scores, n);
  link_send(ES_PROTO_SCORES, payload, ES_PROTO_SCORES_HEADER_BYTES + n);

  es_detection detection;
  app_stage_begin(ES_PROTO_STAGE_POSTPROCESS);
  es_status status = es_post_feed_process(&post_params, &post, scores, (int32_t)timestamp, &detection);
  app_stage_end(ES_PROTO_STAGE_POSTPROCESS);
  if (status != ES_OK) *detail = "postprocessing rejected the result (timestamps out of order?)";
  else if (detection.emit)
    send_detection(timestamp, detection.label, detection.score, detection_frame_kind(detection.kind));

  board_mark_stage(BOARD_MARK_REPORT);
  if (config_flags & ES_PROTO_CFG_STATS) {
    uint8_t stats[ES_PROTO_STATS_BYTES];
    es_put_u32(stats, inferences);
    for (uint32_t s = 0; s < ES_PROTO_STAGE_COUNT; ++s) es_put_u32(stats + 4 + 4 * s, stage_total[s]);
    es_put_u32(stats + 4 + 4 * ES_PROTO_STAGE_COUNT, board_stack_high_water());
    link_send(ES_PROTO_STATS, stats, sizeof stats);
  }
  memset(stage_total, 0, sizeof stage_total);
  inferences++;
  return status;
}

es_status app_infer(uint32_t timestamp, const char **detail) {
  es_tensor *input = es_model_input(&model, 0);
  es_tensor *output = es_model_output(&model, 0);
  if (config_flags & ES_PROTO_CFG_FEATURES) send_features((const uint8_t *)input->data, input_values);
  if (input->type == ES_FLOAT32)
    es_float_input_from_int8(&float_input, (const int8_t *)input->data, input_values, (float *)input->data);

  app_stage_begin(ES_PROTO_STAGE_INVOKE);
#if FW_COMPILED
  es_status status = es_compiled_invoke(&model, &es_compiled);
#else
  es_status status = es_model_invoke(&model);
#endif
  app_stage_end(ES_PROTO_STAGE_INVOKE);
  if (status != ES_OK) {
    *detail = model.error.detail;
    return status;
  }
  return report_result(output, timestamp, detail);
}

static void send_hello(void) {
  uint8_t hello[ES_PROTO_HELLO_BYTES] = {0};
  hello[0] = FW_APP_ID;
  hello[1] = board_id();
  es_put_u32(hello + 4, (uint32_t)(es_model_end - es_model_data));
  es_put_u32(hello + 8, (uint32_t)model.arena_used);
  es_tensor *input = es_model_input(&model, 0);
  es_put_u32(hello + 12, input ? (uint32_t)input->bytes : 0);
  es_put_u32(hello + 16, (uint32_t)model.output_count);
  link_send(ES_PROTO_HELLO, hello, sizeof hello);
}

static void send_end(void) {
  uint8_t end[ES_PROTO_END_BYTES];
  es_put_u32(end, inferences);
  es_put_u32(end + 4, link_rejected());
  es_put_u32(end + 8, link_skipped());
  es_put_u32(end + 12, board_stack_high_water());
  link_send(ES_PROTO_END, end, sizeof end);
}

#ifdef FW_INPUT_SENSORS
/* One sensor input frame as a RAW frame (header + the payload unchanged). */
static void send_raw(const es_proto_frame *input) {
  static uint8_t payload[ES_PROTO_MAX_PAYLOAD];
  uint32_t position = raw_position;
  if (input->type == ES_PROTO_AUDIO) raw_position += input->length / 2u;
  else if (input->type == ES_PROTO_IMU) raw_position += input->length / ES_PROTO_IMU_SAMPLE_BYTES;
  else if (es_get_u32(input->payload + 8) == 0) raw_position++; /* IMAGE: a new image starts at offset 0 */
  else position = raw_position - 1u;                               /* a later chunk of the same image */
  memset(payload, 0, ES_PROTO_RAW_HEADER_BYTES);
  payload[0] = input->type;
  es_put_u32(payload + 4, position);
  memcpy(payload + ES_PROTO_RAW_HEADER_BYTES, input->payload, input->length);
  link_send(ES_PROTO_RAW, payload, ES_PROTO_RAW_HEADER_BYTES + input->length);
}
#endif

static void handle(const es_proto_frame *frame) {
  const char *detail = "";
  es_status status = ES_OK;
  current_seq = frame->seq;
  switch (frame->type) {
    case ES_PROTO_CONFIG:
      if (frame->length != ES_PROTO_CONFIG_BYTES) {
        link_send_error(ES_ERR_PROTOCOL, ES_PROTO_STAGE_PROTOCOL, frame->seq, "CONFIG payload must be 4 bytes");
        return;
      }
#ifdef FW_INPUT_SENSORS
      sensor_input_restart();
      raw_position = 0;
#else
      if (es_get_u32(frame->payload) & ES_PROTO_CFG_RAW) {
        link_send_error(ES_ERR_UNSUPPORTED, ES_PROTO_STAGE_PROTOCOL, frame->seq,
                        "this firmware reads frames from the host, not its own sensors: build or flash it "
                        "with --sensors to record them");
        return;
      }
#endif
      config_flags = es_get_u32(frame->payload);
      inferences = 0;
      memset(stage_total, 0, sizeof stage_total);
      app_reset();
      es_post_feed_reset(&post_params, &post);
      send_hello();
      return;
    case ES_PROTO_END:
      config_flags &= ~ES_PROTO_CFG_RAW;
      send_end();
      return;
    case ES_PROTO_AUDIO:
    case ES_PROTO_IMAGE:
    case ES_PROTO_IMU:
    case ES_PROTO_STROKE:
      status = app_on_frame(frame, &detail);
      break;
    default:
      link_send_error(ES_ERR_PROTOCOL, ES_PROTO_STAGE_PROTOCOL, frame->seq, "frame type not accepted by the device");
      return;
  }
  if (status != ES_OK) link_send_error((uint16_t)status, ES_PROTO_STAGE_PREPROCESS, current_seq, detail);
}

int main(void) {
  board_init();
#if FW_COMPILED
  es_status status = es_compiled_load(&model, &es_all_ops, es_model_data, (size_t)(es_model_end - es_model_data),
                                      es_arena, sizeof es_arena, &es_compiled);
#else
  es_status status = es_model_load(&model, &es_all_ops, es_model_data, (size_t)(es_model_end - es_model_data),
                                   es_arena, sizeof es_arena);
#endif
  const char *detail = model.error.detail;
  if (status == ES_OK) status = app_init(&model, &detail);
  if (status == ES_OK) {
    status = es_post_feed_init(&post_params, recognizer_times, recognizer_scores, FW_RC_CAPACITY, &post);
    if (status != ES_OK) detail = "postprocess parameters rejected";
  }
  if (status != ES_OK) {
    link_send_error((uint16_t)status, ES_PROTO_STAGE_INVOKE, 0, detail);
    return ES_PROTO_EXIT_ERROR;
  }
  send_hello();
  es_proto_frame frame;
#ifdef FW_INPUT_SENSORS
  /* On-board sensors: the same frames, made on the device; host frames in between. */
  for (;;) {
    if (link_poll(&frame)) handle(&frame);
    else if (sensor_input_poll(&frame)) {
      if (config_flags & ES_PROTO_CFG_RAW) send_raw(&frame);
      else handle(&frame);
    }
  }
#else
  while (link_receive(&frame)) handle(&frame);
#endif
  return ES_PROTO_EXIT_OK;
}
