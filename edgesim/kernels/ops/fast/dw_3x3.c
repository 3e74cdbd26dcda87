/* 3x3 depthwise convolution (depth multiplier 1) per channel plane
 * (edgesim/nn_fast.h).
 *
 * For each output row and channel, the three input rows of that channel are
 * widened to int16 row buffers with a zero-point-padded border (exact: the
 * folded bias already holds -zero_point * sum(w)), and the channel's six
 * weight words stay in registers.  Output rows are finished in order (all
 * channels of a row before the next row), so the output may overlap the
 * input's consumed rows as the interpreter's planner allows: with W01 = (w0, w1) and W12 = (w1, w2) of
 * a kernel row and the input pairs A = (x0, x1), B = (x2, x3), C = (x4, x5),
 * two outputs take per kernel row
 *   stride 1: out0 += SMLAD(A, W01) + SMLABT(B, W12)   (x0w0 + x1w1 + x2w2)
 *             out1 += SMLAD(B, W12) + SMLATB(A, W01)   (x2w1 + x3w2 + x1w0)
 *   stride 2: out0 += SMLAD(A, W01) + SMLABT(B, W12)
 *             out1 += SMLAD(B, W01) + SMLABT(C, W12)
 * i.e. one instruction per MAC and 2-3 loads per 6 MACs, requantization
 * fused.  The last output of a row writes at most up to channel c of the
 * first needed input pixel (es_op_forward_overlap's bound), which this
 * channel has already read into its row buffers. */
#include "fast_internal.h"

/* Widest padded input row a row buffer holds (input width + 4). */
#define ROW_CAPACITY 128

static void fill_row(int16_t *row, const int8_t *input, int32_t iy, int32_t c, const es_fast_conv_params *p,
                     int32_t row_len) {
  const int32_t in_w = p->input.w, channels = p->input.c, pad = p->tile.pad_w;
  const int16_t border = (int16_t)p->input_zero_point;
  int32_t i = 0;
  if (iy < 0 || iy >= p->input.h) {
    for (; i < row_len; ++i) row[i] = border;
    return;
  }
  for (; i < pad; ++i) row[i] = border;
  const int8_t *src = input + (size_t)iy * in_w * channels + c;
  int32_t x = 0;
  for (; x + 3 < in_w; x += 4, i += 4) { /* 4 pixels per pass: fewer loop instructions */
    row[i] = src[0];
    row[i + 1] = src[channels];
    row[i + 2] = src[2 * channels];
    row[i + 3] = src[3 * channels];
    src += 4 * channels;
  }
  for (; x < in_w; ++x, src += channels) row[i++] = src[0];
  for (; i < row_len; ++i) row[i] = border;
}

#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
/* What the assembly row loop reads, at fixed offsets: the channel's six
 * weight words (0), its requantization constants (24: folded bias,
 * multiplier, right shift, rounding constant + output offset), the clamp
 * bounds in both halfwords (40, 44), the pairs left (48) and the output
 * stride in bytes (52).  Rows 1 and 2 of the row buffer sit 256 and 512 bytes
 * after row 0. */
typedef struct {
  uint32_t w[6];
  int32_t k[4];
  uint32_t lo2, hi2;
  int32_t pairs, stride;
} row_block;
typedef char row_capacity_is_128[ROW_CAPACITY == 128 ? 1 : -1];
typedef char work_holds_three_rows[ES_FAST_DW_3X3_WORK_BYTES == 3 * 2 * ROW_CAPACITY ? 1 : -1];

/* fast_requantize_dsp() of s (constants in w0..w3), saturated to int8; w4
 * (reloaded per pair) holds the rounding constant less (s < 0). */
#define REQUANT(s)                                                 \
  "add %[" s "], %[" s "], %[w0]\n\t"                             \
  "add %[w4], %[w3], %[" s "], asr #31\n\t"                       \
  "add %[" s "], %[" s "], %[" s "]\n\t"                          \
  "smmlar %[" s "], %[" s "], %[w1], %[w4]\n\t"                   \
  "asr %[" s "], %[" s "], %[w2]\n\t"                             \
  "ssat %[" s "], #8, %[" s "]\n\t"
/* the rest of a pair: requantize, clamp (DSP mode: both values as 16-bit
 * lanes, SSUB16 + SEL per bound), store, advance, loop */
#define PAIR_END(clamp, advance)                                   \
  "add %[t], %[blk], #24\n\t"                                     \
  "ldm %[t], {%[w0], %[w1], %[w2], %[w3]}\n\t"                    \
  REQUANT("s0") REQUANT("s1")                                     \
  "ldr %[t], [%[blk], #52]\n\t"                                   \
  clamp                                                           \
  "strb %[s0], [%[out]]\n\t"                                      \
  "strb %[s1], [%[out], %[t]]\n\t"                                \
  "add %[out], %[out], %[t], lsl #1\n\t"                          \
  "add %[r], %[r], #" advance "\n\t"                              \
  "ldr %[t], [%[blk], #48]\n\t"                                   \
  "subs %[t], %[t], #1\n\t"                                       \
  "str %[t], [%[blk], #48]\n\t"                                   \
  "bne 1b\n\t"
#define CLAMP                                                      \
  "pkhbt %[s0], %[s0], %[s1], lsl #16\n\t"                        \
  "ldrd %[w0], %[w1], [%[blk], #40]\n\t"                          \
  "ssub16 %[s1], %[s0], %[w0]\n\t"                                \
  "sel %[s0], %[s0], %[w0]\n\t"                                   \
  "ssub16 %[s1], %[w1], %[s0]\n\t"                                \
  "sel %[s0], %[s0], %[w1]\n\t"                                   \
  "lsr %[s1], %[s0], #16\n\t"
#define OPERANDS                                                                                        \
  : [s0] "=&r"(s0), [s1] "=&r"(s1), [t] "=&r"(t), [r] "+r"(r), [out] "+r"(out), [w0] "=&r"(w0),        \
    [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3), [w4] "=&r"(w4), [w5] "=&r"(w5)                      \
  : [blk] "r"(blk)                                                                                      \
  : "cc", "memory"

/* blk->pairs (>= 1) output pairs of one row and channel, stride 1, from row buffer r;
 * returns the output pointer past them. 44 instructions per pair in the
 * ES_FAST_RQ_DSP_FULL mode, 51 with the clamp (gcc's C: ~75). */
static int8_t *row_pairs(row_block *blk, const int16_t *r, int8_t *out, int mode) {
  register uint32_t w0 __asm__("r4");
  register uint32_t w1 __asm__("r5");
  register uint32_t w2 __asm__("r6");
  register uint32_t w3 __asm__("r8");
  register uint32_t w4 __asm__("r9");
  register uint32_t w5 __asm__("r10");
  int32_t s0, s1, t;
#define LOAD_W "1:\n\tldm %[blk], {%[w0], %[w1], %[w2], %[w3], %[w4], %[w5]}\n\t"
/* stride 1 (see the top of the file): s0 = SMLAD(A, W01) + SMLABT(B, W12),
 * s1 = SMLATB(A, W01) + SMLAD(B, W12) per row */
#define S1_ROWS                                                                                      \
  "ldr %[t], [%[r]]\n\tsmuad %[s0], %[t], %[w0]\n\tsmultb %[s1], %[t], %[w0]\n\t"                   \
  "ldr %[t], [%[r], #4]\n\tsmlabt %[s0], %[t], %[w1], %[s0]\n\tsmlad %[s1], %[t], %[w1], %[s1]\n\t" \
  "ldr %[t], [%[r], #256]\n\tsmlad %[s0], %[t], %[w2], %[s0]\n\tsmlatb %[s1], %[t], %[w2], %[s1]\n\t" \
  "ldr %[t], [%[r], #260]\n\tsmlabt %[s0], %[t], %[w3], %[s0]\n\tsmlad %[s1], %[t], %[w3], %[s1]\n\t" \
  "ldr %[t], [%[r], #512]\n\tsmlad %[s0], %[t], %[w4], %[s0]\n\tsmlatb %[s1], %[t], %[w4], %[s1]\n\t" \
  "ldr %[t], [%[r], #516]\n\tsmlabt %[s0], %[t], %[w5], %[s0]\n\tsmlad %[s1], %[t], %[w5], %[s1]\n\t"
  if (mode == ES_FAST_RQ_DSP_FULL)
    __asm__ volatile(LOAD_W S1_ROWS PAIR_END("", "4") OPERANDS);
  else
    __asm__ volatile(LOAD_W S1_ROWS PAIR_END(CLAMP, "4") OPERANDS);
#undef LOAD_W
#undef S1_ROWS
  (void)w0, (void)w1, (void)w2, (void)w3, (void)w4, (void)w5, (void)s0, (void)s1, (void)t;
  return out;
}
#undef REQUANT
#undef PAIR_END
#undef CLAMP
#undef OPERANDS
#endif

/* One output value from the channel's constants, hoisted out of the row loop. */
static inline __attribute__((always_inline)) int8_t requantize(int32_t acc, const int32_t k[4], const es_fast_requant *rq,
                                                               const int mode) {
  const int32_t a = (int32_t)((uint32_t)acc + (uint32_t)k[0]);
  if (mode != ES_FAST_RQ_GENERIC) return fast_requantize_dsp(a, k[1], k[2], k[3], rq, mode);
  return es_requantize_int8(a, k[1], k[2], rq->output_offset, rq->act_min, rq->act_max);
}

static inline __attribute__((always_inline)) es_status dw_3x3(const es_fast_conv_params *p, const int8_t *input,
                                                             int8_t *output, void *work, const int mode) {
  const int32_t channels = p->output.c, out_h = p->output.h, out_w = p->output.w;
  const int32_t stride_h = p->tile.stride_h, stride_w = p->tile.stride_w;
  const int32_t row_len = (out_w + 1) * stride_w + 3; /* every x a pair of outputs reads */
  if (p->kernel_h != 3 || p->kernel_w != 3 || p->input.c != channels || row_len > ROW_CAPACITY ||
      (stride_w != 1 && stride_w != 2) || p->tile.pad_w > 1 || p->tile.pad_w + p->input.w > row_len)
    return ES_ERR_UNSUPPORTED;
  const es_fast_requant rq = p->requant;
  const uint32_t *weights = (const uint32_t *)p->weights;
  int16_t (*const rows_buffer)[ROW_CAPACITY] = (int16_t (*)[ROW_CAPACITY])work;
  const int16_t *r0 = rows_buffer[0], *r1 = rows_buffer[1], *r2 = rows_buffer[2];
  for (int32_t b = 0; b < p->input.n; ++b) {
    const int8_t *image = input + (size_t)b * p->input.h * p->input.w * channels;
    int8_t *out_image = output + (size_t)b * out_h * out_w * channels;
    for (int32_t oy = 0; oy < out_h; ++oy) {
      for (int32_t c = 0; c < channels; ++c) {
        for (int32_t k = 0; k < 3; ++k)
          fill_row(rows_buffer[k], image, oy * stride_h - p->tile.pad_h + k, c, p, row_len);
        const uint32_t *wc = weights + 6 * c;
        const int32_t k[4] = {rq.channels[4 * c], rq.channels[4 * c + 1], rq.channels[4 * c + 2], rq.channels[4 * c + 3]};
        const int32_t w01a = (int32_t)wc[0], w12a = (int32_t)wc[1], w01b = (int32_t)wc[2], w12b = (int32_t)wc[3],
                      w01c = (int32_t)wc[4], w12c = (int32_t)wc[5];
        int8_t *out = out_image + (size_t)oy * out_w * channels + c;
        int32_t ox = 0;
#if defined(__ARM_FEATURE_DSP) && defined(__GNUC__)
        if (mode != ES_FAST_RQ_GENERIC && stride_w == 1 && out_w >= 2) {
          row_block blk;
          memcpy(blk.w, wc, sizeof blk.w);
          memcpy(blk.k, k, sizeof blk.k);
          blk.lo2 = (uint16_t)(int16_t)rq.act_min * 0x10001u;
          blk.hi2 = (uint16_t)(int16_t)rq.act_max * 0x10001u;
          blk.pairs = out_w / 2;
          blk.stride = channels;
          out = row_pairs(&blk, r0, out, mode);
          ox = 2 * (out_w / 2); /* an odd last output below */
        }
#endif
        if (stride_w == 1) {
          for (; ox < out_w; ox += 2) {
            const int32_t a0 = (int32_t)fast_load_u32(r0 + ox), b0 = (int32_t)fast_load_u32(r0 + ox + 2);
            const int32_t a1 = (int32_t)fast_load_u32(r1 + ox), b1 = (int32_t)fast_load_u32(r1 + ox + 2);
            const int32_t a2 = (int32_t)fast_load_u32(r2 + ox), b2 = (int32_t)fast_load_u32(r2 + ox + 2);
            int32_t s0 = fast_smlad(a0, w01a, 0), s1 = fast_smlad(b0, w12a, 0);
            s0 = fast_smlabt(b0, w12a, s0);
            s1 = fast_smlatb(a0, w01a, s1);
            s0 = fast_smlad(a1, w01b, s0);
            s1 = fast_smlad(b1, w12b, s1);
            s0 = fast_smlabt(b1, w12b, s0);
            s1 = fast_smlatb(a1, w01b, s1);
            s0 = fast_smlad(a2, w01c, s0);
            s1 = fast_smlad(b2, w12c, s1);
            s0 = fast_smlabt(b2, w12c, s0);
            s1 = fast_smlatb(a2, w01c, s1);
            out[0] = requantize(s0, k, &rq, mode);
            if (ox + 1 < out_w) out[channels] = requantize(s1, k, &rq, mode);
            out += 2 * channels;
          }
        } else {
          for (; ox < out_w; ox += 2) {
            const int16_t *q0 = r0 + 2 * ox, *q1 = r1 + 2 * ox, *q2 = r2 + 2 * ox;
            const int32_t a0 = (int32_t)fast_load_u32(q0), b0 = (int32_t)fast_load_u32(q0 + 2),
                          c0 = (int32_t)fast_load_u32(q0 + 4);
            const int32_t a1 = (int32_t)fast_load_u32(q1), b1 = (int32_t)fast_load_u32(q1 + 2),
                          c1 = (int32_t)fast_load_u32(q1 + 4);
            const int32_t a2 = (int32_t)fast_load_u32(q2), b2 = (int32_t)fast_load_u32(q2 + 2),
                          c2 = (int32_t)fast_load_u32(q2 + 4);
            int32_t s0 = fast_smlad(a0, w01a, 0), s1 = fast_smlad(b0, w01a, 0);
            s0 = fast_smlabt(b0, w12a, s0);
            s1 = fast_smlabt(c0, w12a, s1);
            s0 = fast_smlad(a1, w01b, s0);
            s1 = fast_smlad(b1, w01b, s1);
            s0 = fast_smlabt(b1, w12b, s0);
            s1 = fast_smlabt(c1, w12b, s1);
            s0 = fast_smlad(a2, w01c, s0);
            s1 = fast_smlad(b2, w01c, s1);
            s0 = fast_smlabt(b2, w12c, s0);
            s1 = fast_smlabt(c2, w12c, s1);
            out[0] = requantize(s0, k, &rq, mode);
            if (ox + 1 < out_w) out[channels] = requantize(s1, k, &rq, mode);
            out += 2 * channels;
          }
        }
      }
    }
  }
  return ES_OK;
}

es_status es_fast_dw_3x3_s8(const es_fast_conv_params *p, const int8_t *input, int8_t *output,
                            void *work, size_t work_bytes) {
  if (work_bytes < ES_FAST_DW_3X3_WORK_BYTES) return ES_ERR_ARENA_TOO_SMALL;
  #define CALL(mode) dw_3x3(p, input, output, work, mode)
  return FAST_DISPATCH_MODE(p, CALL);
#undef CALL
}
