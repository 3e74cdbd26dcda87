/* Runs a model on the emulated Cortex-M4 (unicorn, tests/test_ops_m4.py):
 * the runtime and op kernels compiled exactly as for the firmware.  The test
 * writes an m4_job into RAM and calls m4_run_job(); the inputs of every step
 * are concatenated (step-major, then model input order), and so are the
 * outputs written back.  State (variable tensors) carries over the steps. */
#include <stdint.h>
#include <string.h>

#include "edgesim/model.h"
#include "edgesim/ops.h"

typedef struct m4_job {
  const uint8_t *model;
  uint32_t model_size;
  uint8_t *arena;
  uint32_t arena_size;
  const uint8_t *inputs;
  uint8_t *outputs;
  int32_t steps;
} m4_job;

static es_model g_model; /* test harness only: one model at a time */

int32_t m4_run_job(const m4_job *job);

int32_t m4_run_job(const m4_job *job) {
  es_status st = es_model_load(&g_model, &es_all_ops, job->model, job->model_size, job->arena, job->arena_size);
  if (st != ES_OK) return 1000 + (int32_t)st;
  const uint8_t *in = job->inputs;
  uint8_t *out = job->outputs;
  for (int32_t s = 0; s < job->steps; ++s) {
    for (int32_t i = 0; i < g_model.input_count; ++i) {
      es_tensor *t = es_model_input(&g_model, i);
      memcpy(t->data, in, t->bytes);
      in += t->bytes;
    }
    st = es_model_invoke(&g_model);
    if (st != ES_OK) return 2000 + (int32_t)st;
    for (int32_t i = 0; i < g_model.output_count; ++i) {
      const es_tensor *t = es_model_output(&g_model, i);
      memcpy(out, t->data, t->bytes);
      out += t->bytes;
    }
  }
  return 0;
}
