#!/usr/bin/env python3
"""Splink and Harbour deduplicating the same records, side by side in one run.

Why: Harbour's linkage (crates/harbour-link) is a Fellegi-Sunter model written from scratch.
Splink is the reference open-source implementation of the same method, so it is the fairest
yardstick for both accuracy and cost. This script gives both tools the same identities CSV,
scores both predictions with the same code against the `cluster` column (the true person),
and measures each tool as a child process of its own: wall time and peak resident memory.

Standard library only: run it with any python3. The Splink half runs in bench/.venv (see
bench/README.md) through bench/splink_worker.py.

    python3 bench/splink_compare.py --records 100000
    python3 bench/splink_compare.py --input some/identities.csv --skip-harbour --json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "work"
VENV_PYTHON = BENCH / ".venv" / "bin" / "python"
SPLINK_WORKER = BENCH / "splink_worker.py"
DEFAULT_HARBOUR = REPO / "target" / "release" / "harbour"
RECORDS_PER_CHILD = 2.5  # what `harbour synth` writes to identities.csv, on average


class BenchError(Exception):
    """A problem the person running the benchmark can fix; printed without a traceback."""


# --- Running a tool as a measured child process ---------------------------------------------


@dataclass
class Measured:
    wall_s: float
    peak_rss_mb: float
    exit_code: int


def run_measured(cmd: list[str], stdout_path: Path, stderr_path: Path) -> Measured:
    """Runs `cmd` to completion; wall time, and the peak RSS of it and any children it waited
    for (wait4's rusage covers the whole tree below the child, unlike getrusage(CHILDREN),
    which would mix in earlier tools run by this script)."""
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Measured(round(wall, 2), round(usage.ru_maxrss / 1024, 1), proc.returncode)


def tail(path: Path, lines: int = 25) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def check_exit(tool: str, measured: Measured, log: Path) -> None:
    if measured.exit_code != 0:
        raise BenchError(
            f"{tool} exited with code {measured.exit_code}; last lines of {log}:\n{tail(log)}"
        )


# --- Input ----------------------------------------------------------------------------------


def synthesise(harbour: Path, records: int, seed: int) -> Path:
    """Generates about `records` identity rows with `harbour synth`; returns the CSV path."""
    children = max(1, round(records / RECORDS_PER_CHILD))
    out = WORK / f"synth-c{children}-s{seed}"
    if out.exists():
        shutil.rmtree(out)  # synth wants an empty directory; always regenerate, never reuse
    print(f"Generating {children:,} children (seed {seed}) into {out} …", file=sys.stderr)
    result = subprocess.run(
        [str(harbour), "synth", "--children", str(children), "--seed", str(seed),
         "--out", str(out)],
        capture_output=True, text=True, cwd=REPO,
    )
    if result.returncode != 0:
        raise BenchError(f"harbour synth failed:\n{result.stderr}")
    identities = out / "identities.csv"
    if not identities.exists():
        raise BenchError(f"harbour synth wrote no {identities}; is the binary up to date?")
    return identities


def blind_copy(csv_path: Path, run_dir: Path) -> Path:
    """The input without its `cluster` column, for the timed runs: Splink's worker never reads
    the truth, and Harbour, given a truth column, also scores itself (pair completeness, the
    reliability table), which is measuring, not linking, and would be timed with it."""
    out = run_dir / f"{csv_path.stem}-blind.csv"
    with csv_path.open(newline="") as src, out.open("w", newline="") as dst:
        reader = csv.reader(src)
        header = next(reader)
        keep = [i for i, name in enumerate(header) if name != "cluster"]
        writer = csv.writer(dst)
        writer.writerow([header[i] for i in keep])
        for row in reader:
            writer.writerow([row[i] for i in keep])
    return out


def read_column(csv_path: Path, column: str) -> dict[str, str]:
    """id -> value of `column`, for every row."""
    with csv_path.open(newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or "id" not in reader.fieldnames \
                or column not in reader.fieldnames:
            raise BenchError(f"{csv_path} needs columns id and {column}; has {reader.fieldnames}")
        return {row["id"]: row[column] for row in reader}


# --- Scoring: one function for both tools ---------------------------------------------------


def pairs(n: int) -> int:
    return n * (n - 1) // 2


@dataclass
class Scores:
    records: int
    true_clusters: int
    predicted_clusters: int
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    precision: float | None
    recall: float | None
    f1: float | None
    records_missing_from_prediction: int


def pairwise_scores(truth: dict[str, str], predicted: dict[str, str]) -> Scores:
    """Pairwise precision and recall: a pair of records is predicted linked when both are in
    one predicted cluster, truly linked when both are in one true cluster. Records a tool left
    out of its output count as singletons."""
    unknown = predicted.keys() - truth.keys()
    if unknown:
        raise BenchError(f"prediction has {len(unknown)} ids not in the input, e.g. {min(unknown)}")
    missing = truth.keys() - predicted.keys()
    predicted = {**{rid: f"\0singleton:{rid}" for rid in missing}, **predicted}

    true_pairs = sum(pairs(n) for n in Counter(truth.values()).values())
    predicted_pairs = sum(pairs(n) for n in Counter(predicted.values()).values())
    overlap = Counter((predicted[rid], truth[rid]) for rid in truth)
    true_positive = sum(pairs(n) for n in overlap.values())

    precision = true_positive / predicted_pairs if predicted_pairs else None
    recall = true_positive / true_pairs if true_pairs else None
    f1 = (2 * precision * recall / (precision + recall)
          if precision and recall else None)
    return Scores(
        records=len(truth),
        true_clusters=len(set(truth.values())),
        predicted_clusters=len(set(predicted.values())),
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        true_positive_pairs=true_positive,
        precision=precision,
        recall=recall,
        f1=f1,
        records_missing_from_prediction=len(missing),
    )


# --- The two tools --------------------------------------------------------------------------


def check_harbour_link(harbour: Path) -> None:
    """Fails early, before any long run, when the binary cannot `link dedupe` yet."""
    if not harbour.exists():
        raise BenchError(
            f"{harbour} not found. Build it with `cargo build --release -p harbour`, "
            "or pass --harbour PATH."
        )
    probe = subprocess.run([str(harbour), "link", "dedupe", "--help"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        raise BenchError(
            f"{harbour} has no `link dedupe` command (it said: "
            f"{(probe.stderr or probe.stdout).strip().splitlines()[0]}). Rebuild it from a tree "
            "that has the command (`cargo build --release -p harbour`), or pass --skip-harbour."
        )


def check_splink_venv() -> None:
    if not VENV_PYTHON.exists():
        raise BenchError(
            f"{VENV_PYTHON} not found. Set it up once:\n"
            "  python3 -m venv bench/.venv\n"
            "  bench/.venv/bin/pip install -r bench/requirements.txt\n"
            "or pass --skip-splink."
        )


def run_harbour(harbour: Path, input_csv: Path, run_dir: Path, tool: str = "Harbour",
                extra: tuple[str, ...] = ()) -> dict:
    """`harbour link dedupe` on the file; `tool` labels the run (and its files), `extra`
    are more arguments (`--linking-rules 8`)."""
    stem = tool.lower().replace(" ", "-")
    out_csv = run_dir / f"{stem}-clusters.csv"
    stdout, log = run_dir / f"{stem}-stdout.txt", run_dir / f"{stem}-stderr.txt"
    cmd = [str(harbour), "link", "dedupe", "--input", str(input_csv),
           "--output", str(out_csv), "--json", *extra]
    print(f"Running {tool} …", file=sys.stderr)
    measured = run_measured(cmd, stdout, log)
    check_exit("harbour link dedupe", measured, log)
    try:
        report = json.loads(stdout.read_text())
    except json.JSONDecodeError:
        report = None  # kept as a file; the scores do not depend on it
    version = subprocess.run([str(harbour), "--version"], capture_output=True,
                             text=True).stdout.strip()
    return {"tool": tool, "version": version, "clusters_csv": out_csv,
            "measured": measured, "report": report}


def run_splink(input_csv: Path, run_dir: Path, args: argparse.Namespace) -> dict:
    out_csv, meta = run_dir / "splink-clusters.csv", run_dir / "splink-meta.json"
    stdout, log = run_dir / "splink-stdout.txt", run_dir / "splink-log.txt"
    spill = run_dir / "duckdb-tmp"  # DuckDB would otherwise spill into ./.tmp
    cmd = [str(VENV_PYTHON), str(SPLINK_WORKER), str(input_csv), str(out_csv), str(meta),
           "--seed", str(args.seed), "--temp-dir", str(spill)]
    if args.splink_predict_chunks:
        cmd += ["--predict-chunks", str(args.splink_predict_chunks)]
    if args.splink_memory_limit:
        cmd += ["--memory-limit", args.splink_memory_limit]
    print(f"Running Splink (log: {log}) …", file=sys.stderr)
    measured = run_measured(cmd, stdout, log)
    shutil.rmtree(spill, ignore_errors=True)
    check_exit("the Splink worker", measured, log)
    report = json.loads(meta.read_text())
    return {"tool": "Splink", "version": f"splink {report['splink_version']}, "
            f"duckdb {report['duckdb_version']}", "clusters_csv": out_csv,
            "measured": measured, "report": report}


# --- Output ---------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


TABLE_HEADER = (
    "| tool | version | records | true clusters | predicted clusters | precision | recall "
    "| F1 | wall s | peak MB |\n|---|---|---|---|---|---|---|---|---|---|"
)


def table_row(result: dict) -> str:
    s: Scores = result["scores"]
    m: Measured = result["measured"]
    return (f"| {result['tool']} | {result['version']} | {s.records:,} | {s.true_clusters:,} "
            f"| {s.predicted_clusters:,} | {fmt(s.precision)} | {fmt(s.recall)} | {fmt(s.f1)} "
            f"| {m.wall_s:.1f} | {m.peak_rss_mb:,.0f} |")


def summary(input_csv: Path, results: list[dict]) -> dict:
    return {
        "input": str(input_csv),
        "date": time.strftime("%Y-%m-%d"),
        "cores": os.cpu_count(),
        "tools": [
            {"tool": r["tool"], "version": r["version"], "clusters_csv": str(r["clusters_csv"]),
             **asdict(r["measured"]), **asdict(r["scores"]), "report": r["report"]}
            for r in results
        ],
    }


# --- Main -----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Compare Splink and Harbour deduplicating the same records.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--records", type=int, default=100_000,
                        help="generate about this many records with `harbour synth` "
                             "(default 100000)")
    source.add_argument("--input", type=Path,
                        help="an existing identities CSV with a `cluster` column")
    parser.add_argument("--seed", type=int, default=1,
                        help="seed for synth and for Splink's u sampling")
    parser.add_argument("--harbour", type=Path, default=DEFAULT_HARBOUR,
                        help=f"the harbour binary (default {DEFAULT_HARBOUR.relative_to(REPO)})")
    parser.add_argument("--skip-harbour", action="store_true")
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument("--splink-predict-chunks", type=int, metavar="N",
                        help="Splink predicts in N x N chunks, for less peak memory "
                             "(default: 1, one chunk, the fastest)")
    parser.add_argument("--splink-memory-limit", metavar="SIZE",
                        help="DuckDB memory_limit for Splink, e.g. 8GB (default: DuckDB's "
                             "own, 80%% of RAM)")
    parser.add_argument("--no-blocking", action="store_true",
                        help="skip the extra, untimed Harbour run given the truth that "
                             "measures pair completeness")
    parser.add_argument("--json", action="store_true",
                        help="also print a JSON summary after the table")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.skip_harbour and args.skip_splink:
        raise BenchError("nothing to do: both tools skipped")
    if not args.skip_harbour:
        check_harbour_link(args.harbour)
    if not args.skip_splink:
        check_splink_venv()

    WORK.mkdir(parents=True, exist_ok=True)
    if args.input:
        input_csv = args.input.resolve()
        run_dir = WORK / f"run-{input_csv.parent.name}-{input_csv.stem}"
    else:
        if not args.harbour.exists():
            raise BenchError(f"{args.harbour} not found: needed for `harbour synth`.")
        input_csv = synthesise(args.harbour, args.records, args.seed)
        run_dir = WORK / f"run-{input_csv.parent.name}"
    run_dir.mkdir(parents=True, exist_ok=True)
    truth = read_column(input_csv, "cluster")

    blind = blind_copy(input_csv, run_dir)
    results = []
    if not args.skip_harbour:
        results.append(run_harbour(args.harbour, blind, run_dir))
    if not args.skip_splink:
        results.append(run_splink(blind, run_dir, args))
    if not args.skip_harbour and not args.no_blocking:
        # Untimed: the same run given the truth, for its pair completeness.
        measured = run_harbour(args.harbour, input_csv, run_dir, "Harbour with truth")
        if results[0]["report"] is not None:
            results[0]["report"]["pair_completeness"] = \
                (measured["report"] or {}).get("pair_completeness")
    for result in results:
        result["scores"] = pairwise_scores(truth, read_column(result["clusters_csv"], "cluster"))
        missing = result["scores"].records_missing_from_prediction
        if missing:
            print(f"note: {result['tool']} left {missing:,} records out of its output; "
                  "scored as singletons", file=sys.stderr)

    print(TABLE_HEADER)
    for result in results:
        print(table_row(result))
    if args.json:
        print(json.dumps(summary(input_csv, results), indent=2))


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        sys.exit(f"splink_compare: {error}")
