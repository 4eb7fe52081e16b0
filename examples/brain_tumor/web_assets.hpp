// The web page's files (examples/brain_tumor/web/), built into the program by CMake
// (web/embed.cmake): the page loads nothing from anywhere else.
#pragma once

#include <string>

namespace brain_tumor {

struct WebAsset {
  const char* path;          // "/index.html", "/app.js", ...
  const char* content_type;  // with its charset
  std::string body;
};

// The asset at `path`, or nullptr.
const WebAsset* find_web_asset(const std::string& path);

}  // namespace brain_tumor
