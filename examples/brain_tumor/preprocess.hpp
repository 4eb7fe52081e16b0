// The seed's image preprocessing, as OpenCV computes it: crop_brain_contour and the
// INTER_CUBIC resize. Images are 8-bit, HWC; colour images are in BGR order.
#pragma once

#include <optional>

#include <glia/io/image.hpp>

namespace brain_tumor {

using glia::io::Image;

// A rectangle [left, right) x [top, bottom) in pixels.
struct Box {
  int left = 0, top = 0, right = 0, bottom = 0;
  int width() const { return right - left; }
  int height() const { return bottom - top; }
};

// BGR to RGB, or back (the same swap of the first and third channels); other channel counts are
// returned as they are. The pipeline works in BGR, as the seed's OpenCV does; decoders and
// encoders speak RGB.
Image swap_red_blue(Image image);

// cv2.cvtColor(BGR2GRAY): Y = 0.299 R + 0.587 G + 0.114 B in the 15-bit fixed point that
// OpenCV 4's 8-bit path uses (its older 14-bit constants differ by one in places).
Image to_gray(const Image& bgr);

// cv2.GaussianBlur(gray, (5, 5), 0). With sigma 0 and an odd kernel of at most 7, OpenCV uses
// the binomial kernel [1 4 6 4 1] / 16 rather than sampling a Gaussian; its 8-bit path is exact,
// so this is (sum + 128) >> 8 with reflect-101 borders.
Image gaussian_blur5(const Image& gray);

// cv2.threshold(THRESH_BINARY): 255 where value > threshold, else 0.
Image threshold_binary(const Image& gray, int threshold);

// cv2.erode / cv2.dilate with the default 3x3 square; pixels outside the image are ignored.
Image erode3x3(const Image& binary, int iterations);
Image dilate3x3(const Image& binary, int iterations);

// The box spanned by the extreme points of the largest external contour (by contour area, as
// cv2.contourArea) of the non-zero pixels, 8-connected as cv2.findContours traces them. The box
// excludes the rightmost column and bottom row, as the seed's slice image[top:bottom, left:right]
// does. No contour, or one of zero width or height: nullopt.
std::optional<Box> largest_contour_box(const Image& binary);

Image crop(const Image& image, const Box& box);

struct CropResult {
  Image image;
  bool found_contour = false;  // false: the whole image was kept
  Box box;                     // the region of the input kept (the whole image without contour)
};

// The seed's crop_brain_contour: gray, blur 5x5, threshold 45, erode x2, dilate x2, crop to the
// largest contour's extreme points.
CropResult crop_brain_contour(const Image& bgr);

// cv2.resize(INTER_CUBIC): Keys' cubic with a = -0.75, half-pixel centres, replicated borders,
// and OpenCV's 11-bit fixed-point coefficients for 8-bit images.
Image resize_bicubic(const Image& image, int width, int height);

}  // namespace brain_tumor
