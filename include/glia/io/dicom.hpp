/// @file
/// Reading DICOM files: the images MRI scanners and hospital archives store (the optional
/// glia::dicom library, built when CMake finds GDCM: Debian's libgdcm-dev).
///
/// GDCM parses the file and decodes its pixel data, whatever the transfer syntax GDCM supports
/// (uncompressed little and big endian, deflated, JPEG baseline, extended and lossless, JPEG-LS,
/// JPEG 2000, RLE). glia then applies the display pipeline radiology software applies, in the
/// standard's order (DICOM PS3.3 C.11):
///   1. Modality LUT: the stored values times Rescale Slope plus Rescale Intercept (e.g.
///      Hounsfield units for CT);
///   2. VOI: the file's VOI LUT table (its first), else its Window Center / Width (the first
///      pair; VOI LUT Function LINEAR, LINEAR_EXACT or SIGMOID); or a window given by the caller,
///      or an automatic one (the 1st to 99th percentile of each frame's values). With none of
///      those, stored values of at most 8 bits (not rescaled) keep their scale, 0..2^bits - 1,
///      as the JPEG a file may have been made from; other frames span their own range. Mapped
///      to 0..255;
///   3. MONOCHROME1 (white is low) inverted;
///   4. rounded to 8 bits: floor(v + 0.5), clipped.
/// Integer samples are read as the header says: Bits Stored low bits (higher bits may hold
/// overlays), signed when Pixel Representation is 1. Colour images (RGB; YBR_FULL and
/// YBR_FULL_422 converted to RGB as pydicom converts them; YBR_ICT and YBR_RCT, which the JPEG 2000
/// decoder converts; PALETTE COLOR through its lookup table) are not windowed; samples of more
/// than 8 bits are scaled to 8. Planar Configuration 1 (RRR..GGG..BBB) is interleaved. Each
/// frame of a multi-frame file is one image. Files GDCM 3.0 would decode wrongly are corrected
/// or refused (docs/dependencies.md lists them); tests/unit/test_dicom.cpp compares every file
/// of pydicom's test corpus with pydicom, pixel for pixel.
///
/// Files are untrusted: the header is read first and its rows x columns x frames checked against
/// `max_pixels` before any pixel is decoded, the file size against `max_file_bytes`; GDCM runs in
/// a child process (io/isolated_call.hpp), so a file that crashes or hangs it ends in an error
/// naming the file. Nothing identifying the patient is read into the result: the file is known
/// by its name and SOP Instance UID.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "glia/io/image.hpp"
#include "glia/io/isolated_call.hpp"

namespace glia::io {

/// Which window maps a grey frame's values to 0..255.
struct DicomWindow {
  /// Where the window comes from.
  enum class Source {
    file,       ///< the file's Window Center / Width, or the full range when it has none
    automatic,  ///< the 1st to 99th percentile of each frame's values
    given,      ///< center and width below (LINEAR, as the standard's default)
  };
  Source source = Source::file;  ///< the file's, by default
  double center = 0;             ///< for Source::given
  double width = 0;              ///< for Source::given; at least 1
};

/// How a DICOM file is read.
struct DicomReadOptions {
  DicomWindow window;                         ///< for grey frames
  int64_t max_pixels = kDefaultMaxPixels;     ///< rows x columns x frames, checked first
  int64_t max_file_bytes = int64_t{2} << 30;  ///< larger files are refused unread
  bool isolate = true;  ///< GDCM in a child process (false: in this one, for trusted files)
  /// The child's time and memory. Its memory is also held to 256 MB + 64 bytes per allowed
  /// pixel + 4 x the file's size: GDCM allocates what an element's length declares.
  IsolationLimits limits;
};

/// One frame, as shown: 8-bit grey (channels 1) or RGB (channels 3), interleaved.
struct DicomFrame {
  int64_t rows = 0;             ///< height
  int64_t columns = 0;          ///< width
  int channels = 1;             ///< 1 grey, 3 RGB
  std::vector<uint8_t> pixels;  ///< rows x columns x channels
  /// Grey frames: the values after the Modality LUT (e.g. Hounsfield units), rows x columns.
  std::vector<float> values;
};

/// A DICOM file, read and shown.
struct DicomImage {
  std::string file;                 ///< the path it was read from
  std::string sop_instance_uid;     ///< (0008,0018): which image this is
  std::string series_instance_uid;  ///< (0020,000E): the series it belongs to
  std::string modality;             ///< (0008,0060), e.g. "MR"
  std::string photometric;          ///< (0028,0004) as stored, e.g. "MONOCHROME2"
  std::string transfer_syntax;      ///< its name, e.g. "JPEG 2000 Image Compression"
  std::string window;               ///< what mapped the values, e.g. "file window 40,400"
  std::vector<DicomFrame> frames;   ///< one per frame
};

/// True when the file is DICOM: the "DICM" marker after the 128-byte preamble.
bool is_dicom_file(const std::string& path);

/// Reads and shows every frame of a DICOM file. Throws std::runtime_error naming the file and
/// the reason: not DICOM, no pixel data, over the size limits, a transfer syntax GDCM cannot
/// decode ("compressed with JPIP, which GDCM cannot decode"), a corrupt file, GDCM crashing.
DicomImage read_dicom(const std::string& path, const DicomReadOptions& options = {});

/// True when the bytes are a DICOM file's: the "DICM" marker after the 128-byte preamble.
bool is_dicom_bytes(const std::string& bytes);

/// read_dicom() of a file's bytes held in memory (an upload: nothing is written to disk); `name`
/// stands for the file in the result and in messages.
DicomImage read_dicom_bytes(const std::string& bytes, const std::string& name,
                            const DicomReadOptions& options = {});

/// The files a DICOMDIR names (its directory records' Referenced File IDs), as paths next to
/// it, in the DICOMDIR's order. Throws std::runtime_error naming the file when it is not one.
std::vector<std::string> dicomdir_files(const std::string& dicomdir);

/// An 8-bit image from one shown frame: grey replicated to `channels` = 3, or RGB as is.
Image to_image(const DicomFrame& frame, int channels);

}  // namespace glia::io
