/* RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR on NHWC images, bit-exact with
 * TFLite Micro's reference kernels (float coordinate arithmetic for nearest
 * neighbour and float bilinear, 10-bit fixed point for int8 bilinear). */
#ifndef EDGESIM_NN_RESIZE_H
#define EDGESIM_NN_RESIZE_H

#include <stdint.h>

#include "edgesim/kernel_types.h"
#include "edgesim/status.h"

typedef struct es_resize_params {
  int32_t align_corners;
  int32_t half_pixel_centers;
  int32_t element_size;  /* nearest neighbour only: bytes per value */
} es_resize_params;

/* Copies pixels, so it serves any type of `element_size` bytes. */
es_status es_resize_nearest_neighbor(const es_resize_params *params, const es_dims *input_dims, const void *input,
                                     const es_dims *output_dims, void *output);
es_status es_resize_bilinear_s8(const es_resize_params *params, const es_dims *input_dims, const int8_t *input,
                                const es_dims *output_dims, int8_t *output);
es_status es_resize_bilinear_f32(const es_resize_params *params, const es_dims *input_dims, const float *input,
                                 const es_dims *output_dims, float *output);

#endif /* EDGESIM_NN_RESIZE_H */
