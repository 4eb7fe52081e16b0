// glia::io image decoding: OpenCV's pixels for JPEG and PNG, errors on corrupt and oversized files.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <zlib.h>

#include <glia/io/image.hpp>

using glia::io::decode_image;
using glia::io::Image;
using glia::io::read_image;

namespace {

const std::string kData = GLIA_TEST_DATA_DIR;

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void put_u32(std::string& s, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xFF));
}

// A PNG signature and IHDR chunk (valid CRC) declaring width x height RGB, then `rest`.
std::string png_header(uint32_t width, uint32_t height, const std::string& rest = "") {
  std::string chunk = "IHDR";
  put_u32(chunk, width);
  put_u32(chunk, height);
  chunk += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit, RGB, deflate, no filter, no interlace
  std::string png = "\x89PNG\r\n\x1A\n";
  put_u32(png, 13);
  png += chunk;
  put_u32(png, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(chunk.data()),
                                           static_cast<uInt>(chunk.size()))));
  return png + rest;
}

std::string message_of(const std::string& bytes, const std::string& name, int64_t max_pixels) {
  try {
    decode_image(bytes, name, 3, max_pixels);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("image: JPEG and PNG decode to exactly OpenCV's pixels", "[image]") {
  // tests/golden/make_image_golden.py: cv2.imread of baseline, progressive and grayscale JPEGs
  // and a PNG, as BGR.
  std::ifstream golden(kData + "/image_decoded.txt");
  REQUIRE(golden);
  std::string line;
  std::getline(golden, line);  // comment
  int files = 0;
  std::string name;
  while (golden >> name) {
    int w = 0, h = 0, c = 0;
    golden >> w >> h >> c;
    INFO(name);
    const Image rgb = read_image(kData + "/" + name, 3);
    REQUIRE(rgb.width == w);
    REQUIRE(rgb.height == h);
    REQUIRE(rgb.channels == c);
    int mismatches = 0;
    for (size_t i = 0; i < rgb.pixels.size(); ++i) {
      int expected = 0;
      golden >> expected;
      const size_t pixel = i / 3, channel = i % 3;
      mismatches += rgb.pixels[pixel * 3 + (2 - channel)] != expected;  // BGR vs RGB
    }
    CHECK(mismatches == 0);
    ++files;
  }
  CHECK(files == 4);
}

TEST_CASE("image: PNG round trip through write_png", "[image]") {
  Image image(7, 5, 3);
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>(i * 37);
  const std::string path = "glia_test_image_round_trip.png";
  glia::io::write_png(path, image);
  const Image back = read_image(path, 3);
  std::remove(path.c_str());
  CHECK(back.width == 7);
  CHECK(back.height == 5);
  CHECK(back.pixels == image.pixels);
  const Image gray = decode_image(file_bytes(kData + "/image_color.png"), "x.png", 1);
  CHECK(gray.channels == 1);
  CHECK(gray.pixels.size() == 40u * 30u);
}

TEST_CASE("image: a 9-byte JPEG with an oversized Huffman table is an error, not a crash",
          "[image][regression]") {
  // Debian's stb_image 2.27 wrote past its Huffman table on these bytes (UBSan: index 257).
  const std::string bytes("\xFF\xD8\xFF\xC4\x00\x15\x01\xFF\xD9", 9);
  const std::string message = message_of(bytes, "tiny.jpg", glia::io::kDefaultMaxPixels);
  CHECK_THAT(message, Catch::Contains("cannot decode 'tiny.jpg'"));
  CHECK_THAT(message, Catch::Contains("JPEG"));
}

TEST_CASE("image: a header declaring 26000 x 26000 pixels is refused before decoding",
          "[image][regression]") {
  // The PNG of the report: 657 KB declaring 676 megapixels cost 5.95 GB and minutes.
  const std::string png = png_header(26000, 26000, std::string(1000, '\0'));
  const auto start = std::chrono::steady_clock::now();
  const std::string message = message_of(png, "huge.png", glia::io::kDefaultMaxPixels);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK_THAT(message, Catch::Contains("'huge.png'"));
  CHECK_THAT(message, Catch::Contains("26000 x 26000"));
  CHECK_THAT(message, Catch::Contains("over the limit of 50.0 megapixels"));
  CHECK(seconds < 1.0);  // a bound on work done, not a benchmark: decoding would take minutes

  // The limit is the caller's: the 40 x 30 PNG passes at 1200 pixels and is refused at 1199.
  const std::string small = file_bytes(kData + "/image_color.png");
  CHECK_NOTHROW(decode_image(small, "s.png", 3, 1200));
  CHECK_THAT(message_of(small, "s.png", 1199), Catch::Contains("40 x 30"));
  const std::string jpeg = file_bytes(kData + "/image_baseline.jpg");
  CHECK_THAT(message_of(jpeg, "s.jpg", 1199), Catch::Contains("40 x 30"));
}

TEST_CASE("image: truncated, corrupt and unknown files name the file and the problem",
          "[image][errors]") {
  for (const char* file : {"image_baseline.jpg", "image_progressive.jpg", "image_color.png"}) {
    INFO(file);
    const std::string bytes = file_bytes(kData + "/" + file);
    for (size_t keep : {size_t{3}, size_t{20}, bytes.size() / 2, bytes.size() - 1}) {
      INFO("first " << keep << " bytes");
      // A truncated JPEG decodes partially in libjpeg (the rest grey) with a warning; glia
      // treats any warning as corruption.
      CHECK_THAT(message_of(bytes.substr(0, keep), file, glia::io::kDefaultMaxPixels),
                 Catch::Contains(std::string("cannot decode '") + file + "'"));
    }
  }
  CHECK_THAT(message_of("GIF89a....", "a.gif", glia::io::kDefaultMaxPixels),
             Catch::Contains("not a JPEG, PNG, BMP or PNM"));
  CHECK_THAT(message_of("", "empty.png", glia::io::kDefaultMaxPixels),
             Catch::Contains("empty file"));
  CHECK_THAT(message_of(png_header(0, 10), "zero.png", glia::io::kDefaultMaxPixels),
             Catch::Contains("'zero.png'"));
  CHECK_THROWS_WITH(read_image("no/such/file.png"), Catch::Contains("no/such/file.png"));
  CHECK_THROWS_AS(decode_image("x", "x", 2), std::invalid_argument);
}

TEST_CASE("image: PNM and BMP still decode (stb_image, size checked from the header)", "[image]") {
  const std::string pgm =
      std::string("P5\n3 2\n255\n") + std::string("\x00\x40\x80\xC0\xFF\x10", 6);
  const Image gray = decode_image(pgm, "a.pgm", 1);
  CHECK(gray.width == 3);
  CHECK(gray.height == 2);
  CHECK(gray.pixels == std::vector<uint8_t>{0x00, 0x40, 0x80, 0xC0, 0xFF, 0x10});
  CHECK_THAT(message_of(pgm, "a.pgm", 5), Catch::Contains("3 x 2"));
  CHECK_THAT(message_of("P5\n3 2\n255\n\x01", "short.pgm", glia::io::kDefaultMaxPixels),
             Catch::Contains("'short.pgm'"));
  // Found by fuzz_image: a 16-bit PGM overflowed stb 2.27's buffer (ASan, stbi__convert_16_to_8).
  const std::string pgm16 = std::string("P5\n5\n2 655\n") + std::string(17, '\x7F');
  CHECK_THAT(message_of(pgm16, "deep.pgm", glia::io::kDefaultMaxPixels),
             Catch::Contains("'deep.pgm'") && Catch::Contains("only 8-bit PNM"));
}
