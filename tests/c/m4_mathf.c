/* es_expf and es_tanhf on the emulated Cortex-M4 (tests/test_ops_more_m4.py):
 * out[2i] = es_expf(in[i]), out[2i + 1] = es_tanhf(in[i]) for i < n, to be
 * compared bit for bit with the host's glibc expf/tanhf. */
#include <stdint.h>

#include "edgesim/quant.h"

void m4_mathf(const float *in, float *out, uint32_t n);

void m4_mathf(const float *in, float *out, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    out[2 * i] = es_expf(in[i]);
    out[2 * i + 1] = es_tanhf(in[i]);
  }
}
