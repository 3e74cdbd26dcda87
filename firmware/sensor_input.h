/* On-board sensor input (build flag FW_INPUT_SENSORS, `edgesim build APP
 * --sensors`): the app loop takes the same frames it would get from the
 * host, made here from the board's microphone, IMU or camera
 * (board_sensor_* in board.h), so the app glue does not change. */
#ifndef EDGESIM_SENSOR_INPUT_H
#define EDGESIM_SENSOR_INPUT_H

#include "edgesim/protocol.h"

/* Input payloads stay this short so that each can also travel as one RAW
 * frame (ES_PROTO_CFG_RAW: header + the payload unchanged). */
#define SENSOR_INPUT_MAX_PAYLOAD (ES_PROTO_MAX_PAYLOAD - ES_PROTO_RAW_HEADER_BYTES)

/* Polls the sensor once: 1 with *frame describing the next input frame
 * (payload in driver memory, valid until the next call), 0 when it had no
 * data (after a short pause; a sensor silent for about a second, or a
 * driver failure, is reported as an ERROR frame). */
int sensor_input_poll(es_proto_frame *frame);

/* A new stream (CONFIG): a half-sent camera frame is dropped and the board's
 * sensors restart where they can (board_sensor_restart). */
void sensor_input_restart(void);

#endif /* EDGESIM_SENSOR_INPUT_H */
