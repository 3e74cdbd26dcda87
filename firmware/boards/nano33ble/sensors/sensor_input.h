/* On-board sensor input (build flag FW_INPUT_SENSORS): the app loop takes
 * the same frames it would get from the host, made here from the board's
 * microphone, IMU or camera, so the app glue does not change. */
#ifndef EDGESIM_SENSOR_INPUT_H
#define EDGESIM_SENSOR_INPUT_H

#include "edgesim/protocol.h"

/* Waits for sensor data and describes it as the next input frame (payload
 * in driver memory, valid until the next call).  Driver failures are sent
 * as ERROR frames and retried.  Returns 1 (it never runs out). */
int sensor_input_next(es_proto_frame *frame);

#endif /* EDGESIM_SENSOR_INPUT_H */
