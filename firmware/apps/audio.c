/* Audio app I/O: AUDIO frames of int16 samples -> the app layer's audio feed
 * (kernels/app/audio_feed.c: front end, feature window, inference schedule,
 * timestamps) -> app_infer() for each due model input.  The host target runs
 * the same feed (edgesim._app.AudioFeed), so inputs and times agree bit for bit.
 */
#include "app.h"
#include "app_config.h"
#include "edgesim/app_layer.h"

#define MAX_CHUNK_SAMPLES (ES_PROTO_MAX_PAYLOAD / 2)
#define WINDOW_BYTES (FW_WINDOW_FRAMES * FW_AUDIO_CHANNELS)

#if FW_AUDIO_FILTERBANK /* the app's own num_channels / band edges (edgesim/compute/frontend_tables.py) */
static const int16_t filterbank_weights[] = FW_AUDIO_FB_WEIGHTS;
static const int16_t filterbank_unweights[] = FW_AUDIO_FB_UNWEIGHTS;
static const int16_t filterbank_channel_ends[] = FW_AUDIO_FB_CHANNEL_ENDS;
static const es_audio_filterbank_table filterbank = {FW_AUDIO_CHANNELS, FW_AUDIO_FB_START, FW_AUDIO_FB_END,
                                                     filterbank_weights, filterbank_unweights,
                                                     filterbank_channel_ends};
#define FILTERBANK (&filterbank)
#else
#define FILTERBANK NULL
#endif

#if FW_AUDIO_WINDOW_SAMPLES /* the app's own window_ms */
static const int16_t window_coeffs[FW_AUDIO_WINDOW_SAMPLES] = FW_AUDIO_WINDOW_COEFFS;
#define WINDOW_COEFFS window_coeffs
#else
#define WINDOW_COEFFS NULL
#endif

static const es_audio_feed_params feed_params = {
    FW_WINDOW_FRAMES,
    FW_INFER_EVERY_FRAMES,
    {FW_AUDIO_HOP_SAMPLES, FW_AUDIO_NOISE_REDUCTION, FW_AUDIO_PCAN, FW_AUDIO_LOG_SCALE, FILTERBANK, WINDOW_COEFFS,
     FW_AUDIO_WINDOW_SAMPLES}};
static es_audio_feed feed;
static es_audio_scratch scratch;
static int8_t window_rows[WINDOW_BYTES];
static int16_t samples[MAX_CHUNK_SAMPLES];
static int8_t *input; /* app_model_input(): the int8 values of one model input */

es_status app_init(es_model *model, const char **detail) {
  input = app_model_input(model, WINDOW_BYTES);
  if (input == NULL) {
    *detail = "model input must be int8 or float32 "
                "window_frames x num_channels and output int8 or float32, "
                "one score per label";
    return ES_ERR_SHAPE;
  }
  es_status status = es_audio_feed_init(&feed_params, window_rows, sizeof window_rows, &feed);
  if (status != ES_OK) *detail = "audio feed parameters rejected";
  return status;
}

void app_reset(void) { es_audio_feed_reset(&feed_params, &feed); }

es_status app_on_frame(const es_proto_frame *frame, const char **detail) {
  if (frame->type != ES_PROTO_AUDIO || frame->length % 2 != 0) {
    *detail = "this app takes AUDIO frames of int16 samples";
    return ES_ERR_PROTOCOL;
  }
  size_t count = frame->length / 2;
  for (size_t i = 0; i < count; ++i) samples[i] = (int16_t)es_get_u16(frame->payload + 2 * i);

  /* Each step ends at a due model input, so each inference's STATS carry the
   * front-end work of its own frames. */
  for (size_t used = 0; used < count;) {
    size_t consumed = 0;
    es_feed_result result;
    app_stage_begin(ES_PROTO_STAGE_PREPROCESS);
    es_status status = es_audio_feed_push(&feed_params, &feed, &scratch, samples + used, count - used,
                                          input, WINDOW_BYTES, &consumed, &result);
    app_stage_end(ES_PROTO_STAGE_PREPROCESS);
    if (status != ES_OK) {
      *detail = "audio feed rejected the samples";
      return status;
    }
    used += consumed;
    if (result.ready) {
      status = app_infer(result.t_ms, detail);
      if (status != ES_OK) return status;
    }
  }
  return ES_OK;
}
