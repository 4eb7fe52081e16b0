// The data set: finding the images, decoding and preprocessing them once into a uint8 cache,
// grouping copies of one scan, and the paper and grouped splits.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <glia/vision/fingerprint.hpp>

#include "errors.hpp"
#include "input_files.hpp"
#include "preprocess.hpp"

namespace brain_tumor {

constexpr int kImageSize = 240;  // the seed network's input is 240 x 240 x 3 (BGR)

// One image as found on disk (or generated): where it is and what it is.
struct ImageRef {
  std::string path;      // file to decode; empty for generated images
  std::string relative;  // path relative to --data, e.g. "yes/Y1.jpg", for reports
  int label = 0;         // 1: tumour ("yes"), 0: no tumour ("no")
  bool augmented = false;
  // The source scan: "<label>/<file name without its last 4 characters>", or for a DICOM image
  // "<label>/series <Series Instance UID>" (a series' slices are one scan).
  std::string scan_key;
  int frame = 0;                 // 1-based frame of a multi-frame DICOM file ("#<frame>" ends
                                 // `relative`); 0 otherwise
  std::string sop_instance_uid;  // DICOM: the image's SOP Instance UID, what outputs name it by
};

// The reference of one image of a file: `file`'s, with the frame and, for DICOM, the series as
// its scan key.
ImageRef ref_of(const ImageRef& file, const InputImage& image);

// Everything under --data: DIR/yes, DIR/no and, if present, DIR/augmented data/{yes,no}.
struct Catalog {
  std::string root;
  std::vector<ImageRef> originals;
  std::vector<ImageRef> augmented;
};

// Lists DIR/yes and DIR/no (and the augmented folder when present), sorted by name. Throws
// DataError naming the folder when DIR, DIR/yes or DIR/no is missing or has no files.
Catalog scan_data_dir(const std::string& dir);

// The images of `dir`/yes and `dir`/no only (for evaluate). Throws DataError like scan_data_dir.
std::vector<ImageRef> list_class_folders(const std::string& dir);

// A preprocessed image: decoded, BGR, cropped to the brain, resized to 240 x 240.
struct Prepared {
  ImageRef ref;
  Image image;                // 240 x 240 x 3, BGR
  uint64_t decoded_hash = 0;  // of the decoded pixels, to find duplicate scans
  bool contour_found = true;
  Box crop;  // the region of the decoded image kept (crop_brain_contour's)
  // To find near-duplicate scans (duplicates.hpp), originals only: of the brain region, and of
  // the whole image (which a crop that the threshold finds differently does not change).
  glia::vision::Fingerprint fingerprint, whole_fingerprint;
};

struct SkippedFile {
  std::string relative;
  std::string reason;
};

struct PreparedSet {
  std::vector<Prepared> items;
  std::vector<SkippedFile> skipped;  // unreadable files, in input order
  int no_contour = 0;                // images kept whole because no contour was found
};

// Decodes and preprocesses every image (in parallel) to image_size x image_size: one item per
// image file, one per frame of a DICOM file. Generated images are taken from `generated` (same
// order as refs with an empty path). Unreadable files are skipped and listed; with `strict`,
// the first one throws DataError instead.
PreparedSet prepare_images(const std::vector<ImageRef>& refs, bool strict,
                           const std::vector<Image>& generated = {}, int image_size = kImageSize);

// Whether preprocess computes an original's fingerprints (for the duplicate search: training
// and cv) or not (predict, explain and serve, which never look for duplicates).
enum class Fingerprints { compute, skip };

// The seed pipeline for one decoded BGR image: crop_brain_contour then a bicubic resize to
// image_size x image_size (240 for the seed network).
Prepared preprocess(const ImageRef& ref, const Image& bgr, int image_size = kImageSize,
                    Fingerprints fingerprints = Fingerprints::compute);

// Two original scans judged to be one, and why: kind "exact" (identical decoded pixels), a
// glia::vision rule ("phash", "dhash", "hashes", "ncc"), or "reviewed" (a groups file).
struct ScanLink {
  int a = 0, b = 0;  // indices into the items
  std::string kind;
  std::string evidence;  // e.g. "phash 3", "ncc 0.962 (mirrored)", "groups.tsv line 7"
};

// Originals with identical decoded pixels: each linked to the first of them.
std::vector<ScanLink> exact_duplicate_links(const std::vector<Prepared>& items,
                                            const std::vector<int>& originals);

// The labels of items[part[i]].
std::vector<int> labels_of(const std::vector<Prepared>& items, const std::vector<int>& part);

// Indices into a data set's items.
struct Split {
  std::vector<int> train, val, test;
  std::vector<int> test_originals;  // grouped split: the held-out original scans
  int groups = 0;                   // grouped split: groups after merging duplicates
  std::vector<ScanLink> merges;     // grouped split: the links that joined two groups
  int label_conflicts = 0;          // grouped split: groups holding scans of both labels
  int merges_of(const std::string& kind) const;  // how many of the merges are of this kind
};

// paper: shuffle the pool with the seed, then 70 / 15 / 15 (sklearn's rounding: the held-out
// 30% is rounded up, and its test half too).
Split paper_split(const std::vector<int>& pool, uint64_t seed);

// The groups of scans: every item belongs to the group of its source scan (its scan_key), and
// linked originals share a group (links applied in order; union-find). Groups are numbered
// arbitrarily.
struct ScanGroups {
  std::vector<int> of_item;      // items[i]'s group, or -1 for an item of neither list
  std::map<int, int> label;      // group -> 0 or 1 (the label of its first scan key)
  std::vector<ScanLink> merges;  // the links that joined two groups
  int label_conflicts = 0;       // groups holding scan keys of both labels
};
ScanGroups group_scans(const std::vector<Prepared>& items, const std::vector<int>& pool,
                       const std::vector<int>& originals, const std::vector<ScanLink>& links);

// grouped: every item belongs to the group of its source scan; linked scans (duplicates) share
// a group. Groups are split 70 / 15 / 15 per label. `train_pool` items (augmented copies, or
// originals when there are none) go to train/val/test by group; `originals` of test groups
// become test_originals.
Split grouped_split(const std::vector<Prepared>& items, const std::vector<int>& train_pool,
                    const std::vector<int>& originals, uint64_t seed,
                    const std::vector<ScanLink>& links);

// Grouped K-fold cross-validation: the groups of each label are shuffled and dealt to the K
// folds in turn, so every group is tested exactly once and the folds keep the label balance.
// Split f tests fold f (test: its pool items, test_originals: its originals); of the other
// groups, 15% of each label validate (model selection) and the rest train. No copy of a test
// scan, nor of a scan linked to it, is ever in train or val.
std::vector<Split> grouped_folds(const std::vector<Prepared>& items,
                                 const std::vector<int>& train_pool,
                                 const std::vector<int>& originals, int folds, uint64_t seed,
                                 const std::vector<ScanLink>& links);

}  // namespace brain_tumor
