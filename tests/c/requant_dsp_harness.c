/* Checks es_requantize_row() against es_requantize_int8() (the per-value
 * TFLM formula of edgesim/quant.h, itself tested against a transcription of
 * TFLM in test_quant.py) for every table layout, with the Cortex-M loops
 * (ES_OPS_FORCE_MCU_LOOPS: on the host the DSP instructions are the
 * portable models of op_common.h, on Arm the real ones).
 *
 * Values: every accumulator within +-3 of each boundary that matters
 * (0, +-2^30, int32 limits, rounding ties of every right shift) plus random
 * ones, for every right shift 0..31, several zero points and clamp ranges,
 * with and without bias.  Prints the number of values checked; exits 1 and
 * names the first mismatch. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "op_common.h"

#define ROW 64

#define XORSHIFT_SEED 0x9E3779B97F4A7C15u
#include "xorshift.h"

static long checked;

/* Requantizes `n` accumulators through a packed table (see
 * es_channel_requant) whose channels have right shifts base_right - step,
 * step = c % 4 limited to base_right, and compares value by value. */
static int check_row(const int32_t *acc, const int32_t *bias, int32_t n, int base_right, int32_t zp, int32_t lo,
                     int32_t hi) {
  uint32_t words[ROW];
  int32_t multipliers[ROW];
  int shifts[ROW];
  es_channel_requant rq;
  for (int32_t c = 0; c < n; ++c) {
    const int step = c % 4 <= base_right ? c % 4 : 0;
    multipliers[c] = (int32_t)(0x40000000u | (next_u32() & 0x3FFFFFFFu));
    if (c % 7 == 0) multipliers[c] = (c % 14 == 0) ? 0x40000000 : INT32_MAX;
    shifts[c] = -base_right + step;
    words[c] = ((uint32_t)multipliers[c] & 0x3FFFFFFFu) | ((uint32_t)step << 30);
  }
  rq.table = words;
  rq.base_shift = (int16_t)(-base_right);
  rq.packed = 1;
  rq.stride = 1;
  rq.count = n;
  int8_t out[ROW];
  es_requantize_row(acc, bias, &rq, n, zp, lo, hi, out);
  for (int32_t c = 0; c < n; ++c) {
    int32_t a = acc[c];
    if (bias != NULL) a = (int32_t)((uint32_t)a + (uint32_t)bias[c]);
    const int8_t want = es_requantize_int8(a, multipliers[c], shifts[c], zp, lo, hi);
    ++checked;
    if (out[c] != want) {
      printf("mismatch: acc %ld bias %ld multiplier %ld shift %d zp %ld clamp [%ld, %ld]: got %d, want %d\n",
             (long)acc[c], bias ? (long)bias[c] : 0L, (long)multipliers[c], shifts[c], (long)zp, (long)lo, (long)hi,
             out[c], want);
      return 0;
    }
  }
  return 1;
}

int main(void) {
  static const int32_t zps[] = {-128, -7, 0, 5, 127};
  static const int32_t clamps[][2] = {{-128, 127}, {-128, 0}, {-100, 100}, {0, 127}};
  int32_t values[4096];
  int32_t count = 0;
  const int64_t centers[] = {0, 1LL << 30, -(1LL << 30), INT32_MAX, INT32_MIN, 1LL << 29, -(1LL << 29)};
  for (size_t i = 0; i < sizeof centers / sizeof centers[0]; ++i)
    for (int d = -3; d <= 3; ++d) {
      const int64_t v = centers[i] + d;
      if (v >= INT32_MIN && v <= INT32_MAX) values[count++] = (int32_t)v;
    }
  for (int e = 1; e <= 31; ++e) /* around rounding ties of a right shift by e of the high word */
    for (int d = -2; d <= 2; ++d) {
      values[count++] = (int32_t)(((int64_t)1 << (e - 1)) + d);
      values[count++] = (int32_t)(-((int64_t)1 << (e - 1)) + d);
    }
  while (count < 4096) {
    const uint32_t r = next_u32();
    values[count++] = (int32_t)(next_u32() >> (r % 32)) * ((r & 64) ? -1 : 1);
  }
  for (int base_right = 0; base_right <= 31; ++base_right) {
    for (size_t z = 0; z < sizeof zps / sizeof zps[0]; ++z) {
      for (size_t k = 0; k < sizeof clamps / sizeof clamps[0]; ++k) {
        for (int32_t start = 0; start < count; start += ROW) {
          int32_t acc[ROW], bias[ROW];
          for (int32_t c = 0; c < ROW; ++c) {
            acc[c] = values[(start + c) % count];
            bias[c] = (int32_t)(next_u32() >> 8) - (1 << 23);
            if (c % 5 == 0) bias[c] = (int32_t)next_u32();
          }
          if (!check_row(acc, NULL, ROW, base_right, zps[z], clamps[k][0], clamps[k][1])) return 1;
          if (!check_row(acc, bias, ROW, base_right, zps[z], clamps[k][0], clamps[k][1])) return 1;
        }
      }
    }
  }
  printf("checked %ld\n", checked);
  return 0;
}
