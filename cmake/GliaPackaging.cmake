# Debian packages with CPack: `cpack -G DEB` in a build directory makes
#   libglia-dev   headers, libglia.a (and libglia_keras.a), CMake package files, glia.pc,
#                 glia_convbench
#   glia-examples brain_tumor
# Configure packages with -DGLIA_NATIVE=OFF, so that they run on any x86-64 CPU (the kernels
# are chosen at run time).
set(CPACK_PACKAGE_NAME glia)
set(CPACK_PACKAGE_VENDOR "the glia developers")
set(CPACK_PACKAGE_CONTACT "glia developers <glia@example.org>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL dev examples)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libglia-dev)
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "glia: a small deep-learning library for the CPU (static library, headers, CMake and pkg-config files, glia_convbench)")
# What a program that links libglia.a needs: the headers it includes (Eigen) and the libraries
# libglia links privately. glia::keras adds HDF5, found through pkg-config; glia::onnx
# adds libonnx and protobuf.
set(glia_dev_depends "libeigen3-dev (>= 3.3), zlib1g-dev, libjpeg62-turbo-dev, libpng-dev, g++")
if(GLIA_HAS_KERAS)
  string(APPEND glia_dev_depends ", libhdf5-dev, pkg-config")
endif()
if(GLIA_HAS_ONNX)
  string(APPEND glia_dev_depends ", libonnx-dev, libprotobuf-dev")
endif()
if(GLIA_HAS_DICOM)
  string(APPEND glia_dev_depends ", libgdcm-dev")
endif()
if(GLIA_HAS_DIST)
  string(APPEND glia_dev_depends ", libopenmpi-dev")
endif()
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${glia_dev_depends}")

set(CPACK_DEBIAN_EXAMPLES_PACKAGE_NAME glia-examples)
set(CPACK_DEBIAN_EXAMPLES_PACKAGE_SECTION science)
set(CPACK_COMPONENT_EXAMPLES_DESCRIPTION
    "glia examples: brain_tumor, the seed paper's brain-tumour MRI classifier")
# brain_tumor serve links Debian's compiled cpp-httplib.
set(glia_examples_depends
    "libc6, libstdc++6, libgcc-s1, libgomp1, zlib1g, libjpeg62-turbo, libpng16-16, libcpp-httplib0.11")
if(GLIA_HAS_KERAS)
  string(APPEND glia_examples_depends ", libhdf5-103-1")
endif()
if(GLIA_HAS_ONNX)
  string(APPEND glia_examples_depends ", libonnx1, libprotobuf32")
endif()
if(GLIA_HAS_DICOM)
  string(APPEND glia_examples_depends ", libgdcm3.0")
endif()
if(GLIA_HAS_DIST)
  string(APPEND glia_examples_depends ", libopenmpi3")
endif()
set(CPACK_DEBIAN_EXAMPLES_PACKAGE_DEPENDS "${glia_examples_depends}")

include(CPack)
