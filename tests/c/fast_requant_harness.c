/* Checks the compiled kernels' requantization (fast_requantize in
 * edgesim/kernels/ops/fast/fast_internal.h: SMMLAR with the output offset
 * carried in the rounding constant, as the model compiler packs the tables)
 * against es_requantize_int8(), TFLM's formula in edgesim/quant.h, over the
 * accumulators the model compiler allows in the DSP modes, |a| < 2^30.
 * On the host the DSP instructions are fast_internal.h's portable models.
 *
 * Values: accumulators within +-3 of 0, the limits +-(2^30 - 1) and every
 * rounding tie, plus random ones; every right shift 1..21; zero points and
 * clamp ranges at the edges; multipliers at both ends of [2^30, 2^31).
 * Prints the number of values checked; exits 1 at the first mismatch. */
#include <stdint.h>
#include <stdio.h>

#include "fast_internal.h"

#define XORSHIFT_SEED 0x2545F4914F6CDD1Du
#include "xorshift.h"

static long checked;

static int check(int32_t acc, int32_t bias, int32_t multiplier, int right, int32_t zp, int32_t lo, int32_t hi) {
  /* the table entry the model compiler writes for a DSP-mode channel */
  const int32_t channel[4] = {bias, multiplier, right, (int32_t)((1u << (right - 1)) + (uint32_t)zp * (1u << right))};
  const es_fast_requant rq = {channel, zp, lo, hi, (lo == -128 && hi == 127) ? ES_FAST_RQ_DSP_FULL : ES_FAST_RQ_DSP};
  const int8_t got = rq.mode == ES_FAST_RQ_DSP_FULL ? fast_requantize(&rq, acc, 0, ES_FAST_RQ_DSP_FULL)
                                                     : fast_requantize(&rq, acc, 0, ES_FAST_RQ_DSP);
  const int32_t a = (int32_t)((uint32_t)acc + (uint32_t)bias);
  if (a <= -(1 << 30) || a >= (1 << 30)) {
    printf("harness bug: accumulator %ld outside the DSP modes' range\n", (long)a);
    return 1;
  }
  const int8_t want = es_requantize_int8(a, multiplier, -right, zp, lo, hi);
  ++checked;
  if (got == want) return 0;
  printf("mismatch: acc %ld bias %ld multiplier %ld right %d zp %ld clamp [%ld, %ld]: got %d, want %d\n", (long)acc,
         (long)bias, (long)multiplier, right, (long)zp, (long)lo, (long)hi, got, want);
  return 1;
}

int main(void) {
  static const int32_t zps[] = {-128, -127, -1, 0, 1, 83, 126, 127};
  static const int32_t ranges[][2] = {{-128, 127}, {-128, 0}, {0, 127}, {-5, 5}};
  static const int32_t multipliers[] = {0x40000000, 0x40000001, 0x5A82799A, 0x7FFFFFFE, INT32_MAX};
  for (int right = 1; right <= 21; ++right) {
    int32_t centers[16];
    int n = 0;
    centers[n++] = 0;
    centers[n++] = (1 << 30) - 4; /* +-3 around it reaches the limit 2^30 - 1 */
    centers[n++] = -(1 << 30) + 4;
    centers[n++] = 1 << (right - 1); /* ties of the rounding divide, before the multiply */
    centers[n++] = -(1 << (right - 1));
    centers[n++] = 3 << right;
    for (size_t z = 0; z < sizeof zps / sizeof zps[0]; ++z)
      for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; ++r)
        for (size_t m = 0; m < sizeof multipliers / sizeof multipliers[0]; ++m) {
          for (int k = 0; k < n; ++k)
            for (int32_t d = -3; d <= 3; ++d)
              if (check((int32_t)((uint32_t)centers[k] + (uint32_t)d), 0, multipliers[m], right, zps[z],
                        ranges[r][0], ranges[r][1]))
                return 1;
          for (int k = 0; k < 200; ++k) {
            const int32_t acc = (int32_t)next_u32() >> (2 + next_u32() % 30); /* |acc| <= 2^29 */
            const int32_t bias = (int32_t)next_u32() >> (8 + next_u32() % 24); /* |bias| <= 2^23 */
            if (check(acc, bias, multipliers[m], right, zps[z], ranges[r][0], ranges[r][1])) return 1;
          }
        }
  }
  printf("checked %ld\n", checked);
  return 0;
}
