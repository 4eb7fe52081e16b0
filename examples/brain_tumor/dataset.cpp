#include "dataset.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>

#include <glia/data/grouped_kfold.hpp>
#include <glia/support/parallel.hpp>
#include <glia/support/union_find.hpp>
#include <glia/tensor/rng.hpp>
#include <glia/vision/fingerprint.hpp>

#include "duplicates.hpp"

namespace brain_tumor {
namespace fs = std::filesystem;
namespace {

const char* kAugmentedFolder = "augmented data";

std::string scan_key_of(int label, const std::string& stem) {
  return std::to_string(label) + "/" + stem;
}

// The files of a class folder (in its subfolders too: a DICOM series in a folder of its own),
// sorted by name.
std::vector<ImageRef> list_folder(const fs::path& folder, const std::string& relative_prefix,
                                  int label, bool augmented) {
  std::vector<ImageRef> refs;
  for (const std::string& name : files_in_folder(folder.string())) {
    ImageRef r;
    r.path = (folder / name).string();
    r.relative = relative_prefix + name;
    r.label = label;
    r.augmented = augmented;
    // The seed named copies aug_<original name without its last 4 characters>_0_<n>.jpg.
    std::string stem = name.size() > 4 ? name.substr(0, name.size() - 4) : name;
    if (augmented && name.rfind("aug_", 0) == 0) {
      const size_t cut = name.rfind("_0_");
      stem = name.substr(4, cut != std::string::npos && cut > 4 ? cut - 4 : std::string::npos);
    }
    r.scan_key = scan_key_of(label, stem);
    refs.push_back(std::move(r));
  }
  return refs;
}

std::vector<ImageRef> class_folders(const fs::path& root, const std::string& prefix,
                                    bool augmented) {
  std::vector<ImageRef> all;
  for (const auto& [name, label] : {std::pair<const char*, int>{"no", 0}, {"yes", 1}}) {
    const fs::path folder = root / name;
    if (!fs::is_directory(folder)) {
      throw DataError("missing class folder '" + folder.string() + "' (expected " +
                      (root / "yes").string() + " and " + (root / "no").string() + ")");
    }
    std::vector<ImageRef> refs = list_folder(folder, prefix + name + "/", label, augmented);
    if (refs.empty()) throw DataError("class folder '" + folder.string() + "' has no files");
    all.insert(all.end(), refs.begin(), refs.end());
  }
  return all;
}

}  // namespace

ImageRef ref_of(const ImageRef& file, const InputImage& image) {
  ImageRef ref = file;
  ref.frame = image.frame;
  ref.sop_instance_uid = image.sop_instance_uid;
  if (image.frame > 0) ref.relative += "#" + std::to_string(image.frame);
  // The slices of a DICOM series are one scan: never split between train and test.
  if (!image.series_instance_uid.empty())
    ref.scan_key = scan_key_of(file.label, "series " + image.series_instance_uid);
  return ref;
}

namespace {

uint64_t fnv1a(const Image& image) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](uint8_t byte) { h = (h ^ byte) * 1099511628211ull; };
  for (int v : {image.width, image.height, image.channels}) {
    for (int k = 0; k < 4; ++k) mix(static_cast<uint8_t>(v >> (8 * k)));
  }
  for (uint8_t p : image.pixels) mix(p);
  return h;
}

}  // namespace

Catalog scan_data_dir(const std::string& dir) {
  const fs::path root(dir);
  if (!fs::is_directory(root)) throw DataError("data folder '" + dir + "' does not exist");
  Catalog c;
  c.root = dir;
  c.originals = class_folders(root, "", false);
  if (fs::is_directory(root / kAugmentedFolder)) {
    c.augmented = class_folders(root / kAugmentedFolder, std::string(kAugmentedFolder) + "/", true);
  }
  return c;
}

std::vector<ImageRef> list_class_folders(const std::string& dir) {
  if (!fs::is_directory(dir)) throw DataError("data folder '" + dir + "' does not exist");
  return class_folders(fs::path(dir), "", false);
}

Prepared preprocess(const ImageRef& ref, const Image& bgr, int image_size,
                    Fingerprints fingerprints) {
  Prepared p;
  p.ref = ref;
  p.decoded_hash = fnv1a(bgr);
  CropResult cropped = crop_brain_contour(bgr);
  p.contour_found = cropped.found_contour;
  p.crop = cropped.box;
  if (!ref.augmented && fingerprints == Fingerprints::compute) {
    p.fingerprint = scan_fingerprint(bgr);
    p.whole_fingerprint = glia::vision::fingerprint(bgr);
  }
  p.image = resize_bicubic(cropped.image, image_size, image_size);
  return p;
}

PreparedSet prepare_images(const std::vector<ImageRef>& refs, bool strict,
                           const std::vector<Image>& generated, int image_size) {
  std::vector<std::vector<Prepared>> results(refs.size());  // a DICOM file: one per frame
  std::vector<std::string> errors(refs.size());
  size_t next_generated = 0;
  std::vector<size_t> generated_index(refs.size(), 0);
  for (size_t i = 0; i < refs.size(); ++i) {
    if (refs[i].path.empty()) generated_index[i] = next_generated++;
  }
  // DICOM files are decoded first, one at a time, while the worker threads are idle: each is
  // read in a forked child, and a fork while other threads are inside the C++ runtime (a
  // stream's locale, the allocator) can leave the child waiting for a lock that no thread of its
  // own will release (seen as GDCM "not finishing" under load).
  std::vector<std::optional<std::vector<InputImage>>> decoded(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    if (refs[i].path.empty() || !looks_like_dicom(refs[i].path)) continue;
    try {
      decoded[i] = read_input(refs[i].path);
    } catch (const std::exception& e) {
      errors[i] = e.what();
      decoded[i].emplace();  // read, and nothing came of it
    }
  }
  glia::parallel_for(static_cast<int64_t>(refs.size()), [&](int64_t i) {
    const ImageRef& ref = refs[static_cast<size_t>(i)];
    try {
      if (ref.path.empty()) {
        results[static_cast<size_t>(i)].push_back(
            preprocess(ref, generated.at(generated_index[static_cast<size_t>(i)]), image_size));
        return;
      }
      const std::optional<std::vector<InputImage>>& early = decoded[static_cast<size_t>(i)];
      for (const InputImage& image : early ? *early : read_input(ref.path))
        results[static_cast<size_t>(i)].push_back(
            preprocess(ref_of(ref, image), image.bgr, image_size));
    } catch (const std::exception& e) {
      errors[static_cast<size_t>(i)] = e.what();
    }
  });
  PreparedSet set;
  for (size_t i = 0; i < refs.size(); ++i) {
    if (results[i].empty()) {
      if (strict) throw DataError("unreadable image '" + refs[i].relative + "': " + errors[i]);
      set.skipped.push_back({refs[i].relative, errors[i]});
      continue;
    }
    for (Prepared& p : results[i]) {
      if (!p.contour_found) ++set.no_contour;
      set.items.push_back(std::move(p));
    }
  }
  return set;
}

Split paper_split(const std::vector<int>& pool, uint64_t seed) {
  std::vector<int> order = pool;
  glia::Rng rng(seed);
  rng.shuffle(order);
  const size_t n = order.size();
  const size_t held_out = static_cast<size_t>(std::ceil(0.3 * static_cast<double>(n)));
  const size_t test = static_cast<size_t>(std::ceil(0.5 * static_cast<double>(held_out)));
  Split s;
  s.train.assign(order.begin(), order.begin() + static_cast<long>(n - held_out));
  s.val.assign(order.begin() + static_cast<long>(n - held_out),
               order.end() - static_cast<long>(test));
  s.test.assign(order.end() - static_cast<long>(test), order.end());
  return s;
}

std::vector<ScanLink> exact_duplicate_links(const std::vector<Prepared>& items,
                                            const std::vector<int>& originals) {
  std::vector<ScanLink> links;
  std::map<uint64_t, int> first_with_hash;
  for (int i : originals) {
    auto [it, inserted] = first_with_hash.emplace(items[static_cast<size_t>(i)].decoded_hash, i);
    if (!inserted) links.push_back({it->second, i, "exact", "identical pixels"});
  }
  return links;
}

int Split::merges_of(const std::string& kind) const {
  return static_cast<int>(std::count_if(merges.begin(), merges.end(),
                                        [&](const ScanLink& l) { return l.kind == kind; }));
}

ScanGroups group_scans(const std::vector<Prepared>& items, const std::vector<int>& pool,
                       const std::vector<int>& originals, const std::vector<ScanLink>& links) {
  // One node per scan key; linked originals are united.
  std::map<std::string, int> key_index;
  auto node_of = [&](const std::string& key) {
    auto [it, inserted] = key_index.emplace(key, static_cast<int>(key_index.size()));
    return it->second;
  };
  for (int i : originals) node_of(items[static_cast<size_t>(i)].ref.scan_key);
  for (int i : pool) node_of(items[static_cast<size_t>(i)].ref.scan_key);
  glia::UnionFind uf(key_index.size());
  ScanGroups g;
  for (const ScanLink& link : links) {
    const auto a = key_index.find(items[static_cast<size_t>(link.a)].ref.scan_key);
    const auto b = key_index.find(items[static_cast<size_t>(link.b)].ref.scan_key);
    if (a == key_index.end() || b == key_index.end()) continue;  // a scan of neither list
    if (uf.unite(a->second, b->second)) g.merges.push_back(link);
  }
  // Each group's label is the label of its lowest-numbered scan key (keys start "<label>/").
  std::map<int, std::set<char>> labels_in;
  for (const auto& [key, node] : key_index) {
    const int root = uf.find(node);
    if (!g.label.count(root)) g.label[root] = key[0] == '1' ? 1 : 0;
    labels_in[root].insert(key[0]);
  }
  for (const auto& [root, labels] : labels_in) g.label_conflicts += labels.size() > 1;
  for (size_t i = 0; i < items.size(); ++i) {
    auto it = key_index.find(items[i].ref.scan_key);
    g.of_item.push_back(it == key_index.end() ? -1 : uf.find(it->second));
  }
  return g;
}

namespace {

// The groups' labels in group order (ascending group number), for glia::data.
std::vector<int> labels_in_order(const ScanGroups& groups, std::vector<int>& ids) {
  std::vector<int> labels;
  for (const auto& [root, label] : groups.label) {
    ids.push_back(root);
    labels.push_back(label);
  }
  return labels;
}

// Puts each item where its group's part says; the originals of test groups also go to
// test_originals.
Split assign_parts(const ScanGroups& groups, const std::vector<int>& ids,
                   const std::vector<glia::data::Part>& parts, const std::vector<int>& train_pool,
                   const std::vector<int>& originals) {
  std::map<int, glia::data::Part> part;  // group -> its part
  for (size_t g = 0; g < ids.size(); ++g) part[ids[g]] = parts[g];
  Split s;
  s.merges = groups.merges;
  s.label_conflicts = groups.label_conflicts;
  s.groups = static_cast<int>(groups.label.size());
  auto part_of = [&](int item) { return part.at(groups.of_item[static_cast<size_t>(item)]); };
  for (int i : train_pool) {
    const glia::data::Part where = part_of(i);
    (where == glia::data::Part::train ? s.train
     : where == glia::data::Part::val ? s.val
                                      : s.test)
        .push_back(i);
  }
  for (int i : originals) {
    if (part_of(i) == glia::data::Part::test) s.test_originals.push_back(i);
  }
  return s;
}

}  // namespace

Split grouped_split(const std::vector<Prepared>& items, const std::vector<int>& train_pool,
                    const std::vector<int>& originals, uint64_t seed,
                    const std::vector<ScanLink>& links) {
  const ScanGroups groups = group_scans(items, train_pool, originals, links);
  std::vector<int> ids;
  const std::vector<int> labels = labels_in_order(groups, ids);
  return assign_parts(groups, ids, glia::data::grouped_split(labels, seed), train_pool, originals);
}

std::vector<Split> grouped_folds(const std::vector<Prepared>& items,
                                 const std::vector<int>& train_pool,
                                 const std::vector<int>& originals, int folds, uint64_t seed,
                                 const std::vector<ScanLink>& links) {
  const ScanGroups groups = group_scans(items, train_pool, originals, links);
  std::vector<int> ids;
  const std::vector<int> labels = labels_in_order(groups, ids);
  std::vector<Split> out;
  for (const std::vector<glia::data::Part>& parts : glia::data::grouped_kfold(labels, folds, seed))
    out.push_back(assign_parts(groups, ids, parts, train_pool, originals));
  return out;
}

std::vector<int> labels_of(const std::vector<Prepared>& items, const std::vector<int>& part) {
  std::vector<int> labels;
  for (int i : part) labels.push_back(items[static_cast<size_t>(i)].ref.label);
  return labels;
}

}  // namespace brain_tumor
