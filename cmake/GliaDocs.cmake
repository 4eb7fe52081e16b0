# `cmake --build build --target docs`: the API reference (HTML) from the public headers, by
# Debian's doxygen. Every public name must be documented: an undocumented one fails the build.
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  message(STATUS "glia: doxygen not found; no 'docs' target (apt-get install doxygen)")
  return()
endif()
set(DOXYGEN_PROJECT_NAME glia)
set(DOXYGEN_PROJECT_BRIEF "${PROJECT_DESCRIPTION}")
set(DOXYGEN_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/docs)
set(DOXYGEN_GENERATE_LATEX NO)
set(DOXYGEN_STRIP_FROM_PATH ${PROJECT_SOURCE_DIR}/include)
set(DOXYGEN_STRIP_FROM_INC_PATH ${PROJECT_SOURCE_DIR}/include)
set(DOXYGEN_FULL_PATH_NAMES YES)
set(DOXYGEN_EXTRACT_ALL NO)          # so that an undocumented name is reported, not hidden
set(DOXYGEN_EXTRACT_STATIC YES)
set(DOXYGEN_WARN_IF_UNDOCUMENTED YES)
set(DOXYGEN_WARN_NO_PARAMDOC NO)     # glia documents parameters in prose
set(DOXYGEN_WARN_AS_ERROR FAIL_ON_WARNINGS)
set(DOXYGEN_DISTRIBUTE_GROUP_DOC YES)  # one comment for a group of accessors
set(DOXYGEN_MARKDOWN_SUPPORT YES)
set(DOXYGEN_AUTOLINK_SUPPORT NO)     # prose words are not links
set(DOXYGEN_SORT_MEMBER_DOCS NO)     # members in the order the header explains them
set(DOXYGEN_EXCLUDE_SYMBOLS "detail" "*::detail::*")
set(DOXYGEN_PREDEFINED "GLIA_DOXYGEN")
set(DOXYGEN_HAVE_DOT NO)
set(DOXYGEN_QUIET YES)
doxygen_add_docs(docs ${PROJECT_SOURCE_DIR}/include/glia
  COMMENT "glia API reference (build/docs/html/index.html)")
