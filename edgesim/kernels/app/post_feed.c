/* Post feed (app_layer.h): one model result -> the app's postprocess kernel
 * -> at most one detection, with the app's report mask and labels. */
#include <string.h>

#include "edgesim/app_layer.h"

static int labels_ok(const es_post_feed_params *params) {
  return params != NULL && params->label_count >= 2 && params->label_count <= ES_POST_MAX_LABELS;
}

es_status es_post_feed_report(es_post_feed_params *params, int32_t label) {
  if (!labels_ok(params) || label < 0 || label >= params->label_count) return ES_ERR_ARGUMENT;
  params->report_mask[label / 32] |= 1u << (label % 32);
  return ES_OK;
}

static es_status check_params(const es_post_feed_params *params) {
  if (!labels_ok(params)) return ES_ERR_ARGUMENT;
  switch (params->kind) {
    case ES_POST_RECOGNIZE:
      return params->recognizer.category_count == params->label_count ? ES_OK : ES_ERR_ARGUMENT;
    case ES_POST_HYSTERESIS:
      return params->watched_label >= 0 && params->watched_label < params->label_count ? ES_OK : ES_ERR_ARGUMENT;
    case ES_POST_CLASSIFY:
      return params->min_score >= 0 && params->min_score <= 255 ? ES_OK : ES_ERR_ARGUMENT;
    default:
      return ES_ERR_ARGUMENT;
  }
}

es_status es_post_feed_init(const es_post_feed_params *params, int32_t *times, int8_t *scores, int32_t capacity,
                            es_post_feed *feed) {
  es_status status = check_params(params);
  if (status != ES_OK) return status;
  if (feed == NULL) return ES_ERR_ARGUMENT;
  memset(feed, 0, sizeof *feed);
  if (params->kind == ES_POST_RECOGNIZE)
    status = es_recognizer_init(&params->recognizer, times, scores, capacity, &feed->recognizer);
  else if (params->kind == ES_POST_HYSTERESIS)
    status = es_hysteresis_init(&params->hysteresis, &feed->hysteresis);
  if (status != ES_OK) return status;
  return es_post_feed_reset(params, feed);
}

es_status es_post_feed_reset(const es_post_feed_params *params, es_post_feed *feed) {
  es_status status = check_params(params);
  if (status != ES_OK) return status;
  if (feed == NULL) return ES_ERR_ARGUMENT;
  if (params->kind == ES_POST_RECOGNIZE) return es_recognizer_reset(&feed->recognizer);
  if (params->kind == ES_POST_HYSTERESIS) return es_hysteresis_reset(&feed->hysteresis);
  return ES_OK;
}

static es_status recognize(const es_post_feed_params *params, es_post_feed *feed, const int8_t *scores,
                           int32_t t_ms, es_detection *detection) {
  es_recognizer_output out;
  es_status status = es_recognizer_process(&params->recognizer, &feed->recognizer, scores, t_ms, &out);
  if (status != ES_OK) return status;
  if (out.is_new && out.top >= 0 && out.top < params->label_count &&
      (params->report_mask[out.top / 32] >> (out.top % 32)) & 1u) {
    detection->emit = 1;
    detection->kind = ES_DETECTION_COMMAND;
    detection->label = out.top;
    detection->score = out.score;
  }
  return ES_OK;
}

static es_status hysteresis(const es_post_feed_params *params, es_post_feed *feed, const int8_t *scores,
                            es_detection *detection) {
  es_hysteresis_output out;
  es_status status = es_hysteresis_process(&params->hysteresis, &feed->hysteresis, scores[params->watched_label],
                                           &out);
  if (status != ES_OK || !out.changed) return status;
  /* Appear: the watched label; leave: the other label of a two-label model. */
  int32_t label = params->watched_label;
  if (!out.active && params->label_count == 2) label = 1 - params->watched_label;
  detection->emit = 1;
  detection->kind = out.active ? ES_DETECTION_ENTER : ES_DETECTION_LEAVE;
  detection->label = label;
  detection->score = (int32_t)scores[label] + 128;
  return ES_OK;
}

static es_status classify(const es_post_feed_params *params, const int8_t *scores, es_detection *detection) {
  const es_classify_params classify_params = {params->label_count, params->min_score};
  es_classify_output out;
  es_status status = es_classify_process(&classify_params, scores, &out);
  if (status != ES_OK || !out.is_accepted) return status;
  detection->emit = 1;
  detection->kind = ES_DETECTION_GESTURE;
  detection->label = out.top;
  detection->score = out.score;
  return ES_OK;
}

es_status es_post_feed_process(const es_post_feed_params *params, es_post_feed *feed, const int8_t *scores,
                               int32_t t_ms, es_detection *detection) {
  es_status status = check_params(params);
  if (status != ES_OK) return status;
  if (feed == NULL || scores == NULL || detection == NULL) return ES_ERR_ARGUMENT;
  memset(detection, 0, sizeof *detection);
  if (params->kind == ES_POST_RECOGNIZE) return recognize(params, feed, scores, t_ms, detection);
  if (params->kind == ES_POST_HYSTERESIS) return hysteresis(params, feed, scores, detection);
  return classify(params, scores, detection);
}
