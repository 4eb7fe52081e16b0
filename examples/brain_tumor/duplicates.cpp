#include "duplicates.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <sstream>

#include <glia/io/atomic_file.hpp>
#include <glia/support/union_find.hpp>

#include "cli.hpp"

namespace brain_tumor {
namespace {

constexpr size_t kMaxGroupsFileBytes = 16 << 20;  // a groups file of a million scans is ~50 MB

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t')) fields.push_back(field);
  return fields;
}

}  // namespace

glia::vision::Fingerprint scan_fingerprint(const Image& bgr) {
  const Image blurred = gaussian_blur5(to_gray(bgr));
  std::array<int64_t, 256> histogram{};
  for (uint8_t v : blurred.pixels) ++histogram[v];
  auto percentile = [&](double q) {
    const auto target = static_cast<int64_t>(q * static_cast<double>(blurred.pixels.size()));
    int64_t seen = 0;
    for (int v = 0; v < 256; ++v) {
      seen += histogram[static_cast<size_t>(v)];
      if (seen > target) return v;
    }
    return 255;
  };
  const int low = percentile(0.02), high = percentile(0.98);
  const int threshold = low + (high - low) / 4;
  const Image mask = dilate3x3(erode3x3(threshold_binary(blurred, threshold), 2), 2);
  const std::optional<Box> box = largest_contour_box(mask);
  return glia::vision::fingerprint(box ? crop(bgr, *box) : bgr);
}

void add_threshold_options(CLI::App& command, glia::vision::NearDuplicateOptions& t) {
  command.add_option("--phash", t.phash, "pHash distance that alone marks twins (-1: off)")
      ->check(whole_number(-1, 64))
      ->capture_default_str();
  command.add_option("--dhash", t.dhash, "dHash distance that alone marks twins (-1: off)")
      ->check(whole_number(-1, 64))
      ->capture_default_str();
  command
      .add_option_function<std::string>(
          "--hashes",
          [&t](const std::string& value) {
            const size_t comma = value.find(',');
            long p = 0, d = 0;
            char* end = nullptr;
            if (comma != std::string::npos) {
              p = std::strtol(value.c_str(), &end, 10);
              if (end == value.c_str() + comma) {
                d = std::strtol(value.c_str() + comma + 1, &end, 10);
              }
            }
            if (comma == std::string::npos || *end != '\0' || p < -1 || p > 64 || d < -1 ||
                d > 64) {
              throw CLI::ValidationError("--hashes", "'" + value +
                                                         "' is not P,D: two distances from "
                                                         "-1 to 64");
            }
            t.joint_phash = static_cast<int>(p);
            t.joint_dhash = static_cast<int>(d);
          },
          "pHash and dHash distances that together mark twins (default " +
              std::to_string(t.joint_phash) + "," + std::to_string(t.joint_dhash) + ")")
      ->type_name("P,D");
  command
      .add_option("--ncc", t.ncc,
                  "aligned thumbnail correlation that alone marks twins (above 1: off)")
      ->check(real_number(-1.0, 2.0))
      ->capture_default_str();
  command.add_flag_callback(
      "--no-flips", [&t] { t.flips = false; },
      "compare each scan only as it is, not also mirrored and flipped");
}

void add_duplicate_options(CLI::App& command, DuplicateSettings& settings) {
  add_mode_option(command, "--duplicates", settings.mode,
                  {DuplicatesMode::automatic, DuplicatesMode::exact, DuplicatesMode::near},
                  "near: merge near-duplicate scans (re-encoded, resized, re-cropped, marked) "
                  "as well as identical ones; exact: identical pixels only; auto: near for "
                  "--data, exact for the built-in synthetic scans");
  command.add_option("--groups", settings.groups_file,
                     "a reviewed groups.tsv (from 'brain_tumor duplicates') instead of the "
                     "near-duplicate search");
  add_threshold_options(command, settings.thresholds);
}

DuplicateSettings resolved(DuplicateSettings settings, bool synthetic_scans) {
  if (settings.mode == DuplicatesMode::automatic)
    settings.mode = synthetic_scans ? DuplicatesMode::exact : DuplicatesMode::near;
  if (settings.mode == DuplicatesMode::exact && !settings.groups_file.empty())
    throw UsageError("--groups needs --duplicates near");
  return settings;
}

Json duplicate_settings_json(const DuplicateSettings& s) {
  Json j{{"mode", s.mode}};
  if (s.mode == DuplicatesMode::exact) return j;
  if (!s.groups_file.empty()) {
    j["groups_file"] = s.groups_file;
    return j;
  }
  const glia::vision::NearDuplicateOptions& t = s.thresholds;
  j["thresholds"] = {{"phash", t.phash},
                     {"dhash", t.dhash},
                     {"hashes", {t.joint_phash, t.joint_dhash}},
                     {"ncc", t.ncc},
                     {"ncc_candidates", t.ncc_candidates},
                     {"flips", t.flips}};
  return j;
}

void to_json(nlohmann::json& j, const DuplicateSettings& s) {
  j = nlohmann::json::parse(duplicate_settings_json(s).dump());
}

void from_json(const nlohmann::json& j, DuplicateSettings& d) {
  d = DuplicateSettings();
  d.mode = j.at("mode");
  d.groups_file = j.value("groups_file", std::string());
  if (j.contains("thresholds")) {
    const nlohmann::json& t = j.at("thresholds");
    d.thresholds.phash = t.at("phash");
    d.thresholds.dhash = t.at("dhash");
    d.thresholds.joint_phash = t.at("hashes").at(0);
    d.thresholds.joint_dhash = t.at("hashes").at(1);
    d.thresholds.ncc = t.at("ncc");
    d.thresholds.ncc_candidates = t.at("ncc_candidates");
    d.thresholds.flips = t.at("flips");
  }
}

std::vector<ScanLink> near_duplicate_links(const std::vector<Prepared>& items,
                                           const std::vector<int>& originals,
                                           const glia::vision::NearDuplicateOptions& thresholds) {
  // Both views: the brain regions, then the whole images by the pHash rule alone (the other
  // rules, on whole images, match different scans framed alike: docs/brain_tumor.md); a pair
  // matched in both keeps the brain region's evidence.
  glia::vision::NearDuplicateOptions whole_thresholds;
  whole_thresholds.phash = thresholds.phash;
  whole_thresholds.flips = thresholds.flips;
  whole_thresholds.dhash = whole_thresholds.joint_phash = whole_thresholds.joint_dhash = -1;
  whole_thresholds.ncc = 2.0;
  std::vector<ScanLink> links;
  std::set<std::pair<int, int>> found;
  for (bool whole : {false, true}) {
    std::vector<glia::vision::Fingerprint> prints;
    prints.reserve(originals.size());
    for (int i : originals) {
      const Prepared& p = items[static_cast<size_t>(i)];
      const glia::vision::Fingerprint& f = whole ? p.whole_fingerprint : p.fingerprint;
      if (f.thumbnail.empty()) {
        throw std::logic_error("near_duplicate_links: '" + p.ref.relative + "' has no fingerprint");
      }
      prints.push_back(f);
    }
    for (const glia::vision::Match& m :
         glia::vision::find_near_duplicates(prints, whole ? whole_thresholds : thresholds)) {
      const int a = originals[static_cast<size_t>(m.a)], b = originals[static_cast<size_t>(m.b)];
      if (!found.insert({a, b}).second) continue;
      links.push_back(
          {a, b, glia::vision::rule_name(m.rule), (whole ? "whole image: " : "") + m.evidence()});
    }
  }
  std::sort(links.begin(), links.end(), [](const ScanLink& x, const ScanLink& y) {
    return std::make_pair(x.a, x.b) < std::make_pair(y.a, y.b);
  });
  return links;
}

std::vector<ScanLink> read_groups_file(const std::string& path, const std::vector<Prepared>& items,
                                       const std::vector<int>& originals) {
  std::string text;
  try {
    text = glia::io::read_file(path);
  } catch (const std::exception& e) {
    throw DataError("--groups: " + std::string(e.what()));
  }
  if (text.size() > kMaxGroupsFileBytes) {
    throw DataError("--groups: '" + path + "' is larger than 16 MB; it is not a groups file");
  }
  std::map<std::string, int> item_of;
  for (int i : originals) item_of[items[static_cast<size_t>(i)].ref.relative] = i;
  std::map<std::string, int> first_of_group;  // group -> its first scan
  std::map<int, std::string> group_of_item;
  std::vector<ScanLink> links;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  bool header_seen = false;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> fields = split_tabs(line);
    const std::string where = "--groups: " + path + " line " + std::to_string(number);
    if (!header_seen) {
      header_seen = true;
      if (fields.size() < 2 || fields[0] != "group" || fields[1] != "file") {
        throw DataError(where + ": expected the header 'group<TAB>file<TAB>...'");
      }
      continue;
    }
    if (fields.size() < 2 || fields[0].empty() || fields[1].empty()) {
      throw DataError(where + ": expected a group and a file, tab-separated");
    }
    const auto it = item_of.find(fields[1]);
    if (it == item_of.end()) {
      throw DataError(where + ": '" + fields[1] + "' is not an original scan of the data");
    }
    const auto [seen, fresh] = group_of_item.emplace(it->second, fields[0]);
    if (!fresh && seen->second != fields[0]) {
      throw DataError(where + ": '" + fields[1] + "' is listed in groups " + seen->second +
                      " and " + fields[0]);
    }
    const auto [first, new_group] = first_of_group.emplace(fields[0], it->second);
    if (!new_group && first->second != it->second) {
      links.push_back(
          {first->second, it->second, "reviewed", "groups file line " + std::to_string(number)});
    }
  }
  if (!header_seen) throw DataError("--groups: '" + path + "' has no header line");
  return links;
}

std::vector<ScanLink> find_duplicate_scans(const std::vector<Prepared>& items,
                                           const std::vector<int>& originals,
                                           const DuplicateSettings& settings) {
  std::vector<ScanLink> links = exact_duplicate_links(items, originals);
  if (settings.mode == DuplicatesMode::automatic)
    throw std::logic_error("find_duplicate_scans: mode not resolved");
  if (settings.mode == DuplicatesMode::exact) return links;
  if (!settings.groups_file.empty()) {
    const std::vector<ScanLink> reviewed = read_groups_file(settings.groups_file, items, originals);
    links.insert(links.end(), reviewed.begin(), reviewed.end());
    return links;
  }
  // One representative of each set of identical scans: its twins would match the same way.
  std::vector<int> distinct;
  std::vector<bool> copy(items.size(), false);
  for (const ScanLink& l : links) copy[static_cast<size_t>(l.b)] = true;
  for (int i : originals) {
    if (!copy[static_cast<size_t>(i)]) distinct.push_back(i);
  }
  const std::vector<ScanLink> near = near_duplicate_links(items, distinct, settings.thresholds);
  links.insert(links.end(), near.begin(), near.end());
  return links;
}

std::vector<DuplicateGroup> duplicate_groups(const std::vector<Prepared>& items,
                                             const std::vector<int>& originals,
                                             const std::vector<ScanLink>& links) {
  std::map<int, int> position;  // item -> index in originals
  for (size_t k = 0; k < originals.size(); ++k) position[originals[k]] = static_cast<int>(k);
  glia::UnionFind sets(originals.size());
  for (const ScanLink& l : links) sets.unite(position.at(l.a), position.at(l.b));
  std::map<int, DuplicateGroup> by_root;
  for (size_t k = 0; k < originals.size(); ++k)
    by_root[sets.find(static_cast<int>(k))].scans.push_back(originals[k]);
  for (const ScanLink& l : links) by_root[sets.find(position.at(l.a))].links.push_back(l);
  std::vector<DuplicateGroup> groups;
  for (auto& [root, g] : by_root) {
    if (g.scans.size() < 2) continue;
    auto name = [&](int i) { return items[static_cast<size_t>(i)].ref.relative; };
    std::sort(g.scans.begin(), g.scans.end(), [&](int x, int y) { return name(x) < name(y); });
    for (int i : g.scans)
      g.labels_disagree = g.labels_disagree || items[static_cast<size_t>(i)].ref.label !=
                                                   items[static_cast<size_t>(g.scans[0])].ref.label;
    groups.push_back(std::move(g));
  }
  std::sort(groups.begin(), groups.end(), [&](const DuplicateGroup& x, const DuplicateGroup& y) {
    return items[static_cast<size_t>(x.scans[0])].ref.relative <
           items[static_cast<size_t>(y.scans[0])].ref.relative;
  });
  return groups;
}

std::string groups_tsv(const std::vector<Prepared>& items,
                       const std::vector<DuplicateGroup>& groups) {
  std::ostringstream out;
  out << "group\tfile\tlabel\tlinked_to\tevidence\n";
  for (size_t g = 0; g < groups.size(); ++g) {
    for (int i : groups[g].scans) {
      std::string linked, evidence;
      for (const ScanLink& l : groups[g].links) {
        if (l.b == i || (l.a == i && linked.empty())) {
          linked = items[static_cast<size_t>(l.b == i ? l.a : l.b)].ref.relative;
          evidence = l.kind == "exact" ? "exact" : l.evidence;
          if (l.b == i) break;
        }
      }
      out << g + 1 << "\t" << items[static_cast<size_t>(i)].ref.relative << "\t"
          << (items[static_cast<size_t>(i)].ref.label ? "yes" : "no") << "\t" << linked << "\t"
          << evidence << "\n";
    }
  }
  return out.str();
}

Json merge_counts_json(const std::vector<ScanLink>& merges) {
  Json counts = Json::object();
  for (const char* kind : {"exact", "phash", "dhash", "hashes", "ncc", "reviewed"}) {
    counts[kind] = std::count_if(merges.begin(), merges.end(),
                                 [&](const ScanLink& l) { return l.kind == kind; });
  }
  counts["total"] = merges.size();
  return counts;
}

}  // namespace brain_tumor
