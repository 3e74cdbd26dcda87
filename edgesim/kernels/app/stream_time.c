/* Stream time from sample counts (app_layer.h): results carry the time of
 * the data they were computed from, the same on every target and at any
 * processing speed. */
#include "edgesim/app_layer.h"

uint32_t es_stream_time_ms(uint64_t samples, uint32_t rate_hz) {
  if (rate_hz == 0) return 0;
  return (uint32_t)(samples * 1000u / rate_hz);
}

uint32_t es_frame_end_ms(uint32_t frames, uint32_t window_samples, uint32_t hop_samples, uint32_t rate_hz) {
  if (frames == 0) return 0;
  const uint64_t end_sample = (uint64_t)(frames - 1) * hop_samples + window_samples;
  return es_stream_time_ms(end_sample, rate_hz);
}
