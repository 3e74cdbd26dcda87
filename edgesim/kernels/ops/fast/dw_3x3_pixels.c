/* Depthwise convolution (depth multiplier 1, channels % 4 == 0) in pixel
 * order, four channels per step (edgesim/nn_fast.h): 3x3 windows unrolled,
 * any other window (the kh x 1 ones of 1-D models) in a loop over taps.
 *
 * Per output pixel, the window's taps become pointers: into the input, or
 * for a tap outside it into a row of input zero points (exact: the folded
 * bias holds -zero_point * sum(w), so that tap adds the 0 TFLM's skipped tap
 * does).  Border pixels then cost what inside pixels do, which is what small
 * maps (6x6, 3x3) need: every other pixel of them is a border pixel.  Per
 * group of 4 channels and tap, one word of input is split by SXTB16 into the
 * (c0, c2) and (c1, c3) int16 pairs and multiplied lane by lane
 * (SMLABB/SMLATT) with weights pre-packed the same way: 1 pointer load, 1
 * input load, 1 LDRD of weights, 2 SXTB16 and 4 MACs per tap.
 *
 * The output may start before the input, overlapping it, by the offset of
 * es_op_forward_overlap() (the planner's): writing a group's 4 outputs right
 * after reading its window is then safe.  With lead the output's start before
 * the input, out_row/in_row the row sizes and F(r) the first input row output
 * row r reads, that bound is (r + 1) * out_row - out_c - lead <= F(r) * in_row
 * for every r, so output (r, ox, ch) lands at input offset at most
 * F(r) * in_row - (out_w - 1 - ox) * out_c + ch: below everything row r reads
 * except, for the row's last pixel, bytes ch' <= ch of input pixel (F(r), 0),
 * which this pixel's groups up to the current one have read and no later
 * group, pixel or row reads (a later row r' reads from F(r') * in_row on,
 * beyond all of row r's outputs by the bound for r'). */
#include "fast_internal.h"

/* Channels this kernel takes: its zero-point row lives on the stack. */
#define MAX_CHANNELS ES_FAST_MAX_CONV_PATCH

/* acc[i] = channel c+i's sum over the taps, in portable C (the assembly
 * loops below are the Cortex-M4's form of the same sums). */
static inline void taps_portable(const int8_t *const *tap, int32_t taps, int32_t c, const uint32_t *w,
                                 int32_t acc[4]) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int32_t t = 0; t < taps; ++t) {
    const uint32_t word = fast_load_u32(tap[t] + c);
    const int32_t even = fast_sxtb16(word), odd = fast_sxtb16_ror8(word);
    a0 = fast_smlabb(even, (int32_t)w[2 * t], a0);
    a2 = fast_smlatt(even, (int32_t)w[2 * t], a2);
    a1 = fast_smlabb(odd, (int32_t)w[2 * t + 1], a1);
    a3 = fast_smlatt(odd, (int32_t)w[2 * t + 1], a3);
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* acc[i] = channel c+i's sum over the nine taps (tap[t] + c: its 4 input
 * channels; w: the group's 18 weight words). */
static inline __attribute__((always_inline)) void taps9(const int8_t *const tap[9], int32_t c, const uint32_t *w,
                                                       int32_t acc[4]) {
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  /* 9 instructions per tap (gcc's own schedule spilled the weights):
   * pointer, input word, weight pair (LDRD), 2 SXTB16, 4 MACs. */
  int32_t a0, a1, a2, a3;
  uint32_t t, o, we, wo;
#define LOAD(n)                                          \
  "ldr %[t], [%[tap], #(" #n " * 4)]\n\t"               \
  "ldr %[t], [%[t], %[c]]\n\t"                          \
  "ldrd %[we], %[wo], [%[w], #(" #n " * 8)]\n\t"        \
  "sxtb16 %[o], %[t], ror #8\n\t"                       \
  "sxtb16 %[t], %[t]\n\t"
#define MAC                                              \
  "smlabb %[a0], %[t], %[we], %[a0]\n\t"                \
  "smlatt %[a2], %[t], %[we], %[a2]\n\t"                \
  "smlabb %[a1], %[o], %[wo], %[a1]\n\t"                \
  "smlatt %[a3], %[o], %[wo], %[a3]\n\t"
  __asm__(LOAD(0)
          "smulbb %[a0], %[t], %[we]\n\t"
          "smultt %[a2], %[t], %[we]\n\t"
          "smulbb %[a1], %[o], %[wo]\n\t"
          "smultt %[a3], %[o], %[wo]\n\t"
          LOAD(1) MAC LOAD(2) MAC LOAD(3) MAC LOAD(4) MAC LOAD(5) MAC LOAD(6) MAC LOAD(7) MAC LOAD(8) MAC
          : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [t] "=&r"(t), [o] "=&r"(o),
            [we] "=&r"(we), [wo] "=&r"(wo)
          : [tap] "r"(tap), [c] "r"(c), [w] "r"(w)
          : "memory");
#undef LOAD
#undef MAC
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
#else
  taps_portable(tap, 9, c, w, acc);
#endif
}

/* The same over any number of taps (a window other than 3x3). */
static inline __attribute__((always_inline)) void taps_n(const int8_t *const *tap, int32_t taps, int32_t c,
                                                        const uint32_t *w, int32_t acc[4]) {
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  /* 11 instructions per tap: taps9's 9 and the loop's SUBS/BNE. */
  uint32_t t, o, we, wo;
  __asm__("1:\n\t"
          "ldr %[t], [%[tap]], #4\n\t"
          "ldr %[t], [%[t], %[c]]\n\t"
          "ldrd %[we], %[wo], [%[w]], #8\n\t"
          "sxtb16 %[o], %[t], ror #8\n\t"
          "sxtb16 %[t], %[t]\n\t"
          "smlabb %[a0], %[t], %[we], %[a0]\n\t"
          "smlatt %[a2], %[t], %[we], %[a2]\n\t"
          "smlabb %[a1], %[o], %[wo], %[a1]\n\t"
          "smlatt %[a3], %[o], %[wo], %[a3]\n\t"
          "subs %[n], %[n], #1\n\t"
          "bne 1b\n\t"
          : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [t] "=&r"(t), [o] "=&r"(o),
            [we] "=&r"(we), [wo] "=&r"(wo), [tap] "+r"(tap), [w] "+r"(w), [n] "+r"(taps)
          : [c] "r"(c)
          : "cc", "memory");
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
#else
  taps_portable(tap, taps, c, w, acc);
#endif
}

/* window9: the window is 3x3 (taps9), else kernel_h * kernel_w taps (taps_n). */
static inline __attribute__((always_inline)) es_status dw_pixels(const es_fast_conv_params *p, const int8_t *input,
                                                                int8_t *output, void *work,
                                                                const int mode, const int window9) {
  const int32_t channels = p->output.c, in_h = p->input.h, in_w = p->input.w;
  const int32_t kernel_h = p->kernel_h, kernel_w = p->kernel_w, taps = kernel_h * kernel_w;
  if ((window9 && (kernel_h != 3 || kernel_w != 3)) || kernel_h < 1 || kernel_w < 1 || taps > ES_FAST_DW_MAX_TAPS ||
      p->input.c != channels || channels % 4 != 0 || channels > MAX_CHANNELS)
    return ES_ERR_UNSUPPORTED;
  const es_fast_requant rq = p->requant;
  const size_t row_bytes = (size_t)in_w * channels;
  int8_t *const border = (int8_t *)work; /* the zero-point pixel */
  memset(border, p->input_zero_point, (size_t)channels);
  const uint32_t lo4 = 0x01010101u * (uint8_t)rq.act_min, hi4 = 0x01010101u * (uint8_t)rq.act_max;
  for (int32_t b = 0; b < p->input.n; ++b) {
    const int8_t *image = input + (size_t)b * in_h * in_w * channels;
    for (int32_t oy = 0; oy < p->output.h; ++oy) {
      const int32_t y0 = oy * p->tile.stride_h - p->tile.pad_h;
      for (int32_t ox = 0; ox < p->output.w; ++ox) {
        const int32_t x0 = ox * p->tile.stride_w - p->tile.pad_w;
        const int8_t *tap[ES_FAST_DW_MAX_TAPS];
        if (y0 >= 0 && x0 >= 0 && y0 + kernel_h <= in_h && x0 + kernel_w <= in_w) {
          const int8_t *row = image + (size_t)y0 * row_bytes + (size_t)x0 * channels;
          const int8_t **t = tap;
          for (int32_t ky = 0; ky < kernel_h; ++ky, row += row_bytes) {
            const int8_t *q = row;
            for (int32_t kx = 0; kx < kernel_w; ++kx, q += channels) *t++ = q;
          }
        } else {
          for (int32_t ky = 0; ky < kernel_h; ++ky) {
            const int32_t y = y0 + ky;
            for (int32_t kx = 0; kx < kernel_w; ++kx) {
              const int32_t x = x0 + kx;
              tap[kernel_w * ky + kx] = y >= 0 && y < in_h && x >= 0 && x < in_w
                                            ? image + (size_t)y * row_bytes + (size_t)x * channels : border;
            }
          }
        }
        int8_t *out = output;
        const uint32_t *w = (const uint32_t *)p->weights;
        for (int32_t c = 0; c < channels; c += 4, w += 2 * taps) {
          int32_t acc[4];
          if (window9)
            taps9(tap, c, w, acc);
          else
            taps_n(tap, taps, c, w, acc);
          if (mode == ES_FAST_RQ_GENERIC) {
            fast_requantize4(&rq, acc, c, channels, out + c, mode);
          } else {
            uint32_t packed = fast_requantize4_packed(acc, rq.channels + 4 * c);
            if (mode == ES_FAST_RQ_DSP) packed = fast_clamp4(packed, lo4, hi4);
            memcpy(out + c, &packed, 4);
          }
        }
        output += channels;
      }
    }
  }
  return ES_OK;
}

es_status es_fast_dw_3x3_pixels_s8(const es_fast_conv_params *p, const int8_t *input, int8_t *output,
                                   void *work, size_t work_bytes) {
  if (work_bytes < (size_t)ES_FAST_DW_PIXELS_WORK_BYTES(p->output.c)) return ES_ERR_ARENA_TOO_SMALL;
#define CALL(mode) dw_pixels(p, input, output, work, mode, 1)
  return FAST_DISPATCH_MODE(p, CALL);
#undef CALL
}

es_status es_fast_dw_pixels_s8(const es_fast_conv_params *p, const int8_t *input, int8_t *output,
                               void *work, size_t work_bytes) {
  if (work_bytes < (size_t)ES_FAST_DW_PIXELS_WORK_BYTES(p->output.c)) return ES_ERR_ARENA_TOO_SMALL;
#define CALL(mode) dw_pixels(p, input, output, work, mode, 0)
  return FAST_DISPATCH_MODE(p, CALL);
#undef CALL
}
