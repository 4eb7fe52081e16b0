"""The seed's crop_brain_contour, computed by OpenCV (python3-opencv); shared by the golden
scripts."""
import cv2
import numpy as np


def seed_crop(image):
    """The seed's crop_brain_contour, step by step: returns the blurred grey image, the cleaned
    threshold mask and the crop box (left, top, right, bottom); the crop is
    image[top:bottom, left:right]."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    gray = cv2.GaussianBlur(gray, (5, 5), 0)
    thresh = cv2.threshold(gray, 45, 255, cv2.THRESH_BINARY)[1]
    thresh = cv2.erode(thresh, None, iterations=2)
    thresh = cv2.dilate(thresh, None, iterations=2)
    cnts, _ = cv2.findContours(thresh.copy(), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    c = max(cnts, key=cv2.contourArea)
    left = c[c[:, :, 0].argmin()][0][0]
    right = c[c[:, :, 0].argmax()][0][0]
    top = c[c[:, :, 1].argmin()][0][1]
    bottom = c[c[:, :, 1].argmax()][0][1]
    return gray, thresh, np.array([left, top, right, bottom])


def crop_brain_contour(image):
    """The seed's function, the same in behaviour: the image cropped to the box."""
    left, top, right, bottom = seed_crop(image)[2]
    return image[top:bottom, left:right]
