/* Centre crop: the largest square in the middle of the frame.
 *
 * The person detection model sees a square; cropping (rather than
 * squashing) keeps people's proportions, as the upstream image provider
 * does.  With an odd margin the extra column/row stays on the right/bottom.
 */
#include "edgesim/image.h"

es_status es_image_center_crop(int32_t width, int32_t height, es_image_rect *rect) {
  if (rect == NULL || width < 1 || height < 1) return ES_ERR_ARGUMENT;
  rect->side = width < height ? width : height;
  rect->left = (width - rect->side) / 2;
  rect->top = (height - rect->side) / 2;
  return ES_OK;
}
