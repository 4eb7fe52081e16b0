// Pieces of self-contained HTML pages (the duplicates contact sheet): escaping, and images
// embedded as base64 data URIs, so that a page is one file that loads nothing else.
#pragma once

#include <string>

#include <glia/io/image.hpp>

namespace brain_tumor {

// Text safe inside an element or a quoted attribute.
std::string html_escape(const std::string& text);

// RFC 4648 base64 (with padding).
std::string base64(const std::string& bytes);

// "data:<mime>;base64,...": `bytes` as a URI an <img> can show.
std::string data_uri(const std::string& mime, const std::string& bytes);

// The image scaled (aspect kept) to fit `max_side` pixels, as a JPEG data URI.
std::string thumbnail_uri(const glia::io::Image& image, int max_side);

}  // namespace brain_tumor
