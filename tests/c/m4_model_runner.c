/* Runs any model on the Cortex-M4 under unicorn (tests/test_ops_m4.py): the
 * runtime and op kernels compiled with the firmware's flags, so the DSP and
 * FPU code paths of the board run.  No startup code: the test maps a work
 * region, writes the model and the inputs there and calls runner_run()
 * (unicorn's Cortex-M4 starts with the FPU enabled, as the firmware's
 * startup code leaves it). */
#include <stdint.h>
#include <string.h>

#include "edgesim/model.h"

/* The error detail of a failed runner_run(). */
const char *runner_error(const es_model *record) { return record->error.detail; }

/* Loads `model` (size bytes) into `arena`, copies the concatenated bytes of
 * every input from `inputs`, invokes, and writes the concatenated outputs to
 * `outputs`.  Returns the es_status; the record at `record` keeps the error
 * detail (read by the test on failure). */
int32_t runner_run(es_model *record, const uint8_t *model, uint32_t size, uint8_t *arena, uint32_t arena_size,
                   const uint8_t *inputs, uint8_t *outputs) {
  es_status st = es_model_load(record, &es_all_ops, model, size, arena, arena_size);
  if (st != ES_OK) return (int32_t)st;
  for (int32_t i = 0; i < record->input_count; ++i) {
    es_tensor *t = es_model_input(record, i);
    memcpy(t->data, inputs, t->bytes);
    inputs += t->bytes;
  }
  st = es_model_invoke(record);
  if (st != ES_OK) return (int32_t)st;
  for (int32_t i = 0; i < record->output_count; ++i) {
    const es_tensor *t = es_model_output(record, i);
    memcpy(outputs, t->data, t->bytes);
    outputs += t->bytes;
  }
  return 0;
}
