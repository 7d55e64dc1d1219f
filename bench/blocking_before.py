#!/usr/bin/env python3
"""Pair completeness of Harbour's blocking as it was before issue 15 (the eight exact rules,
blocks over 1,000 skipped), for sets scored with a binary that cannot report it itself.

Why: the old `link dedupe --json` gave the candidate count but not how many true pairs were
among them. This replays the eight rules of crates/harbour-link/src/blocking.rs at commit
70639e1 on the same normalised fields (names folded to lower-case letters and digits with
Mac written Mc; ISO or day/month/year dates; postcodes without spaces, dropped when under
5 characters; the district all but the last three) and counts. It checks itself: the
candidate count it prints should equal the old binary's `candidate_pairs`.

    python3 bench/blocking_before.py bench/work/data/febrl3.csv …
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
import sys
import unicodedata
from collections import defaultdict

MAX_BLOCK = 1000


def name(text: str) -> str:
    text = unicodedata.normalize("NFD", text)
    folded = "".join(c for c in text if not unicodedata.combining(c)).lower()
    folded = "".join(c for c in folded if c.isalnum())
    if folded.startswith("mac") and len(folded) - 3 >= 4:
        folded = "mc" + folded[3:]
    return folded


def date(text: str) -> dt.date | None:
    text = text.strip()
    for pattern, order in ((r"(\d{4})-(\d+)-(\d+)", "ymd"), (r"(\d+)/(\d+)/(\d{4})", "dmy")):
        m = re.fullmatch(pattern, text)
        if m:
            parts = dict(zip(order, map(int, m.groups())))
            try:
                return dt.date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                return None
    return None


def keys(row: dict) -> list:
    g, f = name(row["given_name"]), name(row["family_name"])
    d = date(row["dob"])
    pc = "".join(row["postcode"].split()).upper()
    pc = pc if len(pc) >= 5 else ""
    district = pc[:-3] if pc else ""
    upn = row.get("upn", "").strip().upper()
    nhs = re.sub(r"\D", "", row.get("nhs_number", ""))
    return [
        upn or None,
        nhs or None,
        (d, f[:1]) if d and f else None,
        (d, g[:1]) if d and g else None,
        (f, g, d.year) if d and f and g else None,
        (f, g, district) if district and f and g else None,
        (f, d.year, min(d.day, d.month), max(d.day, d.month)) if d and f else None,
        (pc, f) if pc and f else None,
    ]


def completeness(path: str) -> tuple[int, int, int]:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    all_keys = [keys(r) for r in rows]
    candidates: set[tuple[int, int]] = set()
    for rule in range(8):
        blocks = defaultdict(list)
        for i, k in enumerate(all_keys):
            if k[rule] is not None:
                blocks[k[rule]].append(i)
        for members in blocks.values():
            if 1 < len(members) <= MAX_BLOCK:
                candidates.update(itertools.combinations(members, 2))
    by_person = defaultdict(list)
    for i, r in enumerate(rows):
        by_person[r["cluster"]].append(i)
    true_pairs = {p for m in by_person.values() for p in itertools.combinations(m, 2)}
    return len(true_pairs), len(true_pairs & candidates), len(candidates)


if __name__ == "__main__":
    for path in sys.argv[1:]:
        true, found, candidates = completeness(path)
        print(f"{path}: {found:,} of {true:,} true pairs are candidates "
              f"(pair completeness {found / true if true else 1:.4f}); {candidates:,} candidates")
