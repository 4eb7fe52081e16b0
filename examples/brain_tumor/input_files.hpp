// The files brain_tumor reads: images (JPEG, PNG, BMP, PNM) and DICOM, where each frame of a
// file is one image and the slices of a series are one scan. What the program writes about a
// DICOM image names its file and SOP Instance UID only, never a patient-identifying tag.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <glia/io/image.hpp>

namespace brain_tumor {

using glia::io::Image;

// One image of an input file: an image file holds one, a DICOM file one per frame.
struct InputImage {
  Image bgr;      // 3 channels, BGR, as the seed's cv2.imread
  int frame = 0;  // 1-based frame of a multi-frame DICOM file; 0 otherwise
  std::string sop_instance_uid, series_instance_uid;  // DICOM only
  bool dicom = false;
};

// Whether the file is DICOM: "DICM" after its 128-byte preamble (its name does not matter).
bool looks_like_dicom(const std::string& path);

// Reads every image of a file (DICOM told apart by content, not by name). Throws
// std::runtime_error naming the file: unreadable, not an image, a dangling symbolic link, DICOM
// without glia::dicom built.
std::vector<InputImage> read_input(const std::string& path);

// read_input() of a file's bytes in memory (an upload: nothing is written to disk); `name`
// stands for the file in messages.
std::vector<InputImage> read_input_bytes(const std::string& bytes, const std::string& name);

// One image of a file: `frame` of a multi-frame DICOM file (1-based), else its only image.
// Throws std::runtime_error as read_input, or naming the frame the file does not have.
InputImage read_frame(const std::string& path, int frame);

// The files an argument names: a file itself, a DICOMDIR the files it lists, a folder its files
// (in its subfolders too, sorted, hidden ones and DICOMDIRs left out). Throws DataError when the
// argument does not exist.
std::vector<std::string> input_files(const std::string& argument);

// The files of a folder, as input_files lists them, relative to it ("series1/IM0001").
// Dangling symbolic links are listed: reading them says what they are.
std::vector<std::string> files_in_folder(const std::string& folder);

// Reads one image file as the seed did with cv2.imread: 3 channels, BGR.
Image read_bgr(const std::string& path);

// The pixel limit every decoder is given (glia::io::kDefaultMaxPixels until set): images are
// refused when their header declares more pixels (a DICOM file: rows x columns x frames).
void set_max_pixels(int64_t max_pixels);
int64_t max_pixels();

// How DICOM grey frames are windowed: "file" (the file's own window; the default), "auto"
// (1st to 99th percentile) or "C,W" (center and width). Throws std::invalid_argument on a bad
// specification.
void set_dicom_window(const std::string& spec);

}  // namespace brain_tumor
