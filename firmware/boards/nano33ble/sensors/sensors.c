/* The drivers' last failure, for the error frame sensor_input.c sends. */
#include "board.h"
#include "sensors.h"

static const char *last_error;

void sensors_fail(const char *detail) { last_error = detail; }

const char *sensors_error(void) {
  const char *error = last_error;
  last_error = NULL;
  return error;
}

const char *board_sensor_error(void) { return sensors_error(); }
