#!/usr/bin/python3
"""Prints the cross-validation tables (markdown) from reproduce_cv.sh's runs: each seed's pooled
figures from its cv.json, their mean, and the same figures without test-time flips when
oof_predictions_no_tta.tsv exists (accuracy at 0.5, ROC AUC, ECE with 10 bins, as cv computes
them)."""
import json
import os
import statistics
import sys


def read_predictions(path):
    labels, probs = [], []
    with open(path) as f:
        next(f)
        for line in f:
            fields = line.rstrip("\n").split("\t")
            labels.append(int(fields[1]))
            probs.append(float(fields[2]))
    return labels, probs


def roc_auc(labels, probs):
    # Mann-Whitney U with tied probabilities sharing their mean rank.
    order = sorted(range(len(probs)), key=lambda i: probs[i])
    ranks = [0.0] * len(probs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and probs[order[j + 1]] == probs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    positives = sum(labels)
    negatives = len(labels) - positives
    rank_sum = sum(r for r, y in zip(ranks, labels) if y == 1)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def ece(labels, probs, bins=10):
    total = 0.0
    for b in range(bins):
        members = [i for i, p in enumerate(probs) if min(int(p * bins), bins - 1) == b]
        if members:
            mean_p = sum(probs[i] for i in members) / len(members)
            fraction = sum(labels[i] for i in members) / len(members)
            total += abs(mean_p - fraction) * len(members)
    return total / len(labels)


def figures(labels, probs):
    accuracy = sum((p >= 0.5) == (y == 1) for y, p in zip(labels, probs)) / len(labels)
    return accuracy, roc_auc(labels, probs), ece(labels, probs)


def main(out, recipe):
    rows, plain = [], []
    for seed in (1, 2, 3):
        run = os.path.join(out, "%s-seed%d" % (recipe, seed))
        path = os.path.join(run, "cv.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            cv = json.load(f)
        rows.append((seed, cv))
        no_tta = os.path.join(run, "oof_predictions_no_tta.tsv")
        if os.path.exists(no_tta):
            plain.append((seed, figures(*read_predictions(no_tta))))
    print("\n### recipe %s, 5-fold cross-validation\n" % recipe)
    print("| seed | accuracy (95% CI) | ROC AUC (95% CI) | F1 | ECE | log loss | Brier | wall | peak MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for seed, cv in rows:
        p = cv["pooled"]
        print("| %d | %.3f (%.3f-%.3f) | %.3f (%.3f-%.3f) | %.3f | %.3f | %.3f | %.3f | %.1f min | %.0f |" % (
            seed, p["accuracy"], p["accuracy_ci95"][0], p["accuracy_ci95"][1], p["roc_auc"],
            p["roc_auc_ci95"][0], p["roc_auc_ci95"][1], p["f1"], p["ece"], p["loss"], p["brier"],
            cv["wall_seconds"] / 60, cv["peak_memory_mb"]))
    if len(rows) > 1:
        mean = lambda key: statistics.mean(cv["pooled"][key] for _, cv in rows)
        sd = lambda key: statistics.stdev(cv["pooled"][key] for _, cv in rows)
        print("| mean | %.3f (sd %.3f) | %.3f (sd %.3f) | %.3f | %.3f | %.3f | %.3f | | |" % (
            mean("accuracy"), sd("accuracy"), mean("roc_auc"), sd("roc_auc"), mean("f1"),
            mean("ece"), mean("loss"), mean("brier")))
    if len(rows) > 1:
        # Each scan's probabilities from every seed averaged: still out of fold, since no seed's
        # model that tested a scan had trained on it.
        by_file = {}
        for seed, _ in rows:
            path = os.path.join(out, "%s-seed%d" % (recipe, seed), "oof_predictions.tsv")
            with open(path) as f:
                next(f)
                for line in f:
                    fields = line.rstrip("\n").split("\t")
                    by_file.setdefault(fields[0], (int(fields[1]), []))[1].append(float(fields[2]))
        labels = [label for label, _ in by_file.values()]
        probs = [statistics.mean(p) for _, p in by_file.values()]
        print("\nthe %d seeds' out-of-fold probabilities averaged per scan (an ensemble): "
              "accuracy %.3f, ROC AUC %.3f, ECE %.3f" % ((len(rows),) + figures(labels, probs)))
    if plain:
        print("\n### the same models without test-time flips\n")
        print("| seed | accuracy | ROC AUC | ECE |")
        print("|---|---|---|---|")
        for seed, (accuracy, auc, calibration) in plain:
            print("| %d | %.3f | %.3f | %.3f |" % (seed, accuracy, auc, calibration))
        if len(plain) > 1:
            print("| mean | %.3f | %.3f | %.3f |" % tuple(
                statistics.mean(f[k] for _, f in plain) for k in range(3)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "glia")
