// brain_tumor duplicates: the groups of scans that are one scan saved more than once, for a
// person to check: printed with the evidence of every link, written to groups.tsv (which
// train and cv take back with --groups) and drawn in a contact sheet.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <glia/support/union_find.hpp>

#include "commands.hpp"
#include "dataset.hpp"
#include "duplicates.hpp"
#include "html.hpp"
#include "run_folder.hpp"

namespace brain_tumor {
namespace {

struct DuplicatesOptions {
  std::string data, out = "runs/duplicates";
  DuplicateSettings settings;
  bool force = false;
  int threads = 0;
};

// The thresholds loosened by a step, for the contact sheet's "near misses" a reviewer should see.
glia::vision::NearDuplicateOptions loosened(glia::vision::NearDuplicateOptions t) {
  auto widen = [](int d, int by) { return d < 0 ? d : std::min(64, d + by); };
  t.phash = widen(t.phash, 4);
  t.dhash = widen(t.dhash, 3);
  t.joint_phash = widen(t.joint_phash, 4);
  t.joint_dhash = widen(t.joint_dhash, 3);
  if (t.ncc <= 1.0) t.ncc -= 0.05;
  t.ncc_candidates = std::min(t.ncc_candidates, t.ncc);
  return t;
}

std::string figure(const Prepared& p, const std::string& note) {
  glia::io::Image image;
  try {
    image = read_frame(p.ref.path, p.ref.frame).bgr;
  } catch (const std::exception&) {
    return "<figure><figcaption>" + html_escape(p.ref.relative) +
           " (unreadable)</figcaption></figure>";
  }
  return "<figure><img src=\"" + thumbnail_uri(image, 180) + "\" alt=\"" +
         html_escape(p.ref.relative) + "\"><figcaption><b>" + html_escape(p.ref.relative) +
         "</b> (" + (p.ref.label ? "yes" : "no") + ")" +
         (note.empty() ? "" : "<br>" + html_escape(note)) + "</figcaption></figure>";
}

std::string contact_sheet(const std::vector<Prepared>& items,
                          const std::vector<DuplicateGroup>& groups,
                          const std::vector<ScanLink>& near_misses, const std::string& summary) {
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>Duplicate scans</title><style>"
          "body{font-family:sans-serif;margin:1.5em;background:#fff;color:#111}"
          "section{display:inline-block;vertical-align:top;border:1px solid #bbb;border-radius:6px;"
          "margin:.5em;padding:.4em .8em}"
          "section.conflict{border:3px solid #b00020}"
          "h2{font-size:1.1em;margin:.3em 0}figure{display:inline-block;margin:.4em;"
          "vertical-align:top;max-width:200px}figcaption{font-size:.85em;overflow-wrap:anywhere}"
          "img{max-width:180px;max-height:180px;display:block;background:#000}"
          "</style></head><body>\n<h1>Duplicate scans</h1>\n<p>"
       << html_escape(summary)
       << "</p>\n<p>Each group below was judged to be one scan saved more than once. Check "
          "each by eye; to change a grouping, edit groups.tsv and pass it to train or cv with "
          "--groups.</p>\n";
  for (size_t g = 0; g < groups.size(); ++g) {
    const DuplicateGroup& group = groups[g];
    html << "<section" << (group.labels_disagree ? " class=\"conflict\"" : "") << "><h2>Group "
         << g + 1 << ": " << group.scans.size() << " scans"
         << (group.labels_disagree ? " &mdash; LABELS DISAGREE (yes and no)" : "") << "</h2>\n";
    for (int i : group.scans) {
      std::string note;
      for (const ScanLink& l : group.links) {
        if (l.b == i)
          note = "= " + items[static_cast<size_t>(l.a)].ref.relative + ": " + l.evidence;
      }
      html << figure(items[static_cast<size_t>(i)], note) << "\n";
    }
    html << "</section>\n";
  }
  html << "<h1>Near misses</h1>\n<p>Pairs just outside the thresholds, not merged: check that "
          "none is one scan.</p>\n";
  for (const ScanLink& l : near_misses) {
    html << "<section><h2>" << html_escape(l.evidence) << "</h2>\n"
         << figure(items[static_cast<size_t>(l.a)], "")
         << figure(items[static_cast<size_t>(l.b)], "") << "</section>\n";
  }
  html << "</body></html>\n";
  return html.str();
}

int run_duplicates(const DuplicatesOptions& given) {
  DuplicatesOptions o = given;
  o.settings = resolved(o.settings, false);
  apply_threads(o.threads);
  const std::vector<ImageRef> refs = list_class_folders(o.data);
  RunFolder folder(o.out, false, o.force);
  const auto start = std::chrono::steady_clock::now();
  const PreparedSet prepared = prepare_images(refs, false, {}, 32);
  for (const SkippedFile& s : prepared.skipped) {
    std::cerr << kWarningPrefix << "skipped '" << s.relative << "': " << s.reason << "\n";
  }
  const std::vector<Prepared>& items = prepared.items;
  std::vector<int> originals(items.size());
  for (size_t i = 0; i < items.size(); ++i) originals[i] = static_cast<int>(i);
  const double read_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::vector<ScanLink> links = find_duplicate_scans(items, originals, o.settings);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::vector<DuplicateGroup> groups = duplicate_groups(items, originals, links);

  size_t in_groups = 0, conflicts = 0;
  for (const DuplicateGroup& g : groups) {
    in_groups += g.scans.size();
    conflicts += g.labels_disagree;
  }
  std::map<std::string, int> kinds;
  for (const ScanLink& l : links) ++kinds[l.kind];
  std::string kind_text;
  for (const auto& [kind, n] : kinds)
    kind_text += (kind_text.empty() ? "" : ", ") + std::to_string(n) + " " + kind;
  char summary[512];
  std::snprintf(summary, sizeof(summary),
                "%zu original scans in %s: %zu groups of two or more hold %zu scans (links: %s); "
                "%zu group%s with labels that disagree; %.2f s (%.2f s reading and "
                "fingerprinting)",
                items.size(), o.data.c_str(), groups.size(), in_groups,
                kind_text.empty() ? "none" : kind_text.c_str(), conflicts,
                conflicts == 1 ? "" : "s", seconds, read_seconds);
  std::printf("%s\n", summary);
  for (size_t g = 0; g < groups.size(); ++g) {
    const DuplicateGroup& group = groups[g];
    std::printf("group %zu (%zu scans)%s:", g + 1, group.scans.size(),
                group.labels_disagree ? " LABELS DISAGREE" : "");
    for (int i : group.scans)
      std::printf(" %s", items[static_cast<size_t>(i)].ref.relative.c_str());
    std::printf("\n");
    for (const ScanLink& l : group.links) {
      std::printf("  %s ~ %s: %s\n", items[static_cast<size_t>(l.b)].ref.relative.c_str(),
                  items[static_cast<size_t>(l.a)].ref.relative.c_str(), l.evidence.c_str());
    }
  }
  // Near misses: matches under looser thresholds between scans the strict ones left apart.
  std::vector<ScanLink> near_misses;
  if (o.settings.mode == DuplicatesMode::near) {
    glia::UnionFind joined(items.size());
    for (const ScanLink& l : links) joined.unite(l.a, l.b);
    std::vector<int> distinct;
    std::set<int> seen_roots;
    for (int i : originals) {
      if (seen_roots.insert(joined.find(i)).second) distinct.push_back(i);
    }
    for (const ScanLink& l : near_duplicate_links(items, distinct, loosened(o.settings.thresholds)))
      near_misses.push_back(l);
  }
  glia::io::write_file_atomically(folder.file("groups.tsv"), groups_tsv(items, groups));
  glia::io::write_file_atomically(folder.file("contact_sheet.html"),
                                  contact_sheet(items, groups, near_misses, summary));
  std::printf("%zu near misses (looser thresholds) for review in the contact sheet\n",
              near_misses.size());
  std::printf("wrote %s/{groups.tsv, contact_sheet.html}\n", o.out.c_str());
  return 0;
}

}  // namespace

Command add_duplicates_command(CLI::App& app) {
  auto options = std::make_shared<DuplicatesOptions>();
  CLI::App* cmd = app.add_subcommand(
      "duplicates", "find scans saved more than once (identical or near duplicates)");
  cmd->footer(
      "Compares every pair of original scans (DIR/yes and DIR/no) on their brain crops: "
      "identical pixels, perceptual and difference hashes, and an aligned thumbnail "
      "correlation, each also mirrored and flipped. Prints every group with its evidence and "
      "writes groups.tsv and contact_sheet.html (each group's scans side by side, groups whose "
      "labels disagree marked, and the near misses) for a person to check; train and cv take "
      "the reviewed groups.tsv with --groups.");
  cmd->add_option("--data", options->data, "DIR/yes and DIR/no")->required();
  cmd->add_option("--out", options->out, "output folder")->capture_default_str();
  add_duplicate_options(*cmd, options->settings);
  cmd->add_flag("--force", options->force, "write into --out even if it already holds files");
  add_threads_option(*cmd, options->threads);
  add_input_options(*cmd);
  return {cmd, [options] { return run_duplicates(*options); }};
}

}  // namespace brain_tumor
