/* Runs models through the whole runtime (loader, planner, interpreter, op
 * kernels) outside Python:
 *   - on the emulated Cortex-M4 (unicorn, tests/m4_model_runner.py for
 *     tests/test_ops_m4.py and tests/test_ops_more_m4.py), compiled exactly
 *     as for the firmware: the test writes an m4_job into RAM and calls
 *     m4_run_job(), then m4_error_detail() when that fails;
 *   - on the host under ASan + UBSan (tests/test_ops_new_sanitized.py) with
 *     -DES_RUNNER_MAIN: jobs read from a file, each model copied into a block
 *     of its exact size and run in an arena of exactly the size it needs, so
 *     reads past a constant or past the arena abort the run.
 * The inputs of every step are concatenated (step-major, then model input
 * order), and so are the outputs.  State (variable tensors) carries over the
 * steps. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
const char *m4_error_detail(void);

/* What went wrong in the last failed m4_run_job(). */
const char *m4_error_detail(void) { return g_model.error.detail; }

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

#ifdef ES_RUNNER_MAIN
/* Job file: repeated [u32 model bytes][model][u32 steps][u32 input bytes][inputs].
 * stdout: per job [i32 status][u32 output bytes][outputs]. */
static int read_exact(FILE *f, void *p, size_t n) { return fread(p, 1, n, f) == n; }

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  FILE *f = fopen(argv[1], "rb");
  if (f == NULL) return 2;
  uint32_t model_size;
  while (read_exact(f, &model_size, 4)) {
    uint32_t steps, input_bytes;
    uint8_t *model = (uint8_t *)malloc(model_size ? model_size : 1);
    if (!read_exact(f, model, model_size) || !read_exact(f, &steps, 4) || !read_exact(f, &input_bytes, 4)) return 3;
    uint8_t *inputs = (uint8_t *)malloc(input_bytes ? input_bytes : 1);
    if (!read_exact(f, inputs, input_bytes)) return 3;
    size_t need = 0;
    size_t work_size = 1u << 22;
    void *work = malloc(work_size);
    es_status st = es_model_arena_required(&g_model, &es_all_ops, model, model_size, work, work_size, &need);
    free(work);
    int32_t status = (int32_t)st;
    uint32_t out_bytes = 0;
    uint8_t *outputs = NULL;
    if (st == ES_OK) {
      uint8_t *arena = (uint8_t *)malloc(need);
      m4_job job = {model, model_size, arena, (uint32_t)need, inputs, NULL, (int32_t)steps};
      /* Output size: load once to read the output tensors' sizes. */
      st = es_model_load(&g_model, &es_all_ops, model, model_size, arena, need);
      if (st == ES_OK) {
        for (int32_t i = 0; i < g_model.output_count; ++i) out_bytes += (uint32_t)es_model_output(&g_model, i)->bytes;
        out_bytes *= steps;
        outputs = (uint8_t *)malloc(out_bytes ? out_bytes : 1);
        job.outputs = outputs;
        status = m4_run_job(&job);
      } else {
        status = 1000 + (int32_t)st;
      }
      free(arena);
    }
    fwrite(&status, 4, 1, stdout);
    if (status != 0) out_bytes = 0;
    fwrite(&out_bytes, 4, 1, stdout);
    if (out_bytes) fwrite(outputs, 1, out_bytes, stdout);
    free(outputs);
    free(inputs);
    free(model);
  }
  fclose(f);
  return 0;
}
#endif
