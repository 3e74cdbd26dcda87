/* Wake word glue: AUDIO frames -> micro frontend (40 int8 features per 20 ms)
 * -> a sliding window of FW_WINDOW_FRAMES frames -> the model every
 * FW_INFER_EVERY_FRAMES frames -> the command recognizer.
 *
 * Mirrors edgesim/targets/host.py (AudioFeeder + PostProcessor) step for
 * step, so the events agree bit for bit: same frames, same inference
 * schedule, same timestamps in ms, same recognizer.
 */
#include <string.h>

#include "app.h"
#include "app_config.h"
#include "edgesim/audio_frontend.h"
#include "edgesim/config.h"
#include "edgesim/post.h"

#define MAX_CHUNK_SAMPLES (ES_PROTO_MAX_PAYLOAD / 2)
/* A window of 480 every 320 samples: frames one chunk can complete. */
/* Frames one hop-sized push can complete. */
#define MAX_CHUNK_FRAMES 2
#define WINDOW_BYTES (FW_WINDOW_FRAMES * ES_AUDIO_FEATURE_CHANNELS)
#define RECOGNIZER_CAPACITY FW_RC_CAPACITY

static es_audio_frontend frontend;
static es_audio_scratch scratch;
static int16_t samples[MAX_CHUNK_SAMPLES];
static int8_t chunk_features[MAX_CHUNK_FRAMES * ES_AUDIO_FEATURE_CHANNELS];
static int8_t window[WINDOW_BYTES]; /* oldest frame first */
static uint32_t frames;
static es_tensor *input;

static const es_recognizer_params recognizer_params = {
    FW_LABEL_COUNT, FW_RC_AVERAGE_WINDOW_MS, FW_RC_DETECTION_THRESHOLD, FW_RC_SUPPRESSION_MS, FW_RC_MINIMUM_COUNT};
static es_recognizer_state recognizer;
static int32_t recognizer_times[RECOGNIZER_CAPACITY];
static int8_t recognizer_scores[RECOGNIZER_CAPACITY * FW_LABEL_COUNT];

es_status app_init(es_model *model, const char **detail) {
  input = app_model_input(model, WINDOW_BYTES);
  if (input == NULL) {
    *detail = "model input must be int8 window_frames x 40 and output int8, one score per label";
    return ES_ERR_SHAPE;
  }
  es_status status = es_recognizer_init(&recognizer_params, recognizer_times, recognizer_scores,
                                        RECOGNIZER_CAPACITY, &recognizer);
  if (status != ES_OK) {
    *detail = "recognizer parameters rejected";
    return status;
  }
  app_reset();
  return ES_OK;
}

void app_reset(void) {
  es_audio_frontend_reset(&frontend);
  es_recognizer_reset(&recognizer);
  memset(window, 0, sizeof window);
  frames = 0;
}

/* Appends `produced` feature rows to the window and runs the model when the
 * schedule says so (as host.py's AudioFeeder). */
static es_status slide_and_infer(size_t produced, const char **detail) {
  for (size_t f = 0; f < produced; ++f) {
    app_stage_begin(ES_PROTO_STAGE_PREPROCESS);
    memmove(window, window + ES_AUDIO_FEATURE_CHANNELS, WINDOW_BYTES - ES_AUDIO_FEATURE_CHANNELS);
    memcpy(window + WINDOW_BYTES - ES_AUDIO_FEATURE_CHANNELS, chunk_features + f * ES_AUDIO_FEATURE_CHANNELS,
           ES_AUDIO_FEATURE_CHANNELS);
    frames++;
    int ready = frames >= FW_WINDOW_FRAMES && (frames - FW_WINDOW_FRAMES) % FW_INFER_EVERY_FRAMES == 0;
    if (ready) memcpy(input->data, window, WINDOW_BYTES);
    app_stage_end(ES_PROTO_STAGE_PREPROCESS);
    if (!ready) continue;
    /* Stream time in ms of the end of the newest 30 ms window. */
    uint64_t end_sample = (uint64_t)(frames - 1) * ES_AUDIO_HOP_SAMPLES + ES_AUDIO_WINDOW_SAMPLES;
    es_status status = app_infer((uint32_t)(end_sample * 1000u / ES_AUDIO_SAMPLE_RATE_HZ), detail);
    if (status != ES_OK) return status;
  }
  return ES_OK;
}

es_status app_on_frame(const es_proto_frame *frame, const char **detail) {
  if (frame->type != ES_PROTO_AUDIO || frame->length % 2 != 0) {
    *detail = "wake word takes AUDIO frames of int16 samples";
    return ES_ERR_PROTOCOL;
  }
  size_t count = frame->length / 2;
  for (size_t i = 0; i < count; ++i) samples[i] = (int16_t)es_get_u16(frame->payload + 2 * i);

  /* Push hop-sized pieces so each inference's STATS carry the front-end
   * work of its own frames (the features do not depend on the split). */
  for (size_t start = 0; start < count; start += ES_AUDIO_HOP_SAMPLES) {
    size_t piece = count - start < ES_AUDIO_HOP_SAMPLES ? count - start : ES_AUDIO_HOP_SAMPLES;
    size_t produced = 0;
    app_stage_begin(ES_PROTO_STAGE_PREPROCESS);
    es_status status = es_audio_frontend_push(&frontend, &scratch, samples + start, piece, chunk_features,
                                              MAX_CHUNK_FRAMES, &produced);
    app_stage_end(ES_PROTO_STAGE_PREPROCESS);
    if (status != ES_OK) {
      *detail = "audio front end rejected the samples";
      return status;
    }
    status = slide_and_infer(produced, detail);
    if (status != ES_OK) return status;
  }
  return ES_OK;
}

es_status app_postprocess(const int8_t *scores, uint32_t timestamp, const char **detail) {
  es_recognizer_output out;
  es_status status = es_recognizer_process(&recognizer_params, &recognizer, scores, (int32_t)timestamp, &out);
  if (status != ES_OK) {
    *detail = "command recognizer rejected the result";
    return status;
  }
  if (out.is_new && out.top >= 0 && out.top < 32 && (FW_RC_REPORT_MASK >> out.top) & 1u)
    app_send_detection(timestamp, out.top, out.score, ES_PROTO_DET_COMMAND);
  return ES_OK;
}
