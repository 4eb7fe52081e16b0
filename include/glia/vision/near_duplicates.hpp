/// @file
/// Near-duplicate images: which of a set of images are the same picture saved twice in another
/// form (re-encoded, resized, cropped a little, brightened, mirrored, with a mark drawn on it),
/// and the groups they form.
///
///   std::vector<vision::Fingerprint> prints;
///   for (const io::Image& image : images) prints.push_back(vision::fingerprint(image));
///   const std::vector<vision::Match> matches = vision::find_near_duplicates(prints);
///   const vision::Groups groups = vision::group_matches(prints.size(), matches);
///
/// Every pair is compared in its best orientation (fingerprint.hpp) by three measures, and is a
/// match when one of the rules in NearDuplicateOptions holds:
///   phash        pHash Hamming distance <= phash
///   dhash        dHash Hamming distance <= dhash
///   hashes       pHash <= joint_phash and dHash <= joint_dhash (two weak signs that agree)
///   ncc          aligned NCC >= ncc: the highest normalised cross-correlation of one thumbnail
///                with the other's canvases over kCanvasScales and shifts of up to kMaxShift
///                pixels, taken both ways round
/// The aligned NCC is the costly measure (3 scales x 49 shifts of a 32 x 32 dot product, both
/// ways), so it is computed only for pairs whose plain NCC (the thumbnails' dot product) is at
/// least ncc_candidates. On 2,000 images all pairs take about a second on two cores
/// (bench: BM_NearDuplicates); docs/brain_tumor.md gives each rule's precision and recall.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "glia/vision/fingerprint.hpp"

namespace glia::vision {

/// The thresholds of the match rules (see the file's description). A negative Hamming
/// threshold, or an NCC threshold above 1, turns its rule off.
struct NearDuplicateOptions {
  int phash = 4;         ///< pHash distance that alone makes a match
  int dhash = 2;         ///< dHash distance that alone makes a match
  int joint_phash = 10;  ///< pHash distance that makes a match together with joint_dhash
  int joint_dhash = 10;  ///< dHash distance that makes a match together with joint_phash
  double ncc = 0.95;            ///< aligned NCC that alone makes a match
  double ncc_candidates = 0.6;  ///< plain NCC below which the aligned NCC is not computed
  bool flips = true;  ///< also compare each image with the other's mirrored and flipped views
};

/// The rule that made a match.
enum class Rule : uint8_t { phash, dhash, hashes, ncc };
/// "phash", "dhash", "hashes", "ncc".
const char* rule_name(Rule rule);

/// A pair of images judged to be one picture, with the evidence: every measure's value in the
/// pair's best orientation, and the first rule (in the order of Rule) that held.
struct Match {
  ///@{
  /// the two images, a < b
  int a = 0, b = 0;
  ///@}
  Rule rule = Rule::phash;  ///< the first rule that held
  Orientation orientation = Orientation::identity;  ///< b's view that matched a
  int phash_distance = 64;                          ///< pHash distance in that orientation
  int dhash_distance = 64;                          ///< dHash distance in that orientation
  float plain_ncc = 0;     ///< the thumbnails' dot product
  float aligned_ncc = -1;  ///< -1 when not computed (plain NCC below ncc_candidates)
  /// "phash 3" or "ncc 0.973": the rule and the value it tested.
  std::string evidence() const;
};

/// Every matching pair of the fingerprinted images, sorted by (a, b). Throws
/// std::invalid_argument for a malformed fingerprint or options out of range.
std::vector<Match> find_near_duplicates(const std::vector<Fingerprint>& prints,
                                        const NearDuplicateOptions& options = {});

/// Images grouped by their matches (union-find: a match joins two groups, and so every image
/// linked through a chain of matches).
struct Groups {
  /// the group of image i, named by its smallest member
  std::vector<int> of;
  /// the matches that joined two groups, in the order they were applied (strongest evidence
  /// first: lowest pHash distance, then highest NCC); the others linked images already joined
  std::vector<Match> merges;
  /// the number of groups
  int count = 0;
};

/// Groups `n` images by `matches` (indices in [0, n)).
Groups group_matches(size_t n, const std::vector<Match>& matches);

}  // namespace glia::vision
