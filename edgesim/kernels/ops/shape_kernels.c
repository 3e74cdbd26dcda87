/* The data movement kernels of edgesim/nn_shape.h. */
#include <string.h>

#include "edgesim/nn_shape.h"

es_status es_concatenation(const es_concat_params *params, const void *const *inputs, void *output) {
  uint8_t *out = (uint8_t *)output;
  for (int32_t r = 0; r < params->outer; ++r) {
    for (int32_t i = 0; i < params->count; ++i) {
      const size_t n = (size_t)params->part_bytes[i];
      memcpy(out, (const uint8_t *)inputs[i] + (size_t)r * n, n);
      out += n;
    }
  }
  return ES_OK;
}

es_status es_split(const es_concat_params *params, const void *input, void *const *outputs) {
  const uint8_t *in = (const uint8_t *)input;
  for (int32_t r = 0; r < params->outer; ++r) {
    for (int32_t i = 0; i < params->count; ++i) {
      const size_t n = (size_t)params->part_bytes[i];
      memcpy((uint8_t *)outputs[i] + (size_t)r * n, in, n);
      in += n;
    }
  }
  return ES_OK;
}

/* One element of 1, 2, 4 or 8 bytes: fixed-size copies the compiler turns
 * into single loads and stores (a variable-size memcpy is a call). */
static inline void copy_element(uint8_t *dst, const uint8_t *src, size_t element_size) {
  switch (element_size) {
    case 1: *dst = *src; break;
    case 2: memcpy(dst, src, 2); break;
    case 4: memcpy(dst, src, 4); break;
    default: memcpy(dst, src, 8); break;
  }
}

/* `count` copies of one element. */
static uint8_t *fill(uint8_t *out, const void *value, int32_t element_size, int64_t count) {
  if (element_size == 1) {
    memset(out, *(const uint8_t *)value, (size_t)count);
    return out + count;
  }
  for (int64_t i = 0; i < count; ++i, out += element_size) copy_element(out, (const uint8_t *)value, (size_t)element_size);
  return out;
}

/* Dimension d of the padded output: padding before, the input's entries
 * (the next dimension's blocks, or the innermost row), padding after. */
static uint8_t *pad_dim(const es_pad_params *params, const int32_t *dims, const int64_t *out_stride, int d,
                        const uint8_t **in, const void *pad_value, uint8_t *out) {
  const int32_t es = params->element_size;
  out = fill(out, pad_value, es, params->before[d] * out_stride[d]);
  if (d == ES_MAX_DIMS - 1) {
    const size_t n = (size_t)dims[d] * (size_t)es;
    memcpy(out, *in, n);
    out += n;
    *in += n;
  } else {
    for (int32_t i = 0; i < dims[d]; ++i) out = pad_dim(params, dims, out_stride, d + 1, in, pad_value, out);
  }
  return fill(out, pad_value, es, params->after[d] * out_stride[d]);
}

es_status es_pad(const es_pad_params *params, const es_shape *input_shape, const void *input, const void *pad_value,
                 void *output) {
  enum { D = ES_MAX_DIMS };
  int32_t dims[D];
  int64_t out_stride[D];
  const int32_t lead = D - input_shape->rank;
  for (int d = 0; d < D; ++d) dims[d] = d < lead ? 1 : input_shape->d[d - lead];
  out_stride[D - 1] = 1;
  for (int d = D - 2; d >= 0; --d)
    out_stride[d] = out_stride[d + 1] * (params->before[d + 1] + dims[d + 1] + params->after[d + 1]);
  const uint8_t *in = (const uint8_t *)input;
  pad_dim(params, dims, out_stride, 0, &in, pad_value, (uint8_t *)output);
  return ES_OK;
}

es_status es_strided_slice(const es_slice_params *params, const es_shape *input_shape, const void *input,
                           void *output) {
  enum { D = ES_MAX_DIMS };
  int64_t stride[D];
  const int32_t lead = D - input_shape->rank;
  stride[D - 1] = 1;
  for (int d = D - 2; d >= 0; --d)
    stride[d] = stride[d + 1] * (d + 1 < lead ? 1 : input_shape->d[d + 1 - lead]);
  for (int d = 0; d < D; ++d)
    if (params->count[d] <= 0) return ES_OK;
  const size_t es = (size_t)params->element_size;
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  const int contiguous = params->step[D - 1] == 1;
  int32_t k[D - 1] = {0};
  for (;;) {
    int64_t base = 0;
    for (int d = 0; d < D - 1; ++d) base += (int64_t)(params->start[d] + k[d] * params->step[d]) * stride[d];
    base += params->start[D - 1];
    if (contiguous) {
      memcpy(out, in + (size_t)base * es, (size_t)params->count[D - 1] * es);
      out += (size_t)params->count[D - 1] * es;
    } else {
      for (int32_t i = 0; i < params->count[D - 1]; ++i, out += es)
        copy_element(out, in + (size_t)(base + (int64_t)i * params->step[D - 1]) * es, es);
    }
    int d = D - 2;
    for (; d >= 0; --d) {
      if (++k[d] < params->count[d]) break;
      k[d] = 0;
    }
    if (d < 0) break;
  }
  return ES_OK;
}

es_status es_transpose(const es_transpose_params *params, const es_shape *input_shape, const void *input,
                       void *output) {
  const int32_t rank = input_shape->rank;
  int64_t in_stride[ES_MAX_DIMS], step[ES_MAX_DIMS];
  int32_t out_dims[ES_MAX_DIMS], k[ES_MAX_DIMS] = {0};
  int64_t total = 1;
  if (rank > 0) in_stride[rank - 1] = 1;
  for (int d = rank - 2; d >= 0; --d) in_stride[d] = in_stride[d + 1] * input_shape->d[d + 1];
  for (int d = 0; d < rank; ++d) {
    out_dims[d] = input_shape->d[params->perm[d]];
    step[d] = in_stride[params->perm[d]];
    total *= out_dims[d];
  }
  if (total == 0) return ES_OK;
  const size_t es = (size_t)params->element_size;
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  if (rank == 0) {
    copy_element(out, in, es);
    return ES_OK;
  }
  /* Odometer over the outer output dimensions; the innermost one is a
   * strided run of the input. */
  const int32_t last = rank - 1;
  const int32_t run = out_dims[last];
  const int64_t run_step = step[last];
  int64_t offset = 0; /* input element of the current output row */
  for (int64_t row = 0; row < total / run; ++row) {
    const uint8_t *src = in + (size_t)offset * es;
    if (es == 1) {
      for (int32_t i = 0; i < run; ++i) out[i] = src[(size_t)(i * run_step)];
    } else {
      for (int32_t i = 0; i < run; ++i) copy_element(out + (size_t)i * es, src + (size_t)(i * run_step) * es, es);
    }
    out += (size_t)run * es;
    for (int d = last - 1; d >= 0; --d) {
      offset += step[d];
      if (++k[d] < out_dims[d]) break;
      offset -= step[d] * out_dims[d];
      k[d] = 0;
    }
  }
  return ES_OK;
}

/* Index i of an int32 array that may sit unaligned in the model buffer. */
static int32_t load_index(const void *indices, size_t i) {
  int32_t v;
  memcpy(&v, (const uint8_t *)indices + 4 * i, sizeof v);
  return v;
}

es_status es_gather(const es_gather_params *params, const void *input, const void *indices, void *output) {
  const size_t n = (size_t)params->batch * (size_t)params->coords;
  for (size_t i = 0; i < n; ++i) {
    const int32_t v = load_index(indices, i);
    if (v < 0 || v >= params->axis_size) return ES_ERR_INPUT_DATA;
  }
  const size_t row = (size_t)params->inner * (size_t)params->element_size;
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  for (int32_t b = 0; b < params->batch; ++b) {
    for (int32_t o = 0; o < params->outer; ++o) {
      const uint8_t *block = in + ((size_t)b * (size_t)params->outer + (size_t)o) * (size_t)params->axis_size * row;
      for (int32_t c = 0; c < params->coords; ++c, out += row) {
        const int32_t v = load_index(indices, (size_t)b * (size_t)params->coords + (size_t)c);
        memcpy(out, block + (size_t)v * row, row);
      }
    }
  }
  return ES_OK;
}
