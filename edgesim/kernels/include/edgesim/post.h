/* Postprocessing kernels: turn a stream of int8 class scores into events.
 *
 * All scores are the int8 outputs of a softmax with scale 1/256 and zero
 * point -128, handled on the 0..255 scale `q + 128` (upstream TFLM sketches
 * do the same), so thresholds are integers and host and firmware agree
 * exactly.  Callers own all memory; nothing allocates or prints.
 *
 * Three kernels, one file each in kernels/post/:
 *   recognize_commands.c  streaming command recognizer (TFLM RecognizeCommands
 *                         semantics: average window, threshold, suppression,
 *                         minimum count), with checked timestamps;
 *   hysteresis.c          one class score with on/off thresholds and debouncing
 *                         (person detection: appear / leave);
 *   classify.c            top class with a minimum score (gesture).
 */
#ifndef EDGESIM_POST_H
#define EDGESIM_POST_H

#include <stdint.h>

#include "edgesim/status.h"

/* ---------------------------------------------------------------------------
 * Command recognizer.
 *
 * Each result (category_count int8 scores at time_ms) joins a queue; results
 * older than time_ms - average_window_ms are dropped.  When the queue holds at
 * least minimum_count results spanning at least average_window_ms / 4, the
 * per-category averages of (q + 128) (integer division, truncating) are
 * computed; the first category with the highest average is the current top.
 * It is a new command when its average exceeds detection_threshold and it
 * differs from the previous command or more than suppression_ms have passed
 * since it (category 0, "silence", never suppresses).  With too few results
 * the output repeats the previous command with score 0 and is_reliable = 0;
 * state.starved_count counts those calls, and state.starved_after_warmup the
 * ones at least average_window_ms after the first result, so a loop that is
 * too slow (or timestamps in samples or bytes instead of milliseconds) shows
 * up instead of silently never detecting anything.
 *
 * Differences from upstream, on purpose: a timestamp earlier than the newest
 * one (not only the oldest) is rejected with ES_ERR_INPUT_DATA and leaves the
 * state unchanged; when the queue is full the oldest result is evicted and
 * counted in state.evicted_count instead of dropping the newest silently.
 * ------------------------------------------------------------------------- */
typedef struct es_recognizer_params {
  int32_t category_count;      /* scores per result, >= 1 */
  int32_t average_window_ms;   /* 1000 upstream; > 0 */
  int32_t detection_threshold; /* 200 upstream; 0..255 on the q + 128 scale */
  int32_t suppression_ms;      /* 1500 upstream; >= 0 */
  int32_t minimum_count;       /* 3 upstream; >= 1 */
} es_recognizer_params;

typedef struct es_recognizer_state {
  int32_t *times;              /* capacity timestamps (caller memory) */
  int8_t *scores;              /* capacity * category_count scores (caller memory) */
  int32_t capacity;            /* results the queue can hold */
  int32_t front;               /* index of the oldest result */
  int32_t count;               /* results in the queue */
  int32_t newest_time_ms;      /* timestamp of the last accepted result */
  int32_t previous_top;        /* category of the last command (starts at 0) */
  int32_t previous_top_time_ms;
  uint8_t has_newest;          /* a result has been accepted since reset */
  uint8_t has_previous_top;    /* previous_top_time_ms is meaningful */
  uint32_t results_count;      /* results accepted since reset */
  uint32_t starved_count;      /* results with too few others in the window */
  uint32_t starved_after_warmup; /* of those, the ones a full window after the first result */
  int32_t first_time_ms;       /* timestamp of the first result since reset */
  uint32_t evicted_count;      /* results evicted because the queue was full */
} es_recognizer_state;

typedef struct es_recognizer_output {
  int32_t top;         /* current top category (previous command when unreliable) */
  int32_t score;       /* its average on the 0..255 scale; 0 when unreliable */
  uint8_t is_new;      /* 1: a new command was recognized at this result */
  uint8_t is_reliable; /* 0: too few results in the window to decide */
} es_recognizer_output;

/* Checks params and binds the caller's queue memory (times: capacity int32s,
 * scores: capacity * category_count int8s); then resets. */
es_status es_recognizer_init(const es_recognizer_params *params, int32_t *times, int8_t *scores,
                             int32_t capacity, es_recognizer_state *state);
/* Forgets every result and the previous command; keeps the memory binding. */
es_status es_recognizer_reset(es_recognizer_state *state);
/* Feeds one result (params->category_count scores) at time_ms. */
es_status es_recognizer_process(const es_recognizer_params *params, es_recognizer_state *state,
                                const int8_t *scores, int32_t time_ms, es_recognizer_output *output);

/* ---------------------------------------------------------------------------
 * Hysteresis on one score (person present / absent).
 *
 * Inactive -> active after on_count consecutive scores >= on_threshold;
 * active -> inactive after off_count consecutive scores < off_threshold.
 * off_threshold <= on_threshold gives the dead band that stops flicker.
 * ------------------------------------------------------------------------- */
typedef struct es_hysteresis_params {
  int32_t on_threshold;  /* 0..255 on the q + 128 scale */
  int32_t off_threshold; /* 0..on_threshold */
  int32_t on_count;      /* >= 1 */
  int32_t off_count;     /* >= 1 */
} es_hysteresis_params;

typedef struct es_hysteresis_state {
  uint8_t active;
  int32_t streak; /* consecutive scores arguing for a change */
} es_hysteresis_state;

typedef struct es_hysteresis_output {
  uint8_t active;  /* state after this score */
  uint8_t changed; /* 1 when this score switched the state */
} es_hysteresis_output;

es_status es_hysteresis_init(const es_hysteresis_params *params, es_hysteresis_state *state);
es_status es_hysteresis_reset(es_hysteresis_state *state);
es_status es_hysteresis_process(const es_hysteresis_params *params, es_hysteresis_state *state, int8_t score,
                                es_hysteresis_output *output);

/* ---------------------------------------------------------------------------
 * Classification: the top category (first index of the maximum, as argmax)
 * and whether its score reaches min_score.  Stateless.
 * ------------------------------------------------------------------------- */
typedef struct es_classify_params {
  int32_t category_count; /* >= 1 */
  int32_t min_score;      /* 0..255 on the q + 128 scale; 0 accepts every result */
} es_classify_params;

typedef struct es_classify_output {
  int32_t top;
  int32_t score;       /* 0..255 */
  uint8_t is_accepted; /* score >= min_score */
} es_classify_output;

es_status es_classify_process(const es_classify_params *params, const int8_t *scores, es_classify_output *output);

#endif /* EDGESIM_POST_H */
