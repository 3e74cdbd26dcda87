/* The one place for constants that host and firmware must agree on.
 *
 * Python reads these through the extension modules (each binding exports the
 * constants of its concern as module attributes), and the firmware includes
 * this header; nothing is restated elsewhere.
 */
#ifndef EDGESIM_CONFIG_H
#define EDGESIM_CONFIG_H

/* Wake word audio front end (matches the micro_speech audio preprocessor). */
#define ES_AUDIO_SAMPLE_RATE_HZ 16000
#define ES_AUDIO_WINDOW_SAMPLES 480   /* 30 ms */
#define ES_AUDIO_HOP_SAMPLES 320      /* 20 ms */
#define ES_AUDIO_FEATURE_CHANNELS 40
#define ES_AUDIO_FEATURE_FRAMES 49    /* frames in one 1 s classifier input */

/* Person detection camera input. */
#define ES_IMAGE_SIDE 96

/* Gesture (magic wand digits). */
#define ES_IMU_SAMPLE_RATE_HZ 119     /* LSM9DS1 FIFO rate used by the sketch */
#define ES_STROKE_MAX_POINTS 160      /* points kept per stroke (every 2nd sample) */
#define ES_RASTER_SIDE 32
#define ES_RASTER_CHANNELS 3

#endif /* EDGESIM_CONFIG_H */
