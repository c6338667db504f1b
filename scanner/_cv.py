"""OpenCV, typed loosely on purpose.

opencv-python's stubs type every image as the generic MatLike, which would force a cast
on each call to keep our uint8 annotations; results are re-typed where they leave a module.
"""

from typing import Any

import cv2 as _cv2

cv2: Any = _cv2
