// read_dicom: GDCM parses and decodes (in a child process by default), then glia applies the
// display pipeline (io/dicom.hpp). The pipeline's arithmetic mirrors tests/golden/
// make_dicom_golden.py (pydicom + numpy), which the tests compare against pixel for pixel.
#include "glia/io/dicom.hpp"

#include <gdcmAttribute.h>
#include <gdcmDataSet.h>
#include <gdcmImage.h>
#include <gdcmImageApplyLookupTable.h>
#include <gdcmImageReader.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmTrace.h>
#include <gdcmUIDs.h>
#include <gdcmWriter.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>

#include "../isolated_answer.hpp"
#include "glia/support/check.hpp"

namespace glia::io {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("cannot read DICOM file '" + path + "': " + what);
}

// ---- the header -------------------------------------------------------------------------------

std::string text_of(const gdcm::DataSet& ds, uint16_t group, uint16_t element) {
  const gdcm::Tag tag(group, element);
  if (!ds.FindDataElement(tag)) return "";
  const gdcm::DataElement& de = ds.GetDataElement(tag);
  const gdcm::ByteValue* bv = de.GetByteValue();
  if (!bv) return "";
  std::string s(bv->GetPointer(), bv->GetLength());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  return s;
}

// A decimal string's values (VR DS, backslash-separated).
std::vector<double> numbers_of(const gdcm::DataSet& ds, uint16_t group, uint16_t element) {
  std::vector<double> out;
  std::stringstream in(text_of(ds, group, element));
  for (std::string item; std::getline(in, item, '\\');) {
    try {
      size_t used = 0;
      const double v = std::stod(item, &used);
      if (std::isfinite(v)) out.push_back(v);
    } catch (const std::exception&) {
    }
  }
  return out;
}

int64_t integer_of(const gdcm::DataSet& ds, uint16_t group, uint16_t element, int64_t fallback) {
  const std::vector<double> v = numbers_of(ds, group, element);
  return v.empty() ? fallback : static_cast<int64_t>(v[0]);
}

// US values are binary: read through gdcm::Attribute.
template <uint16_t Group, uint16_t Element>
int64_t us_of(const gdcm::DataSet& ds, int64_t fallback) {
  if (!ds.FindDataElement(gdcm::Tag(Group, Element))) return fallback;
  gdcm::Attribute<Group, Element> a;
  a.SetFromDataElement(ds.GetDataElement(gdcm::Tag(Group, Element)));
  return static_cast<int64_t>(a.GetValue());
}

// ---- the display pipeline ---------------------------------------------------------------------

struct Window {
  double center, width;
  std::string function;  // LINEAR, LINEAR_EXACT or SIGMOID
};

// A VOI LUT table (PS3.3 C.11.2.1.1): values below the first mapped one take the first entry,
// values above the last the last; entries of `bits` bits.
struct VoiLut {
  int64_t first = 0;
  int bits = 16;
  std::vector<double> entries;
  double operator()(double v) const {
    const double at = std::clamp(std::floor(v) - static_cast<double>(first), 0.0,
                                 static_cast<double>(entries.size() - 1));
    return entries[static_cast<size_t>(at)] * (255.0 / (std::ldexp(1.0, bits) - 1.0));
  }
};

// One value through the window to 0..255 (DICOM PS3.3 C.11.2.1.2 and C.11.2.1.3).
double windowed(double v, const Window& w) {
  if (w.function == "SIGMOID") return 255.0 / (1.0 + std::exp(-4.0 * (v - w.center) / w.width));
  double c = w.center, width = w.width;
  if (w.function == "LINEAR") {
    c -= 0.5;
    width -= 1.0;
  }
  if (v <= c - width / 2) return 0.0;
  if (v > c + width / 2) return 255.0;
  return ((v - c) / width + 0.5) * 255.0;
}

uint8_t to_byte(double v) {
  const double r = std::floor(v + 0.5);
  return static_cast<uint8_t>(std::clamp(r, 0.0, 255.0));
}

// numpy's default percentile (linear interpolation between closest ranks).
double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0.0;
  const double at = q / 100.0 * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(at)), hi = std::min(lo + 1, values.size() - 1);
  std::nth_element(values.begin(), values.begin() + static_cast<long>(lo), values.end());
  const double a = values[lo];
  std::nth_element(values.begin(), values.begin() + static_cast<long>(hi), values.end());
  const double b = values[hi];
  return a + (b - a) * (at - static_cast<double>(lo));
}

// The grey frame's 8-bit picture from its modality values (in double, as stored in f.values
// in float).
// `natural_max` > 0: the frame's values are the stored ones (no rescale) of at most 8 bits, and
// with no window they map from 0..natural_max, as a JPEG's would, not stretched to their range.
void show_grey(DicomFrame& f, const std::vector<double>& values, const DicomWindow& choice,
               const std::vector<Window>& file_windows, const VoiLut& file_lut, bool monochrome1,
               double natural_max, std::string& described) {
  Window w{0, 0, "LINEAR_EXACT"};
  bool full_range = false;
  char text[96];
  f.pixels.resize(values.size());
  if (choice.source == DicomWindow::Source::file && !file_lut.entries.empty()) {
    described =
        concat("file VOI LUT (", file_lut.entries.size(), " entries from ", file_lut.first, ")");
    for (size_t i = 0; i < values.size(); ++i) {
      const double v = file_lut(values[i]);
      f.pixels[i] = to_byte(monochrome1 ? 255.0 - v : v);
    }
    return;
  }
  if (choice.source == DicomWindow::Source::given) {
    w = {choice.center, choice.width, "LINEAR"};
    std::snprintf(text, sizeof(text), "given window %g,%g", w.center, w.width);
  } else if (choice.source == DicomWindow::Source::automatic) {
    const double lo = percentile(values, 1), hi = percentile(values, 99);
    w = {(lo + hi) / 2, hi - lo, "LINEAR_EXACT"};
    full_range = hi <= lo;
    std::snprintf(text, sizeof(text), "automatic window (1st-99th percentile) %g,%g", w.center,
                  w.width);
  } else if (!file_windows.empty()) {
    w = file_windows[0];
    std::snprintf(text, sizeof(text), "file window %g,%g (%s)", w.center, w.width,
                  w.function.c_str());
  } else if (natural_max > 0) {
    w = {natural_max / 2, natural_max, "LINEAR_EXACT"};
    std::snprintf(text, sizeof(text), "stored values 0..%g", natural_max);
  } else {
    full_range = true;
    std::snprintf(text, sizeof(text), "full range");
  }
  described = text;
  if (full_range) {
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    const double low = values.empty() ? 0 : *lo, span = values.empty() ? 0 : *hi - *lo;
    for (size_t i = 0; i < values.size(); ++i) {
      const double v = span > 0 ? (values[i] - low) / span * 255.0 : 0.0;
      f.pixels[i] = to_byte(monochrome1 ? 255.0 - v : v);
    }
    return;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = windowed(values[i], w);
    f.pixels[i] = to_byte(monochrome1 ? 255.0 - v : v);
  }
}

// pydicom's YBR_FULL -> RGB (float32 arithmetic, rounded by floor(x + 0.5)).
void ybr_to_rgb(uint8_t* p, size_t pixels) {
  const float m[3][3] = {{1.000f, 1.000f, 1.000f},
                         {0.000f, -0.114f * 1.772f / 0.587f, 1.772f},
                         {1.402f, -0.299f * 1.402f / 0.587f, 0.000f}};
  for (size_t i = 0; i < pixels; ++i, p += 3) {
    const float y = p[0], cb = static_cast<float>(p[1]) - 128.0f,
                cr = static_cast<float>(p[2]) - 128.0f;
    for (int c = 0; c < 3; ++c) {
      const float v = y * m[0][c] + cb * m[1][c] + cr * m[2][c] + 0.5f;
      p[c] = static_cast<uint8_t>(std::clamp(std::floor(v), 0.0f, 255.0f));
    }
  }
}

// ---- reading with GDCM ------------------------------------------------------------------------

// The first item of the VOI LUT Sequence (0028,3010), if the file has one. Its descriptor is
// (entries, first value mapped, bits per entry); 0 entries means 65536.
VoiLut voi_lut_of(const gdcm::DataSet& ds, bool signed_pixels, const std::string& path) {
  VoiLut lut;
  const gdcm::Tag sequence(0x0028, 0x3010);
  if (!ds.FindDataElement(sequence)) return lut;
  gdcm::SmartPointer<gdcm::SequenceOfItems> items = ds.GetDataElement(sequence).GetValueAsSQ();
  if (!items || items->GetNumberOfItems() < 1) return lut;
  const gdcm::DataSet& item = items->GetItem(1).GetNestedDataSet();
  const gdcm::Tag descriptor_tag(0x0028, 0x3002), data_tag(0x0028, 0x3006);
  if (!item.FindDataElement(descriptor_tag) || !item.FindDataElement(data_tag))
    fail(path, "its VOI LUT has no LUT Descriptor or LUT Data");
  gdcm::Element<gdcm::VR::US, gdcm::VM::VM3> descriptor;  // US or SS: read as US, then signed
  descriptor.Set(item.GetDataElement(descriptor_tag).GetValue());
  const int64_t entries = descriptor.GetValue(0) == 0 ? 65536 : descriptor.GetValue(0);
  const uint16_t first = descriptor.GetValue(1);
  lut.first = signed_pixels ? static_cast<int16_t>(first) : first;
  lut.bits = descriptor.GetValue(2);
  if (lut.bits < 1 || lut.bits > 16)
    fail(path, concat("its VOI LUT has ", lut.bits, "-bit entries"));
  gdcm::Element<gdcm::VR::US, gdcm::VM::VM1_n> data;
  data.Set(item.GetDataElement(data_tag).GetValue());
  if (static_cast<int64_t>(data.GetLength()) < entries)
    fail(path,
         concat("its VOI LUT holds ", data.GetLength(), " entries, its descriptor says ", entries));
  lut.entries.resize(static_cast<size_t>(entries));
  for (size_t i = 0; i < lut.entries.size(); ++i)
    lut.entries[i] = data.GetValue(static_cast<unsigned int>(i));
  return lut;
}

// Where a DICOM file comes from: a file, or its bytes in memory (an upload). Each reader gets a
// stream of its own.
struct Source {
  const std::string& name;
  const std::string* bytes = nullptr;
  std::vector<std::unique_ptr<std::istringstream>> streams;
  void feed(gdcm::Reader& reader) {
    if (!bytes) {
      reader.SetFileName(name.c_str());
      return;
    }
    streams.push_back(std::make_unique<std::istringstream>(*bytes));
    reader.SetStream(*streams.back());
  }
};

// What the header says about the pixels, checked before any is decoded.
struct Header {
  int64_t rows = 0, columns = 0, frames = 1, samples = 1;
  int bits_allocated = 0, bits_stored = 0;
  bool signed_pixels = false;  // Pixel Representation 1
  std::string photometric;
  gdcm::TransferSyntax syntax;
  bool raw = false;  // the pixel data stored as they are (neither encapsulated nor deflated)
  // GDCM's ImageReader aborts on a Frame Increment Pointer without a Number of Frames (single-
  // frame RT dose files have one): such a dataset is given a Number of Frames of 1 first.
  bool frames_missing = false;
};

const char* const kPhotometrics[] = {"MONOCHROME1",  "MONOCHROME2", "RGB",     "YBR_FULL",
                                     "YBR_FULL_422", "YBR_ICT",     "YBR_RCT", "PALETTE COLOR"};

Header read_header(Source& source, const DicomReadOptions& options, DicomImage& out) {
  const std::string& path = source.name;
  gdcm::Reader reader;
  source.feed(reader);
  if (!reader.ReadUpToTag(gdcm::Tag(0x7fe0, 0x0010))) fail(path, "GDCM cannot parse it");
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  Header h;
  h.rows = us_of<0x0028, 0x0010>(ds, 0);
  h.columns = us_of<0x0028, 0x0011>(ds, 0);
  h.frames = integer_of(ds, 0x0028, 0x0008, 1);
  h.samples = us_of<0x0028, 0x0002>(ds, 1);
  h.bits_allocated = static_cast<int>(us_of<0x0028, 0x0100>(ds, 0));
  h.bits_stored = static_cast<int>(us_of<0x0028, 0x0101>(ds, h.bits_allocated));
  h.signed_pixels = us_of<0x0028, 0x0103>(ds, 0) == 1;
  h.photometric = text_of(ds, 0x0028, 0x0004);
  h.frames_missing = !ds.FindDataElement(gdcm::Tag(0x0028, 0x0008)) &&
                     ds.FindDataElement(gdcm::Tag(0x0028, 0x0009));
  if (h.rows <= 0 || h.columns <= 0) fail(path, "it holds no image (no Rows and Columns)");
  if (h.frames < 1 || (h.samples != 1 && h.samples != 3))
    fail(path, concat("its Number of Frames (", h.frames, ") or Samples per Pixel (", h.samples,
                      ") is not one glia reads"));
  if (h.bits_allocated != 1 && (h.bits_allocated % 8 != 0 || h.bits_allocated > 64))
    fail(path, concat("its pixels are ", h.bits_allocated, " bits each"));
  if (h.bits_stored < 1 || h.bits_stored > h.bits_allocated)
    fail(path, concat("its Bits Stored (", h.bits_stored, ") does not fit its Bits Allocated (",
                      h.bits_allocated, ")"));
  if (std::find(std::begin(kPhotometrics), std::end(kPhotometrics), h.photometric) ==
      std::end(kPhotometrics))
    fail(path, "its Photometric Interpretation '" + h.photometric + "' is not one glia reads");
  if (h.rows * h.columns > options.max_pixels / h.frames)
    fail(path, concat("it is ", h.columns, " x ", h.rows, " x ", h.frames,
                      " frames = ", static_cast<double>(h.rows * h.columns * h.frames) / 1e6,
                      " megapixels, over the limit of ",
                      static_cast<double>(options.max_pixels) / 1e6, " megapixels"));
  out.sop_instance_uid = text_of(ds, 0x0008, 0x0018);
  out.series_instance_uid = text_of(ds, 0x0020, 0x000e);
  out.modality = text_of(ds, 0x0008, 0x0060);
  out.photometric = h.photometric;
  h.syntax = reader.GetFile().GetHeader().GetDataSetTransferSyntax();
  const char* uid = gdcm::TransferSyntax::GetTSString(h.syntax);
  gdcm::UIDs name;
  out.transfer_syntax = uid && name.SetFromUID(uid) ? name.GetName() : (uid ? uid : "unknown");
  if (h.syntax == gdcm::TransferSyntax::JPIPReferenced)
    fail(path, "its pixel data are referenced by JPIP, which GDCM cannot decode");
  h.raw = !h.syntax.IsEncapsulated() &&
          h.syntax != gdcm::TransferSyntax::DeflatedExplicitVRLittleEndian;
  return h;
}

bool read_image_of(gdcm::ImageReader& reader, Source& source, const Header& h,
                   std::stringstream& rewritten) {
  if (!h.frames_missing) {
    source.feed(reader);
    return reader.Read();
  }
  gdcm::Reader plain;
  source.feed(plain);
  if (!plain.Read()) return false;
  gdcm::DataElement frames(gdcm::Tag(0x0028, 0x0008));
  frames.SetVR(gdcm::VR::IS);
  frames.SetByteValue("1 ", 2);
  plain.GetFile().GetDataSet().Replace(frames);
  gdcm::Writer writer;
  writer.SetStream(rewritten);
  writer.SetFile(plain.GetFile());
  if (!writer.Write()) return false;
  reader.SetStream(rewritten);
  return reader.Read();
}

// The samples of a decoded buffer as numbers. Integers are read as the header says, not as the
// decoder does: `bits_stored` low bits (higher bits may hold overlays), signed when Pixel
// Representation says so (a JPEG 2000 stream may disagree).
class Samples {
 public:
  Samples(const std::vector<char>& buffer, const gdcm::PixelFormat& format, const Header& h,
          bool swap_words)
      : data_(buffer.data()),
        bits_allocated_(h.bits_allocated),
        bits_stored_(h.bits_stored),
        signed_(h.signed_pixels),
        floating_(format.GetScalarType() == gdcm::PixelFormat::FLOAT32 ||
                  format.GetScalarType() == gdcm::PixelFormat::FLOAT64),
        swap_words_(swap_words) {}

  double operator()(size_t i) const {
    if (bits_allocated_ == 1) return (static_cast<uint8_t>(data_[i / 8]) >> (i % 8)) & 1;
    const size_t bytes = static_cast<size_t>(bits_allocated_ / 8);
    const char* p = data_ + i * bytes;
    if (floating_) return bytes == 4 ? load<float>(p) : load<double>(p);
    uint64_t u = 0;
    std::memcpy(&u, p, bytes);  // little endian, as GDCM decodes
    if (swap_words_) u = ((u & 0xffff) << 16) | ((u >> 16) & 0xffff);
    if (bits_stored_ < 64) u &= (uint64_t{1} << bits_stored_) - 1;
    if (signed_ && bits_stored_ < 64 && ((u >> (bits_stored_ - 1)) & 1))
      return static_cast<double>(static_cast<int64_t>(u) - (int64_t{1} << bits_stored_));
    return static_cast<double>(u);
  }

 private:
  template <class T>
  static double load(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return static_cast<double>(v);
  }
  const char* data_;
  int bits_allocated_, bits_stored_;
  bool signed_, floating_, swap_words_;
};

// YBR_FULL_422 stored as it is: two pixels in four bytes, Y1 Y2 Cb Cr; out as Y Cb Cr triples.
std::vector<char> upsample_422(const char* in, size_t pixels) {
  std::vector<char> out(pixels * 3);
  for (size_t i = 0; i + 1 < pixels; i += 2, in += 4)
    for (size_t k = 0; k < 2; ++k) {
      out[(i + k) * 3] = in[k];
      out[(i + k) * 3 + 1] = in[2];
      out[(i + k) * 3 + 2] = in[3];
    }
  return out;
}

// The file's windows: Window Center / Width pairs (the first is used), and the function.
std::vector<Window> windows_of(const gdcm::DataSet& ds, const std::string& path) {
  std::vector<Window> windows;
  const std::vector<double> centers = numbers_of(ds, 0x0028, 0x1050),
                            widths = numbers_of(ds, 0x0028, 0x1051);
  std::string function = text_of(ds, 0x0028, 0x1056);
  if (function.empty()) function = "LINEAR";
  if (function != "LINEAR" && function != "LINEAR_EXACT" && function != "SIGMOID")
    fail(path, "its VOI LUT Function '" + function + "' is not one the standard defines");
  for (size_t i = 0; i < std::min(centers.size(), widths.size()); ++i)
    if (widths[i] >= (function == "LINEAR" ? 1.0 : std::numeric_limits<double>::min()))
      windows.push_back({centers[i], widths[i], function});
  return windows;
}

// GDCM's warnings, collected while one file is read (GDCM reports a truncated file only there),
// then silenced again.
class GdcmWarnings {
 public:
  GdcmWarnings() {
    gdcm::Trace::SetDebug(false);
    gdcm::Trace::SetError(false);
    gdcm::Trace::SetWarningStream(said_);
    gdcm::Trace::SetWarning(true);
  }
  ~GdcmWarnings() {
    gdcm::Trace::SetWarning(false);
    gdcm::Trace::SetWarningStream(nowhere());
  }
  bool said(const char* text) const { return said_.str().find(text) != std::string::npos; }

 private:
  static std::ostream& nowhere() {
    static std::ostream null(nullptr);
    return null;
  }
  std::ostringstream said_;
};

DicomImage read_with_gdcm(Source& source, const DicomReadOptions& options) {
  const std::string& path = source.name;
  const GdcmWarnings warnings;
  DicomImage out;
  out.file = path;
  const Header h = read_header(source, options, out);
  const bool colour_rle = h.syntax == gdcm::TransferSyntax::RLELossless && h.samples == 3;
  if (colour_rle && h.bits_allocated > 8)
    fail(path, concat("it is colour RLE of ", h.bits_allocated,
                      " bits per sample, which GDCM 3.0 decodes with its bytes out of order"));

  gdcm::ImageReader reader;
  std::stringstream rewritten;
  if (!read_image_of(reader, source, h, rewritten)) fail(path, "GDCM cannot read its image");
  if (warnings.said("Incomplete Pixel Data"))
    fail(path, "its pixel data end before the size its header gives: the file is truncated");
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  // The palette filter's output lives as long as the filter: `image` is one or the other.
  gdcm::ImageApplyLookupTable palette;
  const gdcm::Image* shown = &reader.GetImage();
  const bool is_palette = h.photometric == "PALETTE COLOR";
  if (is_palette) {
    palette.SetInput(*shown);
    if (!palette.Apply()) fail(path, "its palette cannot be applied");
    shown = &palette.GetOutput();
  }
  const gdcm::Image& image = *shown;
  const unsigned int* dims = image.GetDimensions();
  const int64_t columns = dims[0], rows = dims[1];
  const int64_t frames = image.GetNumberOfDimensions() > 2 ? dims[2] : 1;
  if (columns != h.columns || rows != h.rows || frames != h.frames)
    fail(path, concat("GDCM decodes it as ", columns, " x ", rows, " x ", frames,
                      " where its header says ", h.columns, " x ", h.rows, " x ", h.frames));
  const gdcm::PixelFormat& pf = image.GetPixelFormat();
  const int channels = pf.GetSamplesPerPixel();
  if (channels != (is_palette ? 3 : h.samples))
    fail(path, concat("GDCM decodes it with ", channels, " samples per pixel"));
  // What the samples are after decoding: the palette's entries, or what the header says.
  Header decoded = h;
  if (is_palette) {
    decoded.bits_allocated = pf.GetBitsAllocated();
    decoded.bits_stored = pf.GetBitsStored();
    decoded.signed_pixels = false;
  }
  const size_t per_frame = static_cast<size_t>(rows * columns * channels);
  const size_t values = per_frame * static_cast<size_t>(frames);
  const size_t need = decoded.bits_allocated == 1
                          ? (values + 7) / 8
                          : values * static_cast<size_t>(decoded.bits_allocated / 8);
  std::vector<char> buffer;
  const bool raw_422 = h.raw && h.photometric == "YBR_FULL_422";
  if (raw_422) {
    // GDCM hands these over as stored (two bytes per pixel): upsampled here, as pydicom does.
    const gdcm::ByteValue* stored = ds.GetDataElement(gdcm::Tag(0x7fe0, 0x0010)).GetByteValue();
    if (!stored || stored->GetLength() < values / 3 * 2 || columns % 2 != 0)
      fail(path, "its YBR_FULL_422 pixel data do not hold two bytes per pixel");
    buffer = upsample_422(stored->GetPointer(), values / 3);
  } else {
    if (decoded.bits_allocated != 1 && pf.GetBitsAllocated() != decoded.bits_allocated)
      fail(path, concat("GDCM decodes it to ", pf.GetBitsAllocated(),
                        "-bit samples where its "
                        "header says ",
                        decoded.bits_allocated));
    buffer.resize(image.GetBufferLength());
    if (!image.GetBuffer(buffer.data()))
      fail(path, concat("GDCM cannot decode its pixel data (", out.transfer_syntax, ")"));
  }
  if (buffer.size() < need) fail(path, "its pixel data are shorter than its size says");
  // GDCM 3.0 swaps 32-bit big endian samples as two 16-bit words: put back in order.
  const bool swap_words = h.syntax.GetSwapCode() == gdcm::SwapCode::BigEndian &&
                          decoded.bits_allocated == 32 && !h.syntax.IsEncapsulated();
  const Samples sample(buffer, pf, decoded, swap_words);

  const bool planar = image.GetPlanarConfiguration() == 1 && channels == 3 && !raw_422;
  const bool ybr = h.photometric == "YBR_FULL" || h.photometric == "YBR_FULL_422";
  const bool monochrome1 = h.photometric == "MONOCHROME1";
  const std::vector<Window> windows = windows_of(ds, path);
  const VoiLut file_lut = voi_lut_of(ds, h.signed_pixels, path);
  const double slope = image.GetSlope(), intercept = image.GetIntercept();
  const int bits = decoded.bits_stored;
  const double natural_max = bits <= 8 && slope == 1.0 && intercept == 0.0 && !h.signed_pixels
                                 ? std::ldexp(1.0, bits) - 1
                                 : 0.0;
  for (int64_t frame = 0; frame < frames; ++frame) {
    DicomFrame f;
    f.rows = rows;
    f.columns = columns;
    f.channels = channels;
    const size_t first = static_cast<size_t>(frame) * per_frame;
    if (channels == 1) {
      std::vector<double> v(per_frame);
      for (size_t i = 0; i < per_frame; ++i) v[i] = sample(first + i) * slope + intercept;
      f.values.assign(v.begin(), v.end());
      show_grey(f, v, options.window, windows, file_lut, monochrome1, natural_max, out.window);
    } else {
      f.pixels.resize(per_frame);
      const size_t plane = static_cast<size_t>(rows * columns);
      const double scale = bits > 8 ? 255.0 / (std::ldexp(1.0, bits) - 1.0) : 1.0;
      for (size_t i = 0; i < plane; ++i)
        for (size_t c = 0; c < 3; ++c) {
          const double v = sample(planar ? first + c * plane + i : first + i * 3 + c);
          f.pixels[i * 3 + c] = bits > 8 ? to_byte(v * scale) : static_cast<uint8_t>(v);
        }
      if (ybr) ybr_to_rgb(f.pixels.data(), plane);
      out.window = ybr ? "colour (YBR converted to RGB)" : "colour";
    }
    out.frames.push_back(std::move(f));
  }
  return out;
}

// ---- the child's answer -----------------------------------------------------------------------

using detail::put_floats;
using detail::put_text;
using detail::put_u64;

std::string encode(const DicomImage& d) {
  std::string out;
  for (const std::string* s : {&d.sop_instance_uid, &d.series_instance_uid, &d.modality,
                               &d.photometric, &d.transfer_syntax, &d.window})
    put_text(out, *s);
  put_u64(out, d.frames.size());
  for (const DicomFrame& f : d.frames) {
    put_u64(out, static_cast<uint64_t>(f.rows));
    put_u64(out, static_cast<uint64_t>(f.columns));
    put_u64(out, static_cast<uint64_t>(f.channels));
    put_text(out, std::string(f.pixels.begin(), f.pixels.end()));
    put_floats(out, f.values);
  }
  return out;
}

DicomImage decode(const std::string& bytes, const std::string& path, int64_t max_pixels) {
  // Every count checked against what is left and against the limits.
  detail::AnswerReader in(bytes, path, "the GDCM reader sent a malformed answer", fail);
  DicomImage d;
  d.file = path;
  for (std::string* s : {&d.sop_instance_uid, &d.series_instance_uid, &d.modality, &d.photometric,
                         &d.transfer_syntax, &d.window})
    *s = in.text();
  const uint64_t frames = in.u64();
  int64_t budget = max_pixels;
  for (uint64_t i = 0; i < frames; ++i) {
    DicomFrame f;
    f.rows = static_cast<int64_t>(in.u64());
    f.columns = static_cast<int64_t>(in.u64());
    f.channels = static_cast<int>(in.u64());
    if (f.rows < 1 || f.columns < 1 || (f.channels != 1 && f.channels != 3) ||
        f.rows > budget / f.columns)
      in.bad();
    budget -= f.rows * f.columns;
    const std::string pixels = in.text();
    if (pixels.size() != static_cast<size_t>(f.rows * f.columns * f.channels)) in.bad();
    f.pixels.assign(pixels.begin(), pixels.end());
    const uint64_t values = in.u64();
    if (values != (f.channels == 1 ? static_cast<uint64_t>(f.rows * f.columns) : 0)) in.bad();
    in.floats(f.values, values);
    d.frames.push_back(std::move(f));
  }
  if (!in.done()) in.bad();
  return d;
}

}  // namespace

bool is_dicom_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[132] = {};
  return in.read(head, 132) && std::memcmp(head + 128, "DICM", 4) == 0;
}

namespace {

// The checks both entry points make, then GDCM in a child process (or not).
DicomImage read_checked(const std::string& name, const std::string* bytes, int64_t size, bool dicom,
                        const DicomReadOptions& options) {
  if (size > options.max_file_bytes)
    fail(name, concat("it is ", size, " bytes, over the limit of ", options.max_file_bytes));
  if (!dicom) fail(name, "it is not a DICOM file (no 'DICM' after the preamble)");
  if (options.window.source == DicomWindow::Source::given && !(options.window.width >= 1))
    throw std::invalid_argument(concat(
        "glia::io::read_dicom: a window width must be at least 1, got ", options.window.width));
  auto read = [&] {
    Source source{name, bytes, {}};
    return read_with_gdcm(source, options);
  };
  if (!options.isolate) return read();
  IsolationLimits limits = options.limits;
  // GDCM allocates what an element's length declares (4 GB for a 2 kB file whose Series Number
  // claims 0xFFFF0002 bytes): the child may use what the pixels allowed need (the decoded
  // buffer, doubles and the answer: at most 64 bytes a pixel), the file a few times, and 256 MB.
  limits.memory_bytes = std::min<int64_t>(
      limits.memory_bytes, (int64_t{256} << 20) + 64 * options.max_pixels + 4 * size);
  // The answer holds at most 5 bytes per pixel (a byte shown, a float value) plus names.
  limits.max_answer_bytes = std::min(limits.max_answer_bytes,
                                     static_cast<size_t>(options.max_pixels) * 5 * 3 + (1 << 20));
  return decode(run_isolated([&] { return encode(read()); }, limits, name, "GDCM"), name,
                options.max_pixels);
}

}  // namespace

DicomImage read_dicom(const std::string& path, const DicomReadOptions& options) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) fail(path, error.message());
  return read_checked(path, nullptr, static_cast<int64_t>(size), is_dicom_file(path), options);
}

bool is_dicom_bytes(const std::string& bytes) {
  return bytes.size() >= 132 && bytes.compare(128, 4, "DICM") == 0;
}

DicomImage read_dicom_bytes(const std::string& bytes, const std::string& name,
                            const DicomReadOptions& options) {
  return read_checked(name, &bytes, static_cast<int64_t>(bytes.size()), is_dicom_bytes(bytes),
                      options);
}

std::vector<std::string> dicomdir_files(const std::string& dicomdir) {
  if (!is_dicom_file(dicomdir)) fail(dicomdir, "it is not a DICOM file");
  gdcm::Trace::SetWarning(false);
  gdcm::Trace::SetError(false);
  gdcm::Reader reader;
  reader.SetFileName(dicomdir.c_str());
  if (!reader.Read()) fail(dicomdir, "GDCM cannot parse it");
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  const gdcm::Tag records(0x0004, 0x1220);
  if (!ds.FindDataElement(records))
    fail(dicomdir, "it is not a DICOMDIR (no Directory Record Sequence)");
  gdcm::SmartPointer<gdcm::SequenceOfItems> items = ds.GetDataElement(records).GetValueAsSQ();
  if (!items) fail(dicomdir, "its Directory Record Sequence is unreadable");
  const std::filesystem::path root = std::filesystem::path(dicomdir).parent_path();
  std::vector<std::string> files;
  for (gdcm::SequenceOfItems::SizeType i = 1; i <= items->GetNumberOfItems(); ++i) {
    const std::string id = text_of(items->GetItem(i).GetNestedDataSet(), 0x0004, 0x1500);
    if (id.empty()) continue;
    std::filesystem::path file = root;
    std::stringstream parts(id);
    for (std::string part; std::getline(parts, part, '\\');) {
      if (part.empty() || part == "." || part == "..")
        fail(dicomdir, "a Referenced File ID leaves its folder: '" + id + "'");
      file /= part;
    }
    files.push_back(file.string());
  }
  return files;
}

Image to_image(const DicomFrame& frame, int channels) {
  check_arg(channels == 1 || channels == 3, "to_image", "channels must be 1 or 3, got ", channels);
  Image image(static_cast<int>(frame.columns), static_cast<int>(frame.rows), channels);
  const size_t n = static_cast<size_t>(frame.rows * frame.columns);
  for (size_t i = 0; i < n; ++i) {
    for (int c = 0; c < channels; ++c) {
      const uint8_t v =
          frame.channels == 1 ? frame.pixels[i]
          : channels == 3
              ? frame.pixels[i * 3 + static_cast<size_t>(c)]
              : static_cast<uint8_t>((frame.pixels[i * 3] * 299 + frame.pixels[i * 3 + 1] * 587 +
                                      frame.pixels[i * 3 + 2] * 114 + 500) /
                                     1000);
      image.pixels[i * static_cast<size_t>(channels) + static_cast<size_t>(c)] = v;
    }
  }
  return image;
}

}  // namespace glia::io
