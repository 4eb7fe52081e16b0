// Duplicate scans: one scan saved twice, found on the original scans' brain crops (identical
// pixels, or near duplicates by glia::vision), or read from a reviewed groups.tsv; and the
// --duplicates, --groups and threshold options that train, cv and duplicates share.
//
// groups.tsv, written by `brain_tumor duplicates` and read by --groups: a header line, then one
// line per scan of every group of two or more, tab-separated:
//   group  file  label  linked_to  evidence
// `group` numbers the groups from 1; `file` is relative to --data ("yes/Y30.jpg"); the other
// columns say which scan of the group it was linked to and why ("phash 2"), and are ignored on
// reading. A reviewer edits it by moving lines between groups (or adding lines); scans it does
// not list are alone. Identical pixels are merged whatever it says.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <glia/vision/near_duplicates.hpp>

#include "dataset.hpp"
#include "modes.hpp"
#include "report.hpp"

namespace brain_tumor {

struct DuplicateSettings {
  // "exact": identical pixels only; "near": near duplicates too; "auto" (the option's default):
  // near for files, exact for the built-in synthetic scans, which are distinct by construction
  // (and alike enough that the near-duplicate rules would merge them).
  DuplicatesMode mode = DuplicatesMode::automatic;
  glia::vision::NearDuplicateOptions thresholds;
  std::string groups_file;  // a reviewed groups.tsv instead of the near-duplicate search
};

// The fingerprint of a scan (BGR): of its brain region, found as crop_brain_contour finds it
// but with a threshold set between the image's own dark and bright levels (its 2nd and 98th
// percentiles of blurred grey, a quarter of the way up) instead of the seed's fixed 45, so that a
// brighter, darker or flatter copy of a scan crops the same.
glia::vision::Fingerprint scan_fingerprint(const Image& bgr);

// The settings with the automatic mode resolved (near for files, exact for the built-in
// synthetic scans); UsageError when --groups comes with --duplicates exact.
DuplicateSettings resolved(DuplicateSettings settings, bool synthetic_scans);

// --duplicates exact|near, --groups FILE and the thresholds (add_threshold_options).
void add_duplicate_options(CLI::App& command, DuplicateSettings& settings);
// --phash N, --dhash N, --hashes P,D, --ncc X, --no-flips.
void add_threshold_options(CLI::App& command, glia::vision::NearDuplicateOptions& thresholds);

// What run.json, report.json and cv.json record of the settings, and reading it back.
Json duplicate_settings_json(const DuplicateSettings& settings);
void to_json(nlohmann::json& j, const DuplicateSettings& settings);
void from_json(const nlohmann::json& j, DuplicateSettings& settings);

// The links between duplicate originals: identical pixels always, then near duplicates (mode
// "near") from the groups file when one is given, else from the near-duplicate search. Needs the
// originals' fingerprints (prepare_images computes them). DataError names a bad groups file.
std::vector<ScanLink> find_duplicate_scans(const std::vector<Prepared>& items,
                                           const std::vector<int>& originals,
                                           const DuplicateSettings& settings);

// The near-duplicate matches among `originals` (indices into items), as links.
std::vector<ScanLink> near_duplicate_links(const std::vector<Prepared>& items,
                                           const std::vector<int>& originals,
                                           const glia::vision::NearDuplicateOptions& thresholds);

// The scans of a reviewed groups file as links between each group's scans (kind "reviewed").
// DataError names the file and line of a malformed line or a scan that is not in `originals`.
std::vector<ScanLink> read_groups_file(const std::string& path, const std::vector<Prepared>& items,
                                       const std::vector<int>& originals);

// One group of duplicates: its scans (indices into items, in name order) and the links that
// joined them.
struct DuplicateGroup {
  std::vector<int> scans;
  std::vector<ScanLink> links;
  bool labels_disagree = false;  // a scan of yes/ and one of no/
};
// The groups of two or more scans that `links` make among the originals, in order of their
// first scan's name.
std::vector<DuplicateGroup> duplicate_groups(const std::vector<Prepared>& items,
                                             const std::vector<int>& originals,
                                             const std::vector<ScanLink>& links);

// groups.tsv's text (see the file's description).
std::string groups_tsv(const std::vector<Prepared>& items,
                       const std::vector<DuplicateGroup>& groups);

// {"exact": n, "phash": n, ...}: how many merges of each kind a split made, and in total.
Json merge_counts_json(const std::vector<ScanLink>& merges);

}  // namespace brain_tumor
