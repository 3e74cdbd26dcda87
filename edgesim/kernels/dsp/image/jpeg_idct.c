/* Dequantization + 8x8 integer inverse DCT.
 *
 * The factorisation is Loeffler, Ligtenberg and Moschytz (ICASSP 1989) with
 * 12 multiplies per 1-D transform, as in the IJG "islow" IDCT: constants
 * are cos/sin terms scaled by 2^13 (CONST_BITS), the column pass keeps 2
 * extra fraction bits (PASS1_BITS), and the row pass removes all scaling
 * plus the 2-D transform's factor 8 with one rounding shift.  Using the same
 * constants and rounding points makes the output bit-identical to libjpeg's
 * default IDCT, which is what OpenCV and Pillow decode with.
 *
 * Overflow: with valid 8-bit data every intermediate fits in 32 bits (the
 * IJG design bound).  Corrupt data can exceed it, so sums and products are
 * formed in uint32_t (wrap-around is defined) and only the final shifts
 * reinterpret them as signed; gcc and clang define that conversion as
 * modular and >> of a negative int as arithmetic.  Garbage in gives clamped
 * garbage out, never undefined behaviour.
 */
#include "jpeg_internal.h"

#define CONST_BITS 13
#define PASS1_BITS 2

/* round(x * 2^13) */
#define F_0_298631336 2446u
#define F_0_390180644 3196u
#define F_0_541196100 4433u
#define F_0_765366865 6270u
#define F_0_899976223 7373u
#define F_1_175875602 9633u
#define F_1_501321110 12299u
#define F_1_847759065 15137u
#define F_1_961570560 16069u
#define F_2_053119869 16819u
#define F_2_562915447 20995u
#define F_3_072711026 25172u

/* (x + 2^(n-1)) >> n on the two's-complement value of x */
static int32_t descale(uint32_t x, int n) {
  return (int32_t)(x + (1u << (n - 1))) >> n;
}

static uint8_t clamp_sample(int32_t v) {
  v += 128; /* undo the level shift of T.81 A.3.1 */
  return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* One 1-D 8-point IDCT on in[0..7] (each already in the working scale);
 * out gets the 8 un-descaled results. */
static void idct_1d(const uint32_t in[8], uint32_t out[8]) {
  uint32_t z1, z2, z3, z4, z5, tmp0, tmp1, tmp2, tmp3, tmp10, tmp11, tmp12, tmp13;
  /* even part: rotation of inputs 2 and 6, butterfly with 0 and 4 */
  z1 = (in[2] + in[6]) * F_0_541196100;
  tmp2 = z1 - in[6] * F_1_847759065;
  tmp3 = z1 + in[2] * F_0_765366865;
  tmp0 = (in[0] + in[4]) << CONST_BITS;
  tmp1 = (in[0] - in[4]) << CONST_BITS;
  tmp10 = tmp0 + tmp3;
  tmp13 = tmp0 - tmp3;
  tmp11 = tmp1 + tmp2;
  tmp12 = tmp1 - tmp2;
  /* odd part: inputs 7, 5, 3, 1 */
  tmp0 = in[7];
  tmp1 = in[5];
  tmp2 = in[3];
  tmp3 = in[1];
  z1 = tmp0 + tmp3;
  z2 = tmp1 + tmp2;
  z3 = tmp0 + tmp2;
  z4 = tmp1 + tmp3;
  z5 = (z3 + z4) * F_1_175875602;
  tmp0 *= F_0_298631336;
  tmp1 *= F_2_053119869;
  tmp2 *= F_3_072711026;
  tmp3 *= F_1_501321110;
  z1 *= 0u - F_0_899976223;
  z2 *= 0u - F_2_562915447;
  z3 = z3 * (0u - F_1_961570560) + z5;
  z4 = z4 * (0u - F_0_390180644) + z5;
  tmp0 += z1 + z3;
  tmp1 += z2 + z4;
  tmp2 += z2 + z3;
  tmp3 += z1 + z4;
  out[0] = tmp10 + tmp3;
  out[7] = tmp10 - tmp3;
  out[1] = tmp11 + tmp2;
  out[6] = tmp11 - tmp2;
  out[2] = tmp12 + tmp1;
  out[5] = tmp12 - tmp1;
  out[3] = tmp13 + tmp0;
  out[4] = tmp13 - tmp0;
}

void es_jpeg_idct_islow(const int16_t coef[64], const uint16_t quant[64], uint8_t *out,
                        size_t stride) {
  uint32_t work[64];
  uint32_t in[8], res[8];
  int row, col, i;
  /* pass 1: columns, dequantizing on the way in */
  for (col = 0; col < 8; col++) {
    int ac_zero = 1;
    for (i = 1; i < 8; i++) ac_zero &= coef[8 * i + col] == 0;
    if (ac_zero) { /* a flat column: skip the multiplies (same result) */
      uint32_t dc = ((uint32_t)(int32_t)coef[col] * quant[col]) << PASS1_BITS;
      for (i = 0; i < 8; i++) work[8 * i + col] = dc;
      continue;
    }
    for (i = 0; i < 8; i++) in[i] = (uint32_t)(int32_t)coef[8 * i + col] * quant[8 * i + col];
    idct_1d(in, res);
    for (i = 0; i < 8; i++) work[8 * i + col] = (uint32_t)descale(res[i], CONST_BITS - PASS1_BITS);
  }
  /* pass 2: rows, removing PASS1_BITS and the factor 8 (3 bits) as well */
  for (row = 0; row < 8; row++) {
    const uint32_t *w = work + 8 * row;
    uint8_t *o = out + (size_t)row * stride;
    if ((w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) == 0) { /* a flat row (same result) */
      uint8_t flat = clamp_sample(descale(w[0] << CONST_BITS, CONST_BITS + PASS1_BITS + 3));
      for (i = 0; i < 8; i++) o[i] = flat;
      continue;
    }
    idct_1d(w, res);
    for (i = 0; i < 8; i++) o[i] = clamp_sample(descale(res[i], CONST_BITS + PASS1_BITS + 3));
  }
}
