/* Evaluates the fixed-point helpers of edgesim/quant.h on request, for
 * tests/test_quant.py (run under ASan + UBSan).
 *
 * stdin, one request per line:            stdout, one line each:
 *   srdhm A B                                 result
 *   rdbp X E                                  result
 *   mbqm X M S                                result
 *   qm REAL                                   status multiplier shift
 *   exp A                                     result
 *   recip1p X                                 result
 *   recip X DIGITS                            result num_bits_over_unit
 *   act ACT SCALE ZP                          status min max
 *   expf BITS (float bits, decimal)           bits of es_expf(x) and of the C library's expf(x)
 *   tanhf BITS                                bits of es_tanhf(x) and of the C library's tanhf(x)
 *   tanhf_sweep FIRST COUNT STRIDE            for the COUNT bit patterns FIRST + i * STRIDE (mod
 *                                             2^32): how many give different bits, and the first
 *                                             such pattern (0 if none)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgesim/quant.h"

static uint32_t float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static float bits_float(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

int main(void) {
  char op[16];
  while (scanf("%15s", op) == 1) {
    if (strcmp(op, "srdhm") == 0) {
      long long a, b;
      if (scanf("%lld %lld", &a, &b) != 2) return 2;
      printf("%ld\n", (long)es_sat_round_doubling_high_mul((int32_t)a, (int32_t)b));
    } else if (strcmp(op, "rdbp") == 0) {
      long long x;
      int e;
      if (scanf("%lld %d", &x, &e) != 2) return 2;
      printf("%ld\n", (long)es_rounding_divide_by_pot((int32_t)x, e));
    } else if (strcmp(op, "mbqm") == 0) {
      long long x, m;
      int s;
      if (scanf("%lld %lld %d", &x, &m, &s) != 3) return 2;
      printf("%ld\n", (long)es_multiply_by_quantized_multiplier((int32_t)x, (int32_t)m, s));
    } else if (strcmp(op, "qm") == 0) {
      double r;
      if (scanf("%lf", &r) != 1) return 2;
      es_qmul q;
      es_status st = es_quantize_multiplier(r, &q);
      printf("%d %ld %ld\n", (int)st, (long)q.multiplier, (long)q.shift);
    } else if (strcmp(op, "exp") == 0) {
      long long a;
      if (scanf("%lld", &a) != 1) return 2;
      printf("%ld\n", (long)es_exp_on_negative_values_q5_26((int32_t)a));
    } else if (strcmp(op, "recip1p") == 0) {
      long long x;
      if (scanf("%lld", &x) != 1) return 2;
      printf("%ld\n", (long)es_one_over_one_plus_x_q0_31((int32_t)x));
    } else if (strcmp(op, "recip") == 0) {
      long long x;
      int digits, bits = 0;
      if (scanf("%lld %d", &x, &digits) != 2) return 2;
      int32_t r = es_reciprocal((int32_t)x, digits, &bits);
      printf("%ld %d\n", (long)r, bits);
    } else if (strcmp(op, "act") == 0) {
      int act;
      float scale;
      long zp;
      if (scanf("%d %f %ld", &act, &scale, &zp) != 3) return 2;
      int32_t lo = 0, hi = 0;
      es_status st = es_activation_range_int8(act, scale, (int32_t)zp, &lo, &hi);
      printf("%d %ld %ld\n", (int)st, (long)lo, (long)hi);
    } else if (strcmp(op, "expf") == 0) {
      unsigned long bits;
      if (scanf("%lu", &bits) != 1) return 2;
      uint32_t u = (uint32_t)bits, a, b;
      float x, ours, libc;
      memcpy(&x, &u, 4);
      ours = es_expf(x);
      libc = expf(x);
      memcpy(&a, &ours, 4);
      memcpy(&b, &libc, 4);
      printf("%lu %lu\n", (unsigned long)a, (unsigned long)b);
    } else if (strcmp(op, "tanhf") == 0) {
      unsigned long bits;
      if (scanf("%lu", &bits) != 1) return 2;
      const float x = bits_float((uint32_t)bits);
      printf("%lu %lu\n", (unsigned long)float_bits(es_tanhf(x)), (unsigned long)float_bits(tanhf(x)));
    } else if (strcmp(op, "tanhf_sweep") == 0) {
      unsigned long first, count, stride, differences = 0, first_difference = 0;
      if (scanf("%lu %lu %lu", &first, &count, &stride) != 3) return 2;
      uint32_t u = (uint32_t)first;
      for (unsigned long i = 0; i < count; ++i, u += (uint32_t)stride) {
        if (float_bits(es_tanhf(bits_float(u))) != float_bits(tanhf(bits_float(u)))) {
          if (differences++ == 0) first_difference = u;
        }
      }
      printf("%lu %lu\n", differences, first_difference);
    } else {
      return 2;
    }
  }
  return 0;
}
