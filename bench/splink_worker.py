"""Deduplicate an identities CSV with Splink, using a model built to mirror Harbour's.

Why this file exists: `splink_compare.py` wants to time Splink and measure its peak memory
as a process of its own, the same way it measures `harbour link dedupe`. This worker is that
process. It runs under bench/.venv's python (where Splink and DuckDB are installed), reads
the records, trains and predicts, and writes the predicted clusters as `id,cluster`. It never
reads the `cluster` column (the answer key): scoring is the orchestrator's job, done with the
same code for both tools.

Usage: bench/.venv/bin/python bench/splink_worker.py INPUT.csv OUT.csv META.json
           [--seed N] [--temp-dir DIR] [--predict-chunks N] [--memory-limit 8GB]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import splink
import splink.comparison_level_library as cll
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.comparison_library import CustomComparison

# Thresholds as in the brief: predict keeps pairs at p >= 0.5, clusters join at p >= 0.99.
PREDICT_THRESHOLD = 0.5
CLUSTER_THRESHOLD = 0.99
# Pairs sampled to estimate u (the brief asks for about 1e6..5e6).
U_MAX_PAIRS = 5e6
# Cap on the pairs each EM training rule compares (Splink 5 samples records to stay under it).
EM_MAX_PAIRS = 5e6
# The share of true matches that the deterministic rules used to estimate lambda are assumed
# to find. A prior guess, not read from the answer key.
DETERMINISTIC_RECALL = 0.8
# Prediction runs as one chunk (1 x 1) unless --predict-chunks N asks for N x N. Splink
# materialises the candidate pairs before scoring. With the eight rules below that is about
# 13 million pairs at a million records, and on 2026-11-22 one chunk predicted in about 16 s
# against 39 s for 5 x 5 chunks, for about 110 MB more peak memory, so one chunk is Splink at
# its fastest. Chunks are for less memory: with the earlier, wider rules on a skewed synth
# there were over a billion pairs at a million records, and one chunk filled DuckDB's memory
# limit.
DEFAULT_PREDICT_CHUNKS = 1


# --- Preprocessing: the same normalisation as harbour-link's normalise.rs -------------------

# A name's comparable form: accents folded, lower case, only letters and digits kept, and a
# leading "mac" written "mc" when at least four letters follow ("MacDonald" -> "mcdonald",
# "Mack" stays "mack"). NULL when nothing is left, so Splink treats it as missing.
NORMALISE_MACROS = r"""
CREATE OR REPLACE MACRO fold_name(x) AS
    regexp_replace(lower(strip_accents(coalesce(x, ''))), '[^\pL\pN]', '', 'g');
CREATE OR REPLACE MACRO mac_to_mc(n) AS
    CASE WHEN n LIKE 'mac%' AND length(n) >= 7 THEN 'mc' || substr(n, 4) ELSE n END;
CREATE OR REPLACE MACRO norm_name(x) AS nullif(mac_to_mc(fold_name(x)), '');
CREATE OR REPLACE MACRO compact_postcode(p) AS
    upper(regexp_replace(coalesce(p, ''), '\s', '', 'g'));
"""

# One row per record with the columns the model compares. Postcode sector and district are
# cut from the compact postcode: the inward code is always the last three characters.
NORMALISED_TABLE_SQL = r"""
CREATE OR REPLACE TABLE records AS
WITH raw AS (
    SELECT * FROM read_csv(?, header = true, all_varchar = true)
), cleaned AS (
    SELECT
        id,
        norm_name(given_name) AS given_name,
        norm_name(family_name) AS family_name,
        list_filter(
            list_transform(regexp_split_to_array(coalesce(family_name, ''), '[-\s]+'),
                           lambda p: norm_name(p)),
            lambda p: p IS NOT NULL
        ) AS family_parts,
        try_cast(dob AS DATE) AS dob_date,
        CASE WHEN upper(trim(sex)) IN ('M', 'F') THEN upper(trim(sex)) END AS sex,
        nullif(compact_postcode(postcode), '') AS postcode_compact,
        nullif(upper(trim(upn)), '') AS upn,
        nullif(regexp_replace(coalesce(nhs_number, ''), '[^0-9]', '', 'g'), '')
            AS nhs_number
    FROM raw
)
SELECT
    -- Splink's unique id: an integer, so the candidate-pair tables Splink materialises hold
    -- two integers per pair rather than two strings.
    row_number() OVER (ORDER BY id) AS uid,
    id,
    given_name,
    family_name,
    family_parts,
    strftime(dob_date, '%Y-%m-%d') AS dob,
    year(dob_date) AS dob_year,
    month(dob_date) AS dob_month,
    day(dob_date) AS dob_day,
    sex,
    postcode_compact AS postcode,
    CASE WHEN length(postcode_compact) > 3
         THEN substr(postcode_compact, 1, length(postcode_compact) - 2) END
        AS postcode_sector,
    CASE WHEN length(postcode_compact) > 3
         THEN substr(postcode_compact, 1, length(postcode_compact) - 3) END
        AS postcode_district,
    upn,
    nhs_number
FROM cleaned
"""


def load_records(con: duckdb.DuckDBPyConnection, input_csv: Path) -> int:
    """Reads the CSV into a normalised `records` table; returns the row count."""
    con.execute(NORMALISE_MACROS)
    con.execute(NORMALISED_TABLE_SQL, [str(input_csv)])
    return con.execute("SELECT count(*) FROM records").fetchall()[0][0]


# --- The model: comparisons as in harbour-link's compare.rs ---------------------------------


def name_levels(column: str) -> list:
    """Missing, exact (with term-frequency adjustment), Jaro-Winkler >= 0.95, >= 0.88."""
    return [
        cll.NullLevel(column),
        cll.ExactMatchLevel(column, term_frequency_adjustments=True),
        cll.JaroWinklerLevel(column, 0.95),
        cll.JaroWinklerLevel(column, 0.88),
    ]


def given_name_comparison() -> CustomComparison:
    # Harbour also has a nickname level (Bill/William); Splink has no built-in table, so the
    # pairs Harbour scores there fall to the similarity or "different" levels here.
    return CustomComparison(
        output_column_name="given_name",
        comparison_levels=[*name_levels("given_name"), cll.ElseLevel()],
    )


def family_name_comparison() -> CustomComparison:
    shares_part = cll.CustomLevel(
        "(len(family_parts_l) > 1 OR len(family_parts_r) > 1) "
        "AND list_has_any(family_parts_l, family_parts_r)",
        label_for_charts="one part of a double-barrelled name equal",
        base_dialect_str="duckdb",
    )
    return CustomComparison(
        output_column_name="family_name",
        comparison_levels=[*name_levels("family_name"), shares_part, cll.ElseLevel()],
    )


def dob_comparison() -> CustomComparison:
    swapped = cll.CustomLevel(
        "dob_year_l = dob_year_r AND dob_month_l = dob_day_r AND dob_day_l = dob_month_r",
        label_for_charts="day and month swapped",
    )
    two_of_three = cll.CustomLevel(
        "(CAST(dob_year_l = dob_year_r AS INT) + CAST(dob_month_l = dob_month_r AS INT)"
        " + CAST(dob_day_l = dob_day_r AS INT)) = 2",
        label_for_charts="two of year, month and day agree",
    )
    return CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            swapped,
            two_of_three,
            cll.ElseLevel(),
        ],
    )


def postcode_comparison() -> CustomComparison:
    return CustomComparison(
        output_column_name="postcode",
        comparison_levels=[
            cll.NullLevel("postcode"),
            cll.ExactMatchLevel("postcode", term_frequency_adjustments=True),
            cll.ExactMatchLevel("postcode_sector"),
            cll.ExactMatchLevel("postcode_district"),
            cll.ElseLevel(),
        ],
    )


def exact_or_else(column: str) -> CustomComparison:
    """Agree, disagree, or missing when either side has no value."""
    return CustomComparison(
        output_column_name=column,
        comparison_levels=[cll.NullLevel(column), cll.ExactMatchLevel(column), cll.ElseLevel()],
    )


def prediction_blocking_rules() -> list:
    """The eight rules Harbour uses (crates/harbour-link/src/blocking.rs); Splink unions their pairs."""
    return [
        block_on("upn"),
        block_on("nhs_number"),
        block_on("dob", "substr(family_name, 1, 1)"),
        block_on("dob", "substr(given_name, 1, 1)"),
        block_on("family_name", "given_name", "dob_year"),
        block_on("family_name", "given_name", "postcode_district"),
        block_on("family_name", "dob_year", "least(dob_day, dob_month)", "greatest(dob_day, dob_month)"),
        block_on("postcode", "family_name"),
    ]


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="uid",
        comparisons=[
            given_name_comparison(),
            family_name_comparison(),
            dob_comparison(),
            postcode_comparison(),
            exact_or_else("sex"),
            exact_or_else("upn"),
            exact_or_else("nhs_number"),
        ],
        blocking_rules_to_generate_predictions=prediction_blocking_rules(),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


# --- Training, prediction, clustering --------------------------------------------------------


def train(linker: Linker, seed: int) -> dict:
    """u from random pairs, lambda from near-certain rules, then m by EM on two blockings."""
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("upn"),
            block_on("nhs_number"),
            block_on("given_name", "family_name", "dob"),
        ],
        recall=DETERMINISTIC_RECALL,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=seed)
    # Each EM run leaves the blocked fields' m unestimated; the two together cover all seven.
    for rule in (block_on("dob"), block_on("family_name", "given_name")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=EM_MAX_PAIRS
        )
    return {
        "probability_two_random_records_match": (
            linker._settings_obj._probability_two_random_records_match
        )
    }


def write_clusters(con: duckdb.DuckDBPyConnection, clusters, out_csv: Path) -> int:
    """Writes `id,cluster` for every record; returns the number of predicted clusters."""
    con.execute(
        "COPY (SELECT r.id, c.cluster_id AS cluster "
        f"FROM {clusters.physical_name} c JOIN records r USING (uid) ORDER BY r.id) "
        f"TO '{out_csv}' (HEADER, DELIMITER ',')"
    )
    return con.execute(
        f"SELECT count(DISTINCT cluster_id) FROM {clusters.physical_name}"
    ).fetchall()[0][0]


@contextmanager
def phase(timings: dict, name: str):
    """Records how long a step took, so the summary shows where Splink spends its time."""
    start = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - start, 2)
    print(f"[splink worker] {name}: {timings[name]:.1f} s", file=sys.stderr, flush=True)


def connect(temp_dir: Path | None, memory_limit: str | None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB. It spills to `temp_dir` when over its memory limit (DuckDB's
    default limit is 80% of RAM; its default spill folder is ./.tmp)."""
    con = duckdb.connect()
    if temp_dir is not None:
        con.execute(f"SET temp_directory = '{temp_dir}'")
    if memory_limit is not None:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    return con


def run(input_csv: Path, out_csv: Path, args: argparse.Namespace) -> dict:
    timings: dict[str, float] = {}
    con = connect(args.temp_dir, args.memory_limit)
    with phase(timings, "load_and_normalise_s"):
        records = load_records(con, input_csv)
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register("records"), settings())
    with phase(timings, "train_s"):
        trained = train(linker, args.seed)
    chunks = args.predict_chunks or DEFAULT_PREDICT_CHUNKS
    with phase(timings, "predict_s"):
        pairs = linker.inference.predict(
            threshold_match_probability=PREDICT_THRESHOLD,
            num_chunks_left=chunks,
            num_chunks_right=chunks,
        )
        predicted_pairs = con.execute(
            f"SELECT count(*) FROM {pairs.physical_name}"
        ).fetchall()[0][0]
    with phase(timings, "cluster_s"):
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            pairs, threshold_match_probability=CLUSTER_THRESHOLD
        )
        predicted_clusters = write_clusters(con, clusters, out_csv)
    return {
        "splink_version": splink.__version__,
        "duckdb_version": duckdb.__version__,
        "records": records,
        "predict_chunks": f"{chunks} x {chunks}",
        "duckdb_memory_limit": con.execute(
            "SELECT current_setting('memory_limit')"
        ).fetchall()[0][0],
        "pairs_over_predict_threshold": predicted_pairs,
        "predicted_clusters": predicted_clusters,
        "phases": timings,
        **trained,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("meta", type=Path, help="where to write a JSON summary of the run")
    parser.add_argument("--seed", type=int, default=1, help="seed for u sampling")
    parser.add_argument("--temp-dir", type=Path, help="where DuckDB spills (default ./.tmp)")
    parser.add_argument("--predict-chunks", type=int,
                        help="split prediction into N x N chunks, for less peak memory "
                             "(default: 1, one chunk, the fastest)")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit, e.g. 8GB "
                                               "(default: DuckDB's, 80%% of RAM)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    meta = run(args.input, args.output, args)
    args.meta.write_text(json.dumps(meta, indent=2) + "\n")


if __name__ == "__main__":
    main()
