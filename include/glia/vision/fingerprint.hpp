/// @file
/// Image fingerprints for finding near-duplicate images: two 64-bit hashes and a small grey
/// thumbnail, each for the image and its mirror images.
///
/// - Perceptual hash (pHash): the image in grey, area-resized to 32 x 32, its 2-D DCT, and one
///   bit per coefficient of the lowest 8 x 8 frequencies: set when the coefficient is at least
///   the median of the 63 that are not the DC term (imagededup's definition). It survives
///   re-encoding, resizing and brightness or contrast changes.
/// - Difference hash (dHash): the image area-resized to 9 x 8, one bit per pair of horizontal
///   neighbours: set when the right one is brighter.
/// - Thumbnail: the image in grey with its aspect ratio kept, its longer side area-resized to
///   kThumbnailSize and centred on a black square, so a normalised cross-correlation (NCC) of
///   two thumbnails does not depend on brightness or contrast. For the aligned comparison
///   (near_duplicates.hpp) it is kept at three scales on a black canvas with kMaxShift pixels
///   of room on every side.
///
/// Grey is the mean of the channels, so RGB and BGR images give the same fingerprint.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "glia/io/image.hpp"

namespace glia::vision {

/// The four orientations compared: the image, its left-right mirror, its upside-down flip, and
/// both (a half turn). The seed's augmentation flips both ways.
enum class Orientation : uint8_t { identity, mirrored, flipped, half_turn };
/// "identity", "mirrored", "flipped", "half_turn".
const char* orientation_name(Orientation orientation);

/// A grey image of floats in [0, 255], row-major.
struct GreyImage {
  ///@{
  /// extents in pixels
  int width = 0, height = 0;
  ///@}
  std::vector<float> pixels;  ///< y * width + x
};

/// The mean of the channels; throws std::invalid_argument for an empty image.
GreyImage to_grey(const io::Image& image);
/// Area-weighted resampling (each output pixel is the mean of the input area it covers, as
/// OpenCV's INTER_AREA); width and height at least 1.
GreyImage resize_area(const GreyImage& image, int width, int height);
/// The image seen in `orientation`.
GreyImage oriented(const GreyImage& image, Orientation orientation);

/// The perceptual hash of a grey image (see the file's description).
uint64_t perceptual_hash(const GreyImage& image);
/// The difference hash of a grey image (see the file's description).
uint64_t difference_hash(const GreyImage& image);
/// The number of differing bits.
int hamming_distance(uint64_t a, uint64_t b);

/// The thumbnail's side in pixels.
constexpr int kThumbnailSize = 32;
/// The shift in pixels the aligned comparison tries in each direction.
constexpr int kMaxShift = 3;
/// The side of a canvas: the thumbnail plus kMaxShift on every side.
constexpr int kCanvasSize = kThumbnailSize + 2 * kMaxShift;
/// The scales of the canvases, relative to the thumbnail (a crop or border of up to about 10%).
constexpr std::array<float, 3> kCanvasScales{0.9f, 1.0f, 1.1f};

/// Everything the comparison needs of one image.
struct Fingerprint {
  std::array<uint64_t, 4> phash{};  ///< per Orientation
  std::array<uint64_t, 4> dhash{};  ///< per Orientation
  /// kThumbnailSize^2 values with mean 0 and norm 1 (all zero for a flat image), the image in
  /// its own orientation: the NCC of two thumbnails is their dot product.
  std::vector<float> thumbnail;
  /// kCanvasScales.size() canvases of kCanvasSize^2 grey values each, the image in its own
  /// orientation at each scale, centred on black.
  std::vector<float> canvases;
};

/// The fingerprint of an 8-bit image (any channel count).
Fingerprint fingerprint(const io::Image& image);

}  // namespace glia::vision
