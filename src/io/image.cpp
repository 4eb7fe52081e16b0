// Image decoding of untrusted files: JPEG through libjpeg-turbo and PNG through libpng (the
// decoders OpenCV uses, fuzzed continuously upstream), BMP and PNM through stb_image (kept for
// those formats only, and fuzzed here: tests/fuzz/). The image's size is read from its header
// and checked against a pixel limit before a single pixel is decoded. JPEG writing goes through
// libjpeg-turbo, PNG writing through stb_image_write.
//
// libjpeg and libpng report errors by longjmp: the coding runs in C-style functions that jump
// back into their own frame only, so that the jump never skips a C++ destructor.
#include "glia/io/image.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include <jerror.h>  // JWRN_JPEG_EOF
#include <jpeglib.h>
#include <png.h>

#include "glia/io/atomic_file.hpp"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wpedantic"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wshadow=local"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb_image.h>
#include <stb_image_write.h>
#pragma GCC diagnostic pop

namespace glia::io {
namespace {

// The largest file read_image reads: far beyond any real scan, far below what would hurt.
constexpr int64_t kMaxFileBytes = int64_t{512} << 20;

[[noreturn]] void cannot(const std::string& name, const std::string& why) {
  throw std::runtime_error("cannot decode '" + name + "': " + why);
}

void check_size(const std::string& name, int64_t width, int64_t height, int64_t max_pixels) {
  if (width < 1 || height < 1) cannot(name, "the header declares an empty image");
  if (width > max_pixels / height) {  // width * height > max_pixels, without overflowing
    char text[160];
    std::snprintf(text, sizeof(text),
                  "it is %lld x %lld = %.1f megapixels, over the limit of %.1f megapixels",
                  static_cast<long long>(width), static_cast<long long>(height),
                  static_cast<double>(width) * static_cast<double>(height) / 1e6,
                  static_cast<double>(max_pixels) / 1e6);
    cannot(name, text);
  }
}

// ---- JPEG ---------------------------------------------------------------------------------

struct JpegError {
  jpeg_error_mgr manager;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;  // libjpeg filled the missing end with grey and warned
};

void on_jpeg_error(j_common_ptr info) {
  auto* error = reinterpret_cast<JpegError*>(info->err);
  (*info->err->format_message)(info, error->message);
  longjmp(error->jump, 1);
}

// Warnings are ignored (as OpenCV does: "extraneous bytes before marker" is common in real
// files), except the end of the data: a truncated scan would otherwise decode half grey.
void on_jpeg_message(j_common_ptr info, int level) {
  if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF)
    reinterpret_cast<JpegError*>(info->err)->truncated = true;
}

// Encodes `pixels` (width * height * channels bytes, 1 grey or 3 RGB) as a baseline JPEG into
// `out`. Returns false with `error` filled on a failure. libjpeg-turbo rather than
// stb_image_write: stb's bit writer left-shifts negative ints (undefined in C++17, so UBSan stops
// on it), and this is the encoder the decoder above is the pair of.
bool jpeg_encode(const unsigned char* pixels, int width, int height, int channels, int quality,
                 std::string* out, char* error, size_t error_size) {
  jpeg_compress_struct info;
  JpegError failure;
  info.err = jpeg_std_error(&failure.manager);
  failure.manager.error_exit = on_jpeg_error;
  failure.message[0] = '\0';
  // libjpeg allocates the output and writes its address here; on the heap, so that it is still
  // known after a jump.
  struct Output {
    unsigned char* data = nullptr;
    unsigned long size = 0;
  };
  const std::unique_ptr<Output> output = std::make_unique<Output>();
  if (setjmp(failure.jump)) {
    std::snprintf(error, error_size, "%s", failure.message);
    jpeg_destroy_compress(&info);
    std::free(output->data);
    return false;
  }
  jpeg_create_compress(&info);
  jpeg_mem_dest(&info, &output->data, &output->size);
  info.image_width = static_cast<JDIMENSION>(width);
  info.image_height = static_cast<JDIMENSION>(height);
  info.input_components = channels;
  info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  const size_t stride = static_cast<size_t>(width) * static_cast<size_t>(channels);
  while (info.next_scanline < info.image_height) {
    // libjpeg's API takes rows as non-const; it only reads them.
    JSAMPROW row = const_cast<unsigned char*>(pixels + info.next_scanline * stride);
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  out->assign(reinterpret_cast<const char*>(output->data), output->size);
  jpeg_destroy_compress(&info);
  std::free(output->data);
  return true;
}

// Reads the header (pixels null) or decodes into `pixels` (width * height * channels bytes).
// Returns false with `error` filled on a failure. Only plain data lives in this frame.
bool jpeg_decode(const unsigned char* data, size_t size, int channels, int* width, int* height,
                 int* components, unsigned char* pixels, char* error, size_t error_size) {
  jpeg_decompress_struct info;
  JpegError failure;
  info.err = jpeg_std_error(&failure.manager);
  failure.manager.error_exit = on_jpeg_error;
  failure.manager.emit_message = on_jpeg_message;
  failure.message[0] = '\0';
  failure.truncated = false;
  // Changed after setjmp and needed after the jump: volatile, so that its value survives it.
  JSAMPROW volatile row = nullptr;
  if (setjmp(failure.jump)) {
    std::snprintf(error, error_size, "%s", failure.message);
    std::free(row);
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, data, static_cast<unsigned long>(size));
  jpeg_read_header(&info, TRUE);
  *width = static_cast<int>(info.image_width);
  *height = static_cast<int>(info.image_height);
  *components = info.num_components;
  if (!pixels) {
    jpeg_destroy_decompress(&info);
    return true;
  }
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
    std::snprintf(error, error_size, "CMYK JPEG images are not supported");
    jpeg_destroy_decompress(&info);
    return false;
  }
  const bool gray = info.jpeg_color_space == JCS_GRAYSCALE;
  info.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&info);
  const int decoded = static_cast<int>(info.output_components);
  row = static_cast<JSAMPROW>(std::malloc(static_cast<size_t>(info.output_width) * decoded));
  while (info.output_scanline < info.output_height) {
    const size_t y = info.output_scanline;
    JSAMPROW line = row;
    jpeg_read_scanlines(&info, &line, 1);
    unsigned char* out = pixels + y * static_cast<size_t>(*width) * channels;
    for (int x = 0; x < *width; ++x) {
      const unsigned char* p = line + static_cast<size_t>(x) * decoded;
      // Gray to colour replicates the value; colour to gray uses Rec. 601 weights.
      if (channels == 1) {
        out[x] = decoded == 1 ? p[0]
                              : static_cast<unsigned char>(
                                    (p[0] * 9798 + p[1] * 19235 + p[2] * 3735 + 16384) >> 15);
      } else {
        for (int c = 0; c < 3; ++c) out[x * channels + c] = decoded == 1 ? p[0] : p[c];
        if (channels == 4) out[x * channels + 3] = 255;
      }
    }
  }
  jpeg_finish_decompress(&info);
  std::free(row);
  jpeg_destroy_decompress(&info);
  if (failure.truncated) {
    std::snprintf(error, error_size, "the file ends before the image does (truncated)");
    return false;
  }
  return true;
}

Image decode_jpeg(const std::string& bytes, const std::string& name, int channels,
                  int64_t max_pixels) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  int width = 0, height = 0, components = 0;
  char error[JMSG_LENGTH_MAX + 64] = {};
  if (!jpeg_decode(data, bytes.size(), channels, &width, &height, &components, nullptr, error,
                   sizeof(error))) {
    cannot(name, std::string("corrupt JPEG: ") + error);
  }
  check_size(name, width, height, max_pixels);
  Image image(width, height, channels);
  if (!jpeg_decode(data, bytes.size(), channels, &width, &height, &components, image.pixels.data(),
                   error, sizeof(error))) {
    cannot(name, std::string("corrupt JPEG: ") + error);
  }
  return image;
}

// ---- PNG ----------------------------------------------------------------------------------

struct PngInput {
  const unsigned char* data;
  size_t size, position;
};

void read_png_bytes(png_structp png, png_bytep out, png_size_t count) {
  auto* in = static_cast<PngInput*>(png_get_io_ptr(png));
  if (count > in->size - in->position) png_error(png, "the file ends early");
  std::memcpy(out, in->data + in->position, count);
  in->position += count;
}

struct PngFailure {
  char message[256];
};

void on_png_error(png_structp png, png_const_charp message) {
  auto* failure = static_cast<PngFailure*>(png_get_error_ptr(png));
  std::snprintf(failure->message, sizeof(failure->message), "%s", message);
  png_longjmp(png, 1);
}

void ignore_png_warning(png_structp, png_const_charp) {}

// As jpeg_decode: the header only when pixels is null. 16-bit samples keep their high byte,
// palettes and low bit depths expand, alpha is dropped or added, gray and colour convert: the
// transforms OpenCV's reader applies.
bool png_decode(const unsigned char* data, size_t size, int channels, int64_t max_pixels,
                int* width, int* height, unsigned char* pixels, char* error, size_t error_size) {
  PngFailure failure;
  failure.message[0] = '\0';
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, &failure, on_png_error, ignore_png_warning);
  if (!png) {
    std::snprintf(error, error_size, "out of memory");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  png_bytep* volatile rows = nullptr;  // changed after setjmp: see jpeg_decode
  if (!info || setjmp(png_jmpbuf(png))) {
    std::snprintf(error, error_size, "%s", failure.message[0] ? failure.message : "out of memory");
    std::free(rows);
    png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    return false;
  }
  // Refuse oversized images and ancillary-chunk bombs inside libpng too.
  const png_uint_32 side =
      max_pixels > 0x7fffffff ? 0x7fffffff : static_cast<png_uint_32>(max_pixels);
  png_set_user_limits(png, side, side);
  png_set_chunk_cache_max(png, 1000);
  png_set_chunk_malloc_max(png, 8u << 20);
  PngInput input{data, size, 0};
  png_set_read_fn(png, &input, read_png_bytes);
  png_read_info(png, info);
  *width = static_cast<int>(png_get_image_width(png, info));
  *height = static_cast<int>(png_get_image_height(png, info));
  if (!pixels) {
    png_destroy_read_struct(&png, &info, nullptr);
    return true;
  }
  const int color = png_get_color_type(png, info);
  png_set_strip_16(png);
  png_set_packing(png);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) {
    png_set_expand_gray_1_2_4_to_8(png);
  }
  const bool has_alpha = (color & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  const bool colour = color == PNG_COLOR_TYPE_RGB || color == PNG_COLOR_TYPE_RGB_ALPHA ||
                      color == PNG_COLOR_TYPE_PALETTE;
  if (channels >= 3 && !colour) png_set_gray_to_rgb(png);
  if (channels == 1 && colour) png_set_rgb_to_gray_fixed(png, 1, 29900, 58700);
  if (channels == 4 && !has_alpha) png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
  if (channels < 4 && has_alpha) png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != static_cast<size_t>(*width) * channels) {
    std::snprintf(error, error_size, "unexpected row layout");
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * static_cast<size_t>(*height)));
  for (int y = 0; y < *height; ++y) rows[y] = pixels + static_cast<size_t>(y) * *width * channels;
  png_read_image(png, const_cast<png_bytep*>(rows));
  png_read_end(png, nullptr);
  std::free(rows);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

Image decode_png(const std::string& bytes, const std::string& name, int channels,
                 int64_t max_pixels) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  // IHDR is the first chunk (libpng insists): its size is checked before libpng reads on.
  if (bytes.size() >= 24 && std::memcmp(data + 12, "IHDR", 4) == 0) {
    auto be32 = [&](size_t at) {
      return (uint32_t{data[at]} << 24) | (uint32_t{data[at + 1]} << 16) |
             (uint32_t{data[at + 2]} << 8) | uint32_t{data[at + 3]};
    };
    check_size(name, be32(16), be32(20), max_pixels);
  }
  int width = 0, height = 0;
  char error[320] = {};
  if (!png_decode(data, bytes.size(), channels, max_pixels, &width, &height, nullptr, error,
                  sizeof(error))) {
    // libpng's own limit names the width or height; say the same as for other formats.
    if (std::strstr(error, "exceeds user limit")) {
      cannot(name, std::string("its size exceeds the limit of ") +
                       std::to_string(max_pixels / 1000000) + " megapixels (" + error + ")");
    }
    cannot(name, std::string("corrupt PNG: ") + error);
  }
  check_size(name, width, height, max_pixels);
  Image image(width, height, channels);
  if (!png_decode(data, bytes.size(), channels, max_pixels, &width, &height, image.pixels.data(),
                  error, sizeof(error))) {
    cannot(name, std::string("corrupt PNG: ") + error);
  }
  return image;
}

// ---- BMP and PNM (stb_image) --------------------------------------------------------------

// A binary PNM's header: the magic, width, height and maxval (with comments and whitespace
// between them), then one whitespace character before the pixels. stb_image 2.27 leaves the
// missing pixels of a truncated file uninitialised and overflows its buffer on some 16-bit
// files (found by tests/fuzz/fuzz_image), so glia checks both here first.
struct PnmHeader {
  int64_t width = 0, height = 0, maxval = 0;
  int64_t data_offset = 0;
  bool readable = true;  // false: a field is missing or longer than 9 digits
};

PnmHeader pnm_header(const std::string& bytes) {
  PnmHeader header;
  size_t at = 2;
  int64_t* fields[] = {&header.width, &header.height, &header.maxval};
  for (int64_t* field : fields) {
    while (at < bytes.size() &&
           (std::isspace(static_cast<unsigned char>(bytes[at])) || bytes[at] == '#')) {
      if (bytes[at] == '#') {
        while (at < bytes.size() && bytes[at] != '\n' && bytes[at] != '\r') ++at;
      } else {
        ++at;
      }
    }
    int digits = 0;
    while (at < bytes.size() && std::isdigit(static_cast<unsigned char>(bytes[at]))) {
      // More than 9 digits would overflow stb's int parser (UBSan, found by fuzz_image).
      if (++digits > 9) {
        header.readable = false;
        return header;
      }
      *field = *field * 10 + (bytes[at] - '0');
      ++at;
    }
    if (digits == 0) header.readable = false;
  }
  header.data_offset = static_cast<int64_t>(at + 1);
  return header;
}

Image decode_stb(const std::string& bytes, const std::string& name, int channels,
                 int64_t max_pixels) {
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int size = static_cast<int>(bytes.size());
  // PNM headers are checked here before stb parses them (see PnmHeader).
  const bool pnm = bytes[0] == 'P';
  const PnmHeader header = pnm ? pnm_header(bytes) : PnmHeader{};
  if (pnm && !header.readable) cannot(name, "corrupt PNM header");
  if (pnm && (header.maxval < 1 || header.maxval > 255)) {
    cannot(name,
           "only 8-bit PNM images are supported (maxval " + std::to_string(header.maxval) + ")");
  }
  int w = 0, h = 0, in_channels = 0;
  if (!stbi_info_from_memory(data, size, &w, &h, &in_channels)) {
    cannot(name, std::string("corrupt image: ") + stbi_failure_reason());
  }
  check_size(name, w, h, max_pixels);
  if (pnm && (header.width != w || header.height != h)) cannot(name, "corrupt PNM header");
  if (pnm && static_cast<int64_t>(bytes.size()) < header.data_offset + int64_t{w} * h * in_channels)
    cannot(name, "the file ends before the image does (truncated)");
  stbi_uc* pixels = stbi_load_from_memory(data, size, &w, &h, &in_channels, channels);
  if (!pixels) cannot(name, std::string("corrupt image: ") + stbi_failure_reason());
  Image image;
  image.width = w;
  image.height = h;
  image.channels = channels;
  image.pixels.assign(pixels, pixels + static_cast<size_t>(w) * h * channels);
  stbi_image_free(pixels);
  return image;
}

bool starts_with(const std::string& bytes, const char* magic, size_t n) {
  return bytes.size() >= n && std::memcmp(bytes.data(), magic, n) == 0;
}

}  // namespace

Image decode_image(const std::string& bytes, const std::string& name, int channels,
                   int64_t max_pixels) {
  if (channels < 1 || channels > 4 || channels == 2) {
    throw std::invalid_argument("glia::io::decode_image: channels must be 1, 3 or 4, got " +
                                std::to_string(channels));
  }
  if (max_pixels < 1) {
    throw std::invalid_argument("glia::io::decode_image: max_pixels must be positive");
  }
  if (bytes.empty()) cannot(name, "empty file");
  if (static_cast<int64_t>(bytes.size()) > kMaxFileBytes) {
    cannot(name, "the file is larger than " + std::to_string(kMaxFileBytes >> 20) + " MB");
  }
  if (starts_with(bytes, "\xFF\xD8\xFF", 3)) return decode_jpeg(bytes, name, channels, max_pixels);
  if (starts_with(bytes, "\x89PNG\r\n\x1A\n", 8))
    return decode_png(bytes, name, channels, max_pixels);
  const bool pnm = bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] >= '5' && bytes[1] <= '6';
  if (starts_with(bytes, "BM", 2) || pnm) return decode_stb(bytes, name, channels, max_pixels);
  cannot(name, "not a JPEG, PNG, BMP or PNM (PGM/PPM) image");
}

Image read_image(const std::string& path, int channels, int64_t max_pixels) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error("cannot open '" + path + "': " + std::strerror(errno));
  const bool sized = std::fseek(file, 0, SEEK_END) == 0;
  const long size = sized ? std::ftell(file) : -1;
  std::fclose(file);
  if (size > kMaxFileBytes) {
    cannot(path, "the file is larger than " + std::to_string(kMaxFileBytes >> 20) + " MB");
  }
  return decode_image(read_file(path), path, channels, max_pixels);
}

namespace {

// The encoders' output, appended to a string (stb_image_write's callback interface).
void append_to_string(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                             static_cast<size_t>(size));
}

void check_encodable(const Image& image, const char* op) {
  if (image.width < 1 || image.height < 1 ||
      (image.channels != 1 && image.channels != 3 && image.channels != 4) ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels) {
    throw std::invalid_argument(std::string("glia::io::") + op + ": a " +
                                std::to_string(image.width) + "x" + std::to_string(image.height) +
                                "x" + std::to_string(image.channels) + " image with " +
                                std::to_string(image.pixels.size()) +
                                " values cannot be encoded (1, 3 or 4 channels, every pixel set)");
  }
}

}  // namespace

std::string encode_png(const Image& image) {
  check_encodable(image, "encode_png");
  std::string encoded;
  if (!stbi_write_png_to_func(append_to_string, &encoded, image.width, image.height, image.channels,
                              image.pixels.data(), image.width * image.channels)) {
    throw std::runtime_error("glia::io::encode_png: the encoder failed");
  }
  return encoded;
}

std::string encode_jpeg(const Image& image, int quality) {
  check_encodable(image, "encode_jpeg");
  if (quality < 1 || quality > 100) {
    throw std::invalid_argument("glia::io::encode_jpeg: quality must be 1 to 100, got " +
                                std::to_string(quality));
  }
  if (image.channels == 4) {
    throw std::invalid_argument("glia::io::encode_jpeg: JPEG has no alpha channel");
  }
  std::string encoded;
  char error[JMSG_LENGTH_MAX + 1];
  if (!jpeg_encode(image.pixels.data(), image.width, image.height, image.channels, quality,
                   &encoded, error, sizeof error)) {
    throw std::runtime_error(std::string("glia::io::encode_jpeg: the encoder failed: ") + error);
  }
  return encoded;
}

void write_png(const std::string& path, const Image& image) {
  write_file_atomically(path, encode_png(image));
}

}  // namespace glia::io
