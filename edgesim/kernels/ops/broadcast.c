/* Broadcast geometry of two-input elementwise ops (edgesim/nn_elementwise.h)
 * and the row walker their kernels share (ops/op_common.h).
 *
 * TFLM's BroadcastBinaryOpSimple walks the output in memory order with one
 * stride per input and dimension (0 where the input is repeated); so does
 * es_op_broadcast_rows(), after es_broadcast_init() has dropped size-1
 * output dimensions and merged neighbours that step through memory alike
 * (both inputs contiguous, or one constant across both), so the innermost
 * row is as long as possible. */
#include "edgesim/nn_elementwise.h"
#include "op_common.h"

es_status es_broadcast_init(const es_shape *in1, const es_shape *in2, const es_shape *out, es_broadcast *bc) {
  const int32_t rank = out->rank;
  if (rank < 0 || rank > ES_MAX_DIMS || in1->rank < 0 || in1->rank > rank || in2->rank < 0 || in2->rank > rank)
    return ES_ERR_SHAPE;
  /* Extended shapes and element strides, outermost first. */
  int32_t d1[ES_MAX_DIMS], d2[ES_MAX_DIMS], s1[ES_MAX_DIMS], s2[ES_MAX_DIMS];
  int64_t elements = 1;
  for (int32_t i = 0; i < rank; ++i) {
    const int32_t k1 = i - (rank - in1->rank), k2 = i - (rank - in2->rank);
    d1[i] = k1 >= 0 ? in1->d[k1] : 1;
    d2[i] = k2 >= 0 ? in2->d[k2] : 1;
    const int32_t o = out->d[i];
    /* The output extent is the inputs' broadcast: the larger of the two. */
    if (o != (d1[i] > d2[i] ? d1[i] : d2[i]) || (d1[i] != o && d1[i] != 1) || (d2[i] != o && d2[i] != 1))
      return ES_ERR_SHAPE;
    elements *= o;
  }
  if (elements > INT32_MAX) return ES_ERR_SHAPE;
  int32_t a = 1, b = 1;
  for (int32_t i = rank - 1; i >= 0; --i) {
    s1[i] = d1[i] == 1 ? 0 : a;
    s2[i] = d2[i] == 1 ? 0 : b;
    a *= d1[i];
    b *= d2[i];
  }
  /* Fuse, innermost first: keep dims of extent > 1; merge dim i into the
   * kept inner one when each input's stride at i equals its inner stride
   * times the inner extent (true for contiguous and for repeated inputs). */
  int32_t n = 0;
  int32_t out_r[ES_MAX_DIMS], st1[ES_MAX_DIMS], st2[ES_MAX_DIMS]; /* innermost first */
  for (int32_t i = rank - 1; i >= 0; --i) {
    const int32_t o = out->d[i];
    if (o == 1) continue;
    if (n > 0 && s1[i] == st1[n - 1] * out_r[n - 1] && s2[i] == st2[n - 1] * out_r[n - 1]) {
      out_r[n - 1] *= o;
      continue;
    }
    out_r[n] = o;
    st1[n] = s1[i];
    st2[n] = s2[i];
    ++n;
  }
  if (n == 0) { /* a single element (or rank 0) */
    out_r[0] = elements == 0 ? 0 : 1;
    st1[0] = st2[0] = 0;
    n = 1;
  }
  bc->rank = n;
  for (int32_t i = 0; i < n; ++i) { /* back to outermost first */
    bc->out[i] = out_r[n - 1 - i];
    bc->step1[i] = st1[n - 1 - i];
    bc->step2[i] = st2[n - 1 - i];
  }
  bc->elements = (int32_t)elements;
  return ES_OK;
}

void es_op_broadcast_rows(const es_broadcast *bc, size_t in_size, size_t out_size, es_op_row_fn row,
                          const void *params, const void *in1, const void *in2, void *out) {
  if (bc->elements == 0) return;
  const int32_t last = bc->rank - 1;
  const int32_t n = bc->out[last];
  const uint8_t *a = (const uint8_t *)in1, *b = (const uint8_t *)in2;
  uint8_t *o = (uint8_t *)out;
  int32_t index[ES_MAX_DIMS] = {0};
  for (;;) {
    row(params, a, bc->step1[last], b, bc->step2[last], o, n);
    o += (size_t)n * out_size;
    int32_t dim = last - 1;
    for (; dim >= 0; --dim) {
      a += (size_t)bc->step1[dim] * in_size;
      b += (size_t)bc->step2[dim] * in_size;
      if (++index[dim] < bc->out[dim]) break;
      a -= (size_t)bc->step1[dim] * (size_t)bc->out[dim] * in_size;
      b -= (size_t)bc->step2[dim] * (size_t)bc->out[dim] * in_size;
      index[dim] = 0;
    }
    if (dim < 0) return;
  }
}
