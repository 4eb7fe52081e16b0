#include "input_files.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>

#ifdef GLIA_HAS_DICOM
#include <glia/io/dicom.hpp>
#endif

#include "errors.hpp"
#include "preprocess.hpp"

namespace brain_tumor {
namespace fs = std::filesystem;
namespace {

std::atomic<int64_t> g_max_pixels{glia::io::kDefaultMaxPixels};
std::mutex g_window_mutex;
std::string g_window = "file";

std::string window_spec() {
  std::lock_guard<std::mutex> lock(g_window_mutex);
  return g_window;
}

bool hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

#ifdef GLIA_HAS_DICOM
glia::io::DicomWindow parse_window(const std::string& spec) {
  glia::io::DicomWindow w;
  if (spec == "file") return w;
  if (spec == "auto") {
    w.source = glia::io::DicomWindow::Source::automatic;
    return w;
  }
  w.source = glia::io::DicomWindow::Source::given;
  const size_t comma = spec.find(',');
  try {
    size_t used = 0, used2 = 0;
    if (comma == std::string::npos) throw std::invalid_argument("");
    w.center = std::stod(spec.substr(0, comma), &used);
    w.width = std::stod(spec.substr(comma + 1), &used2);
    if (used != comma || used2 != spec.size() - comma - 1) throw std::invalid_argument("");
  } catch (const std::exception&) {
    throw std::invalid_argument("a window is 'file', 'auto' or CENTER,WIDTH (e.g. 40,400), not '" +
                                spec + "'");
  }
  if (!(w.width >= 1)) throw std::invalid_argument("a window's width must be at least 1");
  return w;
}
#else
void parse_window(const std::string& spec) {
  if (spec != "file" && spec != "auto" && spec.find(',') == std::string::npos)
    throw std::invalid_argument("a window is 'file', 'auto' or CENTER,WIDTH (e.g. 40,400), not '" +
                                spec + "'");
}
#endif

#ifdef GLIA_HAS_DICOM
glia::io::DicomReadOptions dicom_options() {
  glia::io::DicomReadOptions options;
  options.window = parse_window(window_spec());
  options.max_pixels = g_max_pixels;
  return options;
}

std::vector<InputImage> images_of(const glia::io::DicomImage& dicom) {
  std::vector<InputImage> images;
  for (size_t i = 0; i < dicom.frames.size(); ++i) {
    InputImage image;
    image.bgr = glia::io::to_image(dicom.frames[i], 3);
    for (size_t p = 0; p < image.bgr.pixels.size(); p += 3)
      std::swap(image.bgr.pixels[p], image.bgr.pixels[p + 2]);
    image.frame = dicom.frames.size() > 1 ? static_cast<int>(i) + 1 : 0;
    image.sop_instance_uid = dicom.sop_instance_uid;
    image.series_instance_uid = dicom.series_instance_uid;
    image.dicom = true;
    images.push_back(std::move(image));
  }
  return images;
}
#else
[[noreturn]] void no_dicom(const std::string& name) {
  throw std::runtime_error("'" + name +
                           "' is a DICOM file, and this brain_tumor was built without glia::dicom "
                           "(install libgdcm-dev and build again)");
}
#endif

}  // namespace

bool looks_like_dicom(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[132] = {};
  return in.read(head, 132) && std::string(head + 128, 4) == "DICM";
}

void set_max_pixels(int64_t max_pixels) {
  g_max_pixels = max_pixels;
}

int64_t max_pixels() {
  return g_max_pixels;
}

Image read_bgr(const std::string& path) {
  return swap_red_blue(
      glia::io::read_image(path, 3, g_max_pixels));  // grey replicated, alpha dropped
}

void set_dicom_window(const std::string& spec) {
  parse_window(spec);
  std::lock_guard<std::mutex> lock(g_window_mutex);
  g_window = spec;
}

std::vector<InputImage> read_input(const std::string& path) {
  std::error_code error;
  if (fs::is_symlink(path, error) && !fs::exists(path, error))
    throw std::runtime_error("'" + path + "' is a symbolic link to '" +
                             fs::read_symlink(path, error).string() + "', which does not exist");
  if (looks_like_dicom(path)) {
#ifdef GLIA_HAS_DICOM
    return images_of(glia::io::read_dicom(path, dicom_options()));
#else
    no_dicom(path);
#endif
  }
  InputImage image;
  image.bgr = read_bgr(path);
  return {std::move(image)};
}

std::vector<InputImage> read_input_bytes(const std::string& bytes, const std::string& name) {
  if (bytes.size() >= 132 && bytes.compare(128, 4, "DICM") == 0) {
#ifdef GLIA_HAS_DICOM
    return images_of(glia::io::read_dicom_bytes(bytes, name, dicom_options()));
#else
    no_dicom(name);
#endif
  }
  InputImage image;
  image.bgr = swap_red_blue(glia::io::decode_image(bytes, name, 3, g_max_pixels));
  return {std::move(image)};
}

InputImage read_frame(const std::string& path, int frame) {
  std::vector<InputImage> images = read_input(path);
  const size_t index = frame > 0 ? static_cast<size_t>(frame - 1) : 0;
  if (index >= images.size())
    throw std::runtime_error("'" + path + "' has " + std::to_string(images.size()) +
                             " frames, not a frame " + std::to_string(frame));
  return std::move(images[index]);
}

std::vector<std::string> files_in_folder(const std::string& folder) {
  std::vector<std::string> files;
  const fs::path root(folder);
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::directory_entry& e = *it;
    if (hidden(e.path())) {
      if (e.is_directory()) it.disable_recursion_pending();
      continue;
    }
    std::error_code error;
    const bool dangling = e.is_symlink(error) && !fs::exists(e.path(), error);
    if (!(e.is_regular_file(error) || dangling) || e.path().filename() == "DICOMDIR") continue;
    files.push_back(fs::relative(e.path(), root).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> input_files(const std::string& argument) {
  std::error_code error;
  const fs::path path(argument);
  if (fs::is_directory(path, error)) {
    std::vector<std::string> files;
    for (const std::string& f : files_in_folder(argument)) files.push_back((path / f).string());
    if (files.empty()) throw DataError("folder '" + argument + "' holds no files");
    return files;
  }
  if (!fs::exists(path, error) && !fs::is_symlink(path, error))
    throw DataError("'" + argument + "' does not exist");
#ifdef GLIA_HAS_DICOM
  if (path.filename() == "DICOMDIR") return glia::io::dicomdir_files(argument);
#endif
  return {argument};
}

}  // namespace brain_tumor
