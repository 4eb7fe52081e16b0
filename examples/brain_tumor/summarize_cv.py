#!/usr/bin/python3
"""Prints the cross-validation tables (markdown) from reproduce_cv.sh's runs.

summarize_cv.py OUT glia|seed: each seed's pooled figures from its cv.json (with the ECE's 95%
bootstrap interval, and the ECE a perfectly calibrated model would show on as many scans), their
mean, the seeds' ensemble, and the same models with fewer test-time flips when oof_predictions_hflip.tsv /
oof_predictions_no_tta.tsv exist (accuracy at 0.5, ROC AUC, ECE with 10 bins, as cv computes
them), and for glia a post hoc temperature per fold fitted on the other folds' out-of-fold
predictions. summarize_cv.py OUT ablation: the rows of ablation_rows.txt. summarize_cv.py OUT exact: the glia
runs with near duplicates merged against the same seeds with identical files merged only, and the
twins the latter split across folds. summarize_cv.py OUT retune: the rows of retune_rows.txt on
the tuning seeds, each against the recipe on the same folds (paired)."""
import json
import math
import os
import random
import statistics
import sys


def log_loss(pooled):
    """The pooled log loss: "log_loss" since glia 0.3, "loss" before."""
    return pooled["log_loss"] if "log_loss" in pooled else pooled["loss"]

def read_folds(path):
    """(label, prob, fold) per scan of an oof_predictions*.tsv (file label prob fold)."""
    with open(path) as f:
        next(f)
        return [(int(y), float(p), int(k)) for _, y, p, k in
                (line.rstrip("\n").split("\t") for line in f)]


def read_predictions(path):
    """The labels and the probabilities of an oof_predictions*.tsv."""
    rows = read_folds(path)
    return [y for y, _, _ in rows], [p for _, p, _ in rows]


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
    """Expected calibration error with equal-width bins, as cv computes it."""
    prob_sums, label_sums = [0.0] * bins, [0] * bins
    for y, p in zip(labels, probs):
        b = min(int(p * bins), bins - 1)
        prob_sums[b] += p
        label_sums[b] += y
    return sum(abs(prob_sums[b] - label_sums[b]) for b in range(bins)) / len(labels)


def percentiles(values):
    """The 2.5th and 97.5th percentiles of a list."""
    values = sorted(values)
    return values[int(0.025 * (len(values) - 1))], values[int(0.975 * (len(values) - 1))]


def ece_interval(labels, probs, resamples=2000, seed=1):
    """The ECE's 95% bootstrap interval over the scans (as cv's intervals for accuracy and AUC)."""
    rng, n = random.Random(seed), len(labels)
    values = []
    for _ in range(resamples):
        picks = [rng.randrange(n) for _ in range(n)]
        values.append(ece([labels[i] for i in picks], [probs[i] for i in picks]))
    return percentiles(values)


def calibrated_ece(probs, measured, draws=2000, seed=1):
    """The ECE that a perfectly calibrated model with these probabilities would still show on this
    many scans, each label drawn from its own probability: the mean and 95% range of that floor,
    and the share of draws at or above the measured ECE (how often calibration alone would look
    this bad)."""
    rng = random.Random(seed)
    values = [ece([int(rng.random() < p) for p in probs], probs) for _ in range(draws)]
    return (statistics.mean(values),) + percentiles(values) + (
        sum(v >= measured for v in values) / draws,)


def correct(label, prob):
    """Whether a scan's verdict is right: positive when the probability is above 0.5, as cv."""
    return (prob > 0.5) == (label == 1)


def read_rows(name):
    """(name, settings, description) of each row of a rows file beside this script."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name)) as f:
        return [line.rstrip("\n").split("|") for line in f
                if line.strip() and not line.startswith("#")]


def figures(labels, probs):
    accuracy = sum(correct(y, p) for y, p in zip(labels, probs)) / len(labels)
    return accuracy, roc_auc(labels, probs), ece(labels, probs)


def logit(p):
    p = min(max(p, 1e-7), 1 - 1e-7)
    return math.log(p / (1 - p))


def fit_temperature(pairs):
    """The temperature (0.05-4, step 0.01) with the lowest log loss of (label, prob) pairs."""
    def loss(t):
        total = 0.0
        for y, p in pairs:
            q = min(max(1 / (1 + math.exp(-logit(p) / t)), 1e-12), 1 - 1e-12)
            total -= math.log(q) if y == 1 else math.log(1 - q)
        return total
    return min((loss(i / 100), i / 100) for i in range(5, 401))[1]


def cross_fitted_temperature(run):
    """Post hoc: each fold's probabilities rescaled by the temperature fitted on the other folds'
    out-of-fold predictions (no scan's own label calibrates it). Returns the temperatures and the
    figures of the rescaled predictions."""
    rows = read_folds(os.path.join(run, "oof_predictions.tsv"))
    temperatures, labels, probs = [], [], []
    for fold in sorted({k for _, _, k in rows}):
        t = fit_temperature([(y, p) for y, p, k in rows if k != fold])
        temperatures.append(t)
        for y, p, k in rows:
            if k == fold:
                labels.append(y)
                probs.append(1 / (1 + math.exp(-logit(p) / t)))
    return temperatures, figures(labels, probs)


def read_cv(run):
    path = os.path.join(run, "cv.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def recipe_tables(out, recipe):
    rows, tta = [], {}
    for seed in (1, 2, 3):
        run = os.path.join(out, "%s-seed%d" % (recipe, seed))
        cv = read_cv(run)
        if cv is None:
            continue
        rows.append((seed, cv))
        for name in ("hflip", "no_tta"):
            path = os.path.join(run, "oof_predictions_%s.tsv" % name)
            if os.path.exists(path):
                tta.setdefault(name, []).append((seed, figures(*read_predictions(path))))
    print("\n### recipe %s, 5-fold cross-validation\n" % recipe)
    print("| seed | accuracy (95% CI) | ROC AUC (95% CI) | F1 | ECE (95% CI) | log loss | Brier | wall | peak MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    floors = []
    for seed, cv in rows:
        p = cv["pooled"]
        labels, probs = read_predictions(os.path.join(out, "%s-seed%d" % (recipe, seed),
                                                      "oof_predictions.tsv"))
        floors.append((seed, calibrated_ece(probs, p["ece"])))
        print("| %d | %.3f (%.3f-%.3f) | %.3f (%.3f-%.3f) | %.3f | %.3f (%.3f-%.3f) | %.3f | %.3f | %.1f min | %.0f |" % (
            (seed, p["accuracy"], p["accuracy_ci95"][0], p["accuracy_ci95"][1], p["roc_auc"],
             p["roc_auc_ci95"][0], p["roc_auc_ci95"][1], p["f1"], p["ece"])
            + ece_interval(labels, probs) + (log_loss(p), p["brier"], cv["wall_seconds"] / 60,
                                              cv["peak_memory_mb"])))
    if len(rows) > 1:
        mean = lambda key: statistics.mean(cv["pooled"][key] for _, cv in rows)
        sd = lambda key: statistics.stdev(cv["pooled"][key] for _, cv in rows)
        print("| mean | %.3f (sd %.3f) | %.3f (sd %.3f) | %.3f | %.3f (sd %.3f) | %.3f | %.3f | | |" % (
            mean("accuracy"), sd("accuracy"), mean("roc_auc"), sd("roc_auc"), mean("f1"),
            mean("ece"), sd("ece"), statistics.mean(log_loss(cv["pooled"]) for _, cv in rows),
            mean("brier")))
    if floors:
        print("\nthe ECE a perfectly calibrated model with the same probabilities would show on "
              "these %d scans (labels drawn from the probabilities, 2000 draws): %s" % (
                  rows[0][1]["pooled"]["count"],
                  "; ".join("seed %d %.3f (95%%: %.3f-%.3f; at or above the measured ECE in %.0f%% of "
                            "draws)" % ((seed,) + floor[:3] + (100 * floor[3],))
                            for seed, floor in floors)))
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
    if recipe == "glia" and rows:
        print("\n### post hoc: temperatures cross-fitted on the other folds' predictions\n")
        print("| seed | temperatures (folds 1-5) | accuracy | ROC AUC | ECE |")
        print("|---|---|---|---|---|")
        for seed, _ in rows:
            run = os.path.join(out, "%s-seed%d" % (recipe, seed))
            temperatures, (accuracy, auc, calibration) = cross_fitted_temperature(run)
            print("| %d | %s | %.3f | %.3f | %.3f |" % (
                seed, ", ".join("%.2f" % t for t in temperatures), accuracy, auc, calibration))
    titles = {"hflip": "horizontal flips only", "no_tta": "no flips"}
    for name, results in tta.items():
        print("\n### the same models at test time with %s\n" % titles[name])
        print("| seed | accuracy | ROC AUC | ECE |")
        print("|---|---|---|---|")
        for seed, (accuracy, auc, calibration) in results:
            print("| %d | %.3f | %.3f | %.3f |" % (seed, accuracy, auc, calibration))
        if len(results) > 1:
            print("| mean | %.3f | %.3f | %.3f |" % tuple(
                statistics.mean(f[k] for _, f in results) for k in range(3)))


def ablation_table(out):
    print("\n### what each part bought (seed 102, one thread)\n")
    print("| row | settings on top of the glia recipe | accuracy (95% CI) | ROC AUC (95% CI) | ECE | wall |")
    print("|---|---|---|---|---|---|")
    for name, settings, description in read_rows("ablation_rows.txt"):
        cv = read_cv(os.path.join(out, "ablation", name))
        if cv is None:
            print("| %s | `%s` | not run | | | |" % (description, settings or "none"))
            continue
        p = cv["pooled"]
        print("| %s | `%s` | %.3f (%.3f-%.3f) | %.3f (%.3f-%.3f) | %.3f | %.1f min |" % (
            description, settings or "none", p["accuracy"], p["accuracy_ci95"][0],
            p["accuracy_ci95"][1], p["roc_auc"], p["roc_auc_ci95"][0], p["roc_auc_ci95"][1],
            p["ece"], cv["wall_seconds"] / 60))
    again = (("size96", "vflip", "the size96 row's models with vertical flips too"),
             ("recipe", "hflip", "the recipe's models with horizontal flips only"))
    for name, views, title in again:
        path = os.path.join(out, "ablation", name, "oof_predictions_%s.tsv" % views)
        if os.path.exists(path):
            print("\n%s at test time: accuracy %.3f, ROC AUC %.3f, ECE %.3f"
                  % ((title,) + figures(*read_predictions(path))))


def read_oof(run):
    """{file: (label, prob, fold)} of a run's oof_predictions.tsv."""
    with open(os.path.join(run, "oof_predictions.tsv")) as f:
        next(f)
        return {name: (int(y), float(p), int(k)) for name, y, p, k in
                (line.rstrip("\n").split("\t") for line in f)}


def leak_table(out):
    """Each seed's glia run with near duplicates merged (glia-seedN) beside the same seed with
    identical files merged only (glia-exact-seedN): the pooled figures, and the twins that the
    exact-only run put in different folds (a near-duplicate group of the merged run whose scans
    the exact-only run tested in more than one fold), with the accuracy on those scans."""
    print("\n### near duplicates merged, against identical files merged only (glia recipe)\n")
    print("| seed | merged | accuracy (95% CI) | ROC AUC (95% CI) | ECE | twin groups split | "
          "twin pairs split | accuracy on their scans | on the other scans |")
    print("|---|---|---|---|---|---|---|---|---|")
    for seed in (1, 2, 3):
        near_run = os.path.join(out, "glia-seed%d" % seed)
        exact_run = os.path.join(out, "glia-exact-seed%d" % seed)
        near_cv, exact_cv = read_cv(near_run), read_cv(exact_run)
        if near_cv is None or exact_cv is None:
            continue
        near, exact = read_oof(near_run), read_oof(exact_run)
        groups = {}
        with open(os.path.join(near_run, "groups.tsv")) as f:
            next(f)
            for line in f:
                group, name = line.split("\t")[:2]
                groups.setdefault(group, []).append(name)
        split_groups, split_pairs, scans = 0, 0, set()
        for names in groups.values():
            pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
                     if exact[a][2] != exact[b][2]]
            split_groups += bool(pairs)
            split_pairs += len(pairs)
            scans.update(x for pair in pairs for x in pair)
        rest = [name for name in exact if name not in scans]
        accuracy = lambda oof, names: statistics.mean(
            correct(*oof[n][:2]) for n in names) if names else float("nan")
        for label, cv, oof in (("identical only", exact_cv, exact), ("near too", near_cv, near)):
            p = cv["pooled"]
            merged = cv.get("duplicate_scans_merged", {}).get("total", 0)
            print("| %d | %s (%d scans) | %.3f (%.3f-%.3f) | %.3f (%.3f-%.3f) | %.3f | %s | %s | "
                  "%.3f (%d) | %.3f (%d) |" % (
                      seed, label, merged, p["accuracy"], p["accuracy_ci95"][0],
                      p["accuracy_ci95"][1], p["roc_auc"], p["roc_auc_ci95"][0],
                      p["roc_auc_ci95"][1], p["ece"],
                      "%d of %d" % (split_groups, len(groups)) if oof is exact else "0",
                      split_pairs if oof is exact else 0, accuracy(oof, sorted(scans)),
                      len(scans), accuracy(oof, rest), len(rest)))


def paired_difference(base, other, resamples=2000, seed=1):
    """Accuracy of other minus base on the same scans (both {file: (label, prob, fold)}, the
    same folds), its 95% paired bootstrap interval, and the scans only base / only other gets
    right."""
    deltas = [correct(*other[n][:2]) - correct(*base[n][:2]) for n in sorted(base)]
    rng = random.Random(seed)
    draws = [statistics.mean(deltas[rng.randrange(len(deltas))] for _ in deltas)
             for _ in range(resamples)]
    return (statistics.mean(deltas),) + percentiles(draws) + (
        deltas.count(-1), deltas.count(1))


def retune_table(out):
    seeds = (101, 102)
    print("\n### candidate changes on the tuning seeds, near duplicates merged (one thread)\n")
    print("| row | seed | accuracy (95% CI) | ROC AUC (95% CI) | ECE | accuracy minus the "
          "recipe's, same folds (95% paired CI) | scans only the recipe / only this row gets "
          "right | wall |")
    print("|---|---|---|---|---|---|---|---|")
    rows = read_rows("retune_rows.txt")
    base_name = rows[0][0]
    for name, _, description in rows:
        results = []
        for seed in seeds:
            run = os.path.join(out, "retune", "%s-seed%d" % (name, seed))
            cv = read_cv(run)
            if cv is None:
                print("| %s | %d | not run | | | | | |" % (description, seed))
                continue
            p = cv["pooled"]
            results.append(p)
            base_run = os.path.join(out, "retune", "%s-seed%d" % (base_name, seed))
            paired = "| |"
            if name != base_name and read_cv(base_run) is not None:
                d = paired_difference(read_oof(base_run), read_oof(run))
                paired = "%+.3f (%+.3f to %+.3f) | %d / %d |" % d
            print("| %s | %d | %.3f (%.3f-%.3f) | %.3f (%.3f-%.3f) | %.3f | %s %.1f min |" % (
                description, seed, p["accuracy"], p["accuracy_ci95"][0], p["accuracy_ci95"][1],
                p["roc_auc"], p["roc_auc_ci95"][0], p["roc_auc_ci95"][1], p["ece"], paired,
                cv["wall_seconds"] / 60))
        if len(results) == len(seeds):
            print("| %s | mean | %.3f | %.3f | %.3f | | | |" % ((description,) + tuple(
                statistics.mean(p[k] for p in results) for k in ("accuracy", "roc_auc", "ece"))))


def main(out, what):
    if what == "ablation":
        ablation_table(out)
    elif what == "retune":
        retune_table(out)
    elif what == "exact":
        leak_table(out)
    else:
        recipe_tables(out, what)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "glia")
