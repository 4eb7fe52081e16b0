#!/usr/bin/python3
"""Prints the results table (markdown) from the report.json files of reproduce.sh's runs."""
import json
import os
import statistics
import sys


def main(out):
    rows = []
    for split in ("paper", "grouped"):
        reports = []
        for seed in (1, 2, 3):
            path = os.path.join(out, "%s-seed%d" % (split, seed), "report.json")
            if os.path.exists(path):
                with open(path) as f:
                    reports.append(json.load(f))
        if not reports:
            continue
        print("\n### %s split\n" % split)
        print("| seed | best epoch | val acc | test acc | test F1 | test AUC | original-scan acc | original-scan F1 | wall s | peak MB |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in reports:
            orig = r.get("test_original_scans")
            print("| %d | %d | %.3f | %.3f | %.3f | %.3f | %s | %s | %.0f | %.0f |" % (
                r["seed"], r["best_epoch"], r["val"]["accuracy"], r["test"]["accuracy"],
                r["test"]["f1"], r["test"]["roc_auc"],
                "%.3f" % orig["accuracy"] if orig else "-", "%.3f" % orig["f1"] if orig else "-",
                r["wall_seconds"], r["peak_memory_mb"]))
        for key in ("accuracy", "f1"):
            values = [r["test"][key] for r in reports]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            print("\nmean test %s: %.3f (sd %.3f, min %.3f, max %.3f, n=%d)" % (
                key, statistics.mean(values), spread, min(values), max(values), len(values)))
        if reports[0].get("test_original_scans"):
            for key in ("accuracy", "f1"):
                values = [r["test_original_scans"][key] for r in reports]
                print("mean original-scan %s: %.3f (min %.3f, max %.3f)" % (
                    key, statistics.mean(values), min(values), max(values)))


if __name__ == "__main__":
    main(sys.argv[1])
