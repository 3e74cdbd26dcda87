/* The app layer: the streaming logic between a sensor and the model, and
 * between the model and the app's detections, written once for every target.
 *
 * The host target (edgesim/targets/host.py through edgesim._app) and the
 * firmware (firmware/apps/) do only I/O around these calls, so the model
 * inputs, the inference schedule, the timestamps and the detections agree
 * bit for bit across targets.  One concern per file in kernels/app/:
 *
 *   feature_window.c  ring of the newest window_frames feature rows, read
 *                     oldest first into the model input
 *   schedule.c        when a model input is due (window full, then every
 *                     infer_every_frames new frames)
 *   stream_time.c     stream time in ms from sample counts
 *   audio_feed.c      audio samples -> front end -> window -> due inputs
 *   stroke_feed.c     IMU samples -> segmented stroke -> raster input
 *   post_feed.c       scores -> the app's postprocess kernel -> detections
 *                     (report mask, enter/leave labels, health counters)
 *   model_io.c        float models: int8 features -> float input, float
 *                     scores -> the int8 scores the post feed takes
 *
 * Feeds are "pull" steps without callbacks: a push consumes input until one
 * model input is ready (written to the caller's input buffer) or the input
 * is used up; the caller runs the model and pushes the rest.
 *
 *   size_t used = 0;
 *   while (used < count) {
 *     size_t consumed;  es_feed_result result;
 *     es_audio_feed_push(&params, &feed, &scratch, pcm + used, count - used, input, input_bytes,
 *                        &consumed, &result);
 *     used += consumed;
 *     if (result.ready) run_model(input, result.t_ms);
 *   }
 *
 * The caller owns all memory; nothing allocates, prints or keeps globals.
 */
#ifndef EDGESIM_APP_LAYER_H
#define EDGESIM_APP_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "edgesim/audio_frontend.h"
#include "edgesim/imu.h"
#include "edgesim/post.h"
#include "edgesim/status.h"

/* ------------------------------------------------------------------------
 * Feature window: the newest `frames` rows of `channels` int8 features.
 * ---------------------------------------------------------------------- */
typedef struct es_feature_window_params {
  int32_t frames;   /* rows in the model input, >= 1 */
  int32_t channels; /* int8 features per row, >= 1 */
} es_feature_window_params;

typedef struct es_feature_window {
  int8_t *rows;  /* frames * channels bytes (caller memory) */
  int32_t head;  /* slot of the oldest row */
} es_feature_window;

/* Binds rows (frames * channels bytes, checked against bytes) and resets. */
es_status es_feature_window_init(const es_feature_window_params *params, int8_t *rows, size_t bytes,
                                 es_feature_window *window);
/* All rows zero (a fresh stream). */
es_status es_feature_window_reset(const es_feature_window_params *params, es_feature_window *window);
/* Appends one row, dropping the oldest. */
es_status es_feature_window_push(const es_feature_window_params *params, es_feature_window *window,
                                 const int8_t *row);
/* The window oldest row first into out (frames * channels bytes). */
es_status es_feature_window_read(const es_feature_window_params *params, const es_feature_window *window,
                                 int8_t *out);

/* ------------------------------------------------------------------------
 * Inference schedule: the model runs when the window is first full and then
 * every `every` new frames: frames >= window && (frames - window) % every == 0.
 * ---------------------------------------------------------------------- */
typedef struct es_schedule_params {
  int32_t window; /* frames in one model input, >= 1 */
  int32_t every;  /* new frames between inferences, >= 1 */
} es_schedule_params;

es_status es_schedule_check(const es_schedule_params *params);
/* 1 when the model is due after frame number `frames` (1 = the first frame). */
int32_t es_schedule_due(const es_schedule_params *params, uint32_t frames);

/* ------------------------------------------------------------------------
 * Stream time: milliseconds from sample counts (floor), never from clocks.
 * ---------------------------------------------------------------------- */
/* floor(samples * 1000 / rate_hz); rate_hz >= 1. */
uint32_t es_stream_time_ms(uint64_t samples, uint32_t rate_hz);
/* Stream time of the end of frame number `frames` (>= 1) of a framer taking
 * windows of window_samples every hop_samples. */
uint32_t es_frame_end_ms(uint32_t frames, uint32_t window_samples, uint32_t hop_samples, uint32_t rate_hz);

/* One step of a feed. */
typedef struct es_feed_result {
  uint8_t ready; /* 1: the caller's input buffer holds a new model input */
  uint32_t t_ms; /* audio: stream time of the input's newest sample */
  uint32_t samples; /* IMU: samples consumed since reset when the stroke completed */
} es_feed_result;

/* ------------------------------------------------------------------------
 * Audio feed: int16 audio -> micro front end -> feature window -> schedule.
 * An input's t_ms is the end of its newest frame's window.
 * ---------------------------------------------------------------------- */
typedef struct es_audio_feed_params {
  int32_t window_frames;           /* frames per model input, >= 1 */
  int32_t infer_every_frames;      /* >= 1 */
  es_audio_frontend_config frontend; /* step (hop) and optional stages */
} es_audio_feed_params;

typedef struct es_audio_feed {
  es_audio_frontend frontend;
  es_feature_window window;
  uint32_t frames; /* feature frames since reset */
} es_audio_feed;

/* Input bytes of one model input: window_frames * the front end's channels. */
size_t es_audio_feed_input_bytes(const es_audio_feed_params *params);
/* rows: es_audio_feed_input_bytes(params) bytes of caller memory. */
es_status es_audio_feed_init(const es_audio_feed_params *params, int8_t *rows, size_t bytes, es_audio_feed *feed);
es_status es_audio_feed_reset(const es_audio_feed_params *params, es_audio_feed *feed);
/* Consumes samples up to the end of the next due model input (*consumed <=
 * count); on result->ready that input is in input[0..input_bytes). */
es_status es_audio_feed_push(const es_audio_feed_params *params, es_audio_feed *feed, es_audio_scratch *scratch,
                             const int16_t *samples, size_t count, int8_t *input, size_t input_bytes,
                             size_t *consumed, es_feed_result *result);

/* ------------------------------------------------------------------------
 * Stroke feed: IMU samples (accel xyz g, gyro xyz deg/s) -> segmenter ->
 * raster of the completed stroke.  Already segmented strokes go straight to
 * es_stroke_feed_points.  result->samples counts IMU samples since reset
 * (the completing one included) so the caller can place the stroke in time.
 * ---------------------------------------------------------------------- */
typedef struct es_stroke_feed_params {
  float sample_rate_hz;
  es_raster_params raster;
} es_stroke_feed_params;

typedef struct es_stroke_feed {
  es_stroke_segmenter segmenter;
  es_stroke stroke;
  uint32_t samples; /* IMU samples since reset */
} es_stroke_feed;

/* Bytes of one raster input (side * side * 3), 0 for a side out of range. */
size_t es_stroke_feed_input_bytes(const es_stroke_feed_params *params);
es_status es_stroke_feed_init(const es_stroke_feed_params *params, es_stroke_feed *feed);
es_status es_stroke_feed_reset(es_stroke_feed *feed);
/* samples: count * 6 floats.  Stops after the sample completing a stroke. */
es_status es_stroke_feed_push(const es_stroke_feed_params *params, es_stroke_feed *feed, const float *samples,
                              size_t count, int8_t *input, size_t input_bytes, size_t *consumed,
                              es_feed_result *result);
/* A stroke already segmented (count (x, y) int8 points) -> the raster input. */
es_status es_stroke_feed_points(const es_stroke_feed_params *params, const int8_t *points, int32_t count,
                                int8_t *input, size_t input_bytes);
/* 1 when the segmenter is in the middle of a stroke (it would be lost at the end). */
int32_t es_stroke_feed_drawing(const es_stroke_feed *feed);

/* ------------------------------------------------------------------------
 * Post feed: one model result -> the app's postprocess kernel -> at most one
 * detection.
 *   RECOGNIZE:  a new command whose label is in the report mask
 *               (COMMAND, its averaged score);
 *   HYSTERESIS: on a change of the watched label's state: ENTER with the
 *               watched label, LEAVE with the other label of a two-label
 *               model (else the watched one), the label's own score;
 *   CLASSIFY:   the top label when its score reaches min_score (GESTURE).
 * Scores are on the 0..255 scale q + 128.
 * ---------------------------------------------------------------------- */
#define ES_POST_MAX_LABELS 256

typedef enum es_post_kind {
  ES_POST_RECOGNIZE = 1,
  ES_POST_HYSTERESIS = 2,
  ES_POST_CLASSIFY = 3
} es_post_kind;

typedef enum es_detection_kind {
  ES_DETECTION_COMMAND = 1,
  ES_DETECTION_ENTER = 2,
  ES_DETECTION_LEAVE = 3,
  ES_DETECTION_GESTURE = 4
} es_detection_kind;

typedef struct es_post_feed_params {
  int32_t kind;        /* es_post_kind */
  int32_t label_count; /* scores per result, 2..ES_POST_MAX_LABELS */
  es_recognizer_params recognizer;                  /* RECOGNIZE */
  uint32_t report_mask[ES_POST_MAX_LABELS / 32];    /* RECOGNIZE: bit i reports label i */
  int32_t watched_label;                            /* HYSTERESIS */
  es_hysteresis_params hysteresis;                  /* HYSTERESIS */
  int32_t min_score;                                /* CLASSIFY, 0..255 */
} es_post_feed_params;

typedef struct es_post_feed {
  es_recognizer_state recognizer; /* RECOGNIZE; its counters say how healthy the stream is */
  es_hysteresis_state hysteresis; /* HYSTERESIS */
} es_post_feed;

typedef struct es_detection {
  uint8_t emit;    /* 1: a detection */
  uint8_t kind;    /* es_detection_kind */
  int32_t label;   /* label index */
  int32_t score;   /* 0..255 */
} es_detection;

/* Sets bit `label` of params->report_mask (0 <= label < label_count). */
es_status es_post_feed_report(es_post_feed_params *params, int32_t label);
/* Checks params; RECOGNIZE binds the recognizer queue (times: capacity int32,
 * scores: capacity * label_count int8; NULL/0 for the other kinds). */
es_status es_post_feed_init(const es_post_feed_params *params, int32_t *times, int8_t *scores, int32_t capacity,
                            es_post_feed *feed);
es_status es_post_feed_reset(const es_post_feed_params *params, es_post_feed *feed);
/* One result of label_count int8 scores at stream time t_ms (RECOGNIZE:
 * milliseconds, non-decreasing; the other kinds ignore it). */
es_status es_post_feed_process(const es_post_feed_params *params, es_post_feed *feed, const int8_t *scores,
                               int32_t t_ms, es_detection *detection);

/* ------------------------------------------------------------------------
 * Model I/O of float models.  The feeds make int8 values; a model with a
 * float32 input (plain float, or int8 with float I/O and its own QUANTIZE)
 * takes them as scale * (q - zero_point), the app's declared meaning of its
 * preprocessing (e.g. 1/255, -128: pixels in [0, 1]).  Float32 scores are
 * probabilities, read as q = round(p * 256) - 128 saturated to int8 (a
 * softmax's int8 quantization: scale 1/256, zero point -128).
 * ---------------------------------------------------------------------- */
#define ES_FLOAT_SCORE_STEPS 256

typedef struct es_float_input_params {
  float scale;        /* > 0, finite */
  int32_t zero_point; /* -128..127 */
} es_float_input_params;

es_status es_float_input_check(const es_float_input_params *params);
/* out[i] = scale * (q[i] - zero_point) for count values.  q may be the first
 * count bytes of out itself: the values are widened in place. */
es_status es_float_input_from_int8(const es_float_input_params *params, const int8_t *q, size_t count, float *out);
/* out[i] = clamp(round(scores[i] * 256) - 128, -128, 127); NaN gives -128. */
es_status es_scores_from_float(const float *scores, size_t count, int8_t *out);

#endif /* EDGESIM_APP_LAYER_H */
