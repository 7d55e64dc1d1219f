#!/usr/bin/env python3
"""A second generator of children's agency records, written apart from `harbour synth`.

Why: a linkage engine scored only on data from its own generator learns that generator's
noise. This one shares no code, name list or noise model with `crates/harbour-synth` or the
engine (its nicknames are its own, not `harbour-link/src/nicknames.rs`). Standard library
only; the same seed and rates give the same file, byte for byte.

    python3 bench/childgen.py --children 4000 --noise medium --seed 7 --out bench/work/cg.csv
    python3 bench/childgen.py --children 4000 --rate typo_keyboard=0.2 --out …

The noise model is described in bench/README.md ("The second generator"). Every rate is a
parameter (`--rate NAME=VALUE`, repeatable); `--noise low|medium|high` picks a preset that
scales all of them. Writes the `harbour link dedupe` CSV with the true child in `cluster`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
from pathlib import Path

# --- Names: pools by origin, with transliteration variants and this generator's nicknames ----

GIVEN = {
    "english": {
        "M": ["Oliver", "George", "Harry", "Jack", "Jacob", "Charlie", "Thomas", "William",
              "James", "Joshua", "Daniel", "Samuel", "Benjamin", "Matthew", "Alexander",
              "Edward", "Frederick", "Henry", "Theodore", "Nicholas", "Christopher",
              "Joseph", "Michael", "Anthony", "Zachary", "Robert", "Callum", "Kieran",
              "Reece", "Tyler", "Liam", "Connor", "Ethan", "Lewis", "Dylan", "Mason"],
        "F": ["Olivia", "Amelia", "Isla", "Emily", "Jessica", "Charlotte", "Abigail",
              "Elizabeth", "Katherine", "Rebecca", "Isabella", "Margaret", "Sophie", "Grace",
              "Chloe", "Lucy", "Megan", "Ellie", "Hannah", "Lauren", "Paige", "Holly",
              "Poppy", "Evie", "Freya", "Phoebe", "Niamh", "Caitlin", "Kayleigh", "Leah"],
    },
    "south_asian": {
        "M": ["Mohammed", "Aryan", "Rohan", "Arjun", "Ibrahim", "Yusuf", "Hamza", "Zain",
              "Ayaan", "Vihaan", "Harjeet", "Gurpreet", "Abdullah", "Imran", "Kabir"],
        "F": ["Fatima", "Aisha", "Priya", "Ananya", "Zara", "Maryam", "Simran", "Noor",
              "Inaya", "Khadija", "Harleen", "Aaliyah", "Sana", "Riya", "Amira"],
    },
    "polish": {
        "M": ["Jakub", "Kacper", "Szymon", "Mateusz", "Aleksander", "Wojciech", "Piotr",
              "Krzysztof", "Michal", "Tomasz"],
        "F": ["Zuzanna", "Julia", "Katarzyna", "Malgorzata", "Aleksandra", "Agnieszka",
              "Magdalena", "Natalia", "Weronika", "Joanna"],
    },
    "west_african": {
        "M": ["Oluwaseun", "Chinedu", "Kwame", "Emeka", "Oluwadamilare", "Tunde", "Kofi",
              "Obinna", "Ayodele", "Femi"],
        "F": ["Adaeze", "Chiamaka", "Oluwatoyin", "Ngozi", "Abena", "Folasade", "Amara",
              "Temitope", "Yetunde", "Ifeoma"],
    },
    "arabic": {
        "M": ["Omar", "Khalid", "Yousef", "Mustafa", "Ahmed", "Hassan", "Ali", "Tariq"],
        "F": ["Layla", "Yasmin", "Huda", "Rania", "Mariam", "Salma", "Nour", "Hana"],
    },
}

FAMILY = {
    "english": ["Hartley", "Ashworth", "Fernby", "Lockwood", "Stanton", "Whitmore", "Smith",
                "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts", "Walker",
                "Wright", "Robinson", "Thompson", "White", "Hughes", "Edwards", "Green",
                "Hall", "Wood", "Harris", "Clarke", "Jackson", "Turner", "Hill", "Moore",
                "Cooper", "Ward", "Morris", "King", "Baker", "Phillips", "Bennett", "Mercer",
                "McDonald", "O'Brien", "MacKenzie", "Fitzgerald", "Pemberton", "Kowalczyk"],
    "south_asian": ["Khan", "Patel", "Hussain", "Ahmed", "Begum", "Singh", "Kaur", "Shah",
                    "Iqbal", "Chaudhry", "Mahmood", "Rahman", "Sharma", "Gill", "Akhtar"],
    "polish": ["Nowak", "Kowalski", "Wisniewski", "Wojcik", "Kaminski", "Lewandowski",
               "Zielinski", "Szymanski", "Dabrowski", "Kozlowski"],
    "west_african": ["Okafor", "Adeyemi", "Mensah", "Okonkwo", "Balogun", "Owusu", "Eze",
                     "Afolabi", "Nwosu", "Boateng"],
    "arabic": ["Al-Sayed", "Haddad", "Mansour", "Nasser", "Saleh", "Abdullah", "Karim",
               "Farouk"],
}

ORIGIN_WEIGHTS = {"english": 0.66, "south_asian": 0.14, "polish": 0.07,
                  "west_african": 0.08, "arabic": 0.05}

# Spellings of the same name in the Latin alphabet (groups; any member can become another).
TRANSLITERATIONS = [
    ["Mohammed", "Muhammad", "Mohamed", "Mohammad", "Muhammed"],
    ["Yusuf", "Yousuf", "Yusef", "Yousef"], ["Fatima", "Fatimah", "Fatma"],
    ["Aisha", "Ayesha", "Aishah"], ["Ibrahim", "Ebrahim", "Ibraheem"],
    ["Maryam", "Mariam", "Mariyam"], ["Hamza", "Hamzah"], ["Khadija", "Khadijah"],
    ["Aleksander", "Aleksandr", "Alexander"], ["Aleksandra", "Alexandra"],
    ["Michal", "Michael"], ["Malgorzata", "Malgorzatta"], ["Wojcik", "Wojczik", "Voitchik"],
    ["Wisniewski", "Visnievski"], ["Kowalski", "Kovalski"], ["Kozlowski", "Kozlovski"],
    ["Hussain", "Hussein", "Husain"], ["Chaudhry", "Choudhury", "Chaudhary", "Chowdhury"],
    ["Rahman", "Rehman"], ["Mahmood", "Mahmud", "Mehmood"], ["Ahmed", "Ahmad"],
    ["Oluwaseun", "Oluwaseyi"], ["Yetunde", "Yetundeh"], ["Al-Sayed", "El-Sayed", "Alsayed"],
    ["Haddad", "Hadad"], ["Nour", "Noor"], ["Huda", "Houda"], ["Hassan", "Hasan"],
    ["Omar", "Umar"], ["Layla", "Leila", "Laila"], ["Yasmin", "Yasmine", "Jasmin"],
]

# This generator's own nickname list: formal name -> the short forms people write.
NICKNAMES = {
    "Alexander": ["Alex", "Sasha", "Xander"], "Elizabeth": ["Liz", "Beth", "Lizzie", "Eliza"],
    "Katherine": ["Kate", "Katie", "Kat"], "William": ["Will", "Billy", "Liam"],
    "Robert": ["Rob", "Bobby", "Robbie"], "Thomas": ["Tom", "Tommy"],
    "James": ["Jim", "Jamie", "Jimmy"], "Joshua": ["Josh"], "Daniel": ["Dan", "Danny"],
    "Matthew": ["Matt", "Matty"], "Benjamin": ["Ben", "Benji", "Benny"],
    "Samuel": ["Sam", "Sammy"], "Jessica": ["Jess", "Jessie"], "Rebecca": ["Becky", "Becca"],
    "Olivia": ["Liv", "Livvy"], "Charlotte": ["Lottie", "Charlie"], "Abigail": ["Abi", "Abby"],
    "Margaret": ["Maggie", "Peggy", "Meg"], "Nicholas": ["Nick", "Nicky"],
    "Christopher": ["Chris", "Kit"], "Jacob": ["Jake", "Jakey"],
    "Edward": ["Ed", "Eddie", "Ted"], "Frederick": ["Fred", "Freddie"],
    "Henry": ["Harry", "Hal"], "Isabella": ["Izzy", "Bella", "Issy"], "Amelia": ["Millie"],
    "Oliver": ["Ollie", "Olly"], "Theodore": ["Theo", "Teddy"], "Zachary": ["Zach", "Zak"],
    "Anthony": ["Tony", "Ant"], "Joseph": ["Joe", "Joey"], "Michael": ["Mike", "Mikey"],
    "Mohammed": ["Mo", "Moe"], "Aleksandra": ["Ola", "Ala"], "Malgorzata": ["Gosia"],
    "Katarzyna": ["Kasia"], "Oluwaseun": ["Seun"], "Oluwadamilare": ["Dami"],
    "Abdullah": ["Abdul"], "Ibrahim": ["Ibby"], "Oluwatoyin": ["Toyin"],
    "Temitope": ["Temi", "Tope"], "Folasade": ["Sade", "Shade"], "Chiamaka": ["Amaka"],
    "Krzysztof": ["Krzys"], "Wojciech": ["Wojtek"], "Aleksander": ["Olek", "Alek"],
    "Zuzanna": ["Zuzia"], "Magdalena": ["Magda"], "Weronika": ["Nika"],
}

# --- Noise helpers ------------------------------------------------------------------------------

KEYBOARD_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
NEIGHBOURS: dict[str, str] = {}
for r, row in enumerate(KEYBOARD_ROWS):
    for c, ch in enumerate(row):
        near = row[max(0, c - 1):c] + row[c + 1:c + 2]
        for other in (r - 1, r + 1):
            if 0 <= other < len(KEYBOARD_ROWS):
                near += KEYBOARD_ROWS[other][max(0, c - 1):c + 1]
        NEIGHBOURS[ch] = near

# (written, misheard) pairs; either direction.
PHONETIC = [("ph", "f"), ("ck", "k"), ("ie", "y"), ("ee", "ea"), ("ou", "ow"), ("c", "k"),
            ("z", "s"), ("th", "f"), ("ai", "ay"), ("ey", "y"), ("er", "a"), ("wh", "w"),
            ("gh", "g"), ("kn", "n"), ("tt", "t"), ("ll", "l"), ("nn", "n"), ("mm", "m"),
            ("ss", "s"), ("v", "w"), ("j", "g"), ("x", "ks"), ("qu", "kw"), ("oo", "u")]

OCR = [("rn", "m"), ("m", "rn"), ("cl", "d"), ("d", "cl"), ("vv", "w"), ("w", "vv"),
       ("l", "1"), ("I", "l"), ("O", "0"), ("o", "0"), ("e", "c"), ("c", "e"), ("h", "b"),
       ("b", "h"), ("n", "ri"), ("u", "ii"), ("S", "5"), ("a", "o"), ("i", "l")]


def keyboard_typo(rng: random.Random, s: str) -> str:
    letters = [i for i, ch in enumerate(s) if ch.lower() in NEIGHBOURS]
    if not letters:
        return s
    i = rng.choice(letters)
    kind = rng.random()
    ch = s[i]
    if kind < 0.5:  # a neighbouring key instead
        sub = rng.choice(NEIGHBOURS[ch.lower()])
        sub = sub.upper() if ch.isupper() else sub
        return s[:i] + sub + s[i + 1:]
    if kind < 0.7:  # a key pressed twice
        return s[:i] + ch + s[i:]
    if kind < 0.85 and len(s) > 2:  # a key missed
        return s[:i] + s[i + 1:]
    if i + 1 < len(s):  # two keys in the wrong order
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s


def replace_one(rng: random.Random, s: str, pairs: list[tuple[str, str]],
                both_ways: bool) -> str:
    options = []
    for a, b in pairs:
        for src, dst in ((a, b), (b, a)) if both_ways else ((a, b),):
            start = s.lower().find(src.lower()) if src.islower() else s.find(src)
            if start >= 0:
                options.append((start, src, dst))
    if not options:
        return s
    start, src, dst = rng.choice(options)
    if s[start:start + 1].isupper() and dst[:1].isalpha():
        dst = dst[:1].upper() + dst[1:]
    return s[:start] + dst + s[start + len(src):]


def upn_check_letter(body: str) -> str:
    letters = "ABCDEFGHJKLMNPQRTUVWXYZ"
    total = sum(int(ch) * weight for ch, weight in zip(body, range(2, 14)))
    return letters[total % 23]


def make_upn(rng: random.Random, la: int, year: int) -> str:
    body = f"{la:03d}{rng.randrange(1000, 7000):04d}{year % 100:02d}{rng.randrange(1000):03d}"
    return upn_check_letter(body) + body


def make_nhs(rng: random.Random) -> str:
    while True:
        digits = [rng.randrange(10) for _ in range(9)]
        digits[0] = rng.choice([4, 6, 7, 9])
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1))) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


# --- The model ----------------------------------------------------------------------------------

# Each rate at the "medium" preset; "low" halves and "high" doubles every one (capped at 0.95).
RATES = {
    # per record, on each name: misspellings
    "typo_phonetic": 0.05, "typo_keyboard": 0.05, "ocr": 0.02,
    # per record, on the date of birth
    "dob_transpose": 0.02, "dob_off_by_one": 0.03, "dob_day_month_swap": 0.02,
    # per record: fields left empty (the source's own rate is added, see SOURCES)
    "missing_dob": 0.03, "missing_sex": 0.05, "missing_postcode": 0.05, "missing_given": 0.01,
    # per record: names
    "names_swapped": 0.015, "hyphen_split_join": 0.25, "nickname": 0.12,
    "transliteration": 0.25, "initial_only": 0.01,
    # per child: a change of family name (step-parent, adoption) seen in later records
    "name_change": 0.04,
    # per record: the address before or after a move
    "moved": 0.15,
    # per record where the source holds the identifier: wrong (another child's, or a
    # mistyped one) or left out
    "upn_wrong": 0.01, "upn_missing": 0.10, "nhs_wrong": 0.01, "nhs_missing": 0.10,
}
PRESETS = {"low": 0.5, "medium": 1.0, "high": 2.0}

# Agency sources: the share of records from each, and what each holds of the identifiers
# (chance the source records a UPN / an NHS number at all) and its own extra missingness.
SOURCES = [
    # name, share, holds_upn, holds_nhs, extra_missing_dob, extra_missing_postcode
    ("school", 0.35, 0.95, 0.15, 0.0, 0.02),
    ("health", 0.25, 0.0, 0.90, 0.0, 0.05),
    ("social_care", 0.15, 0.50, 0.50, 0.02, 0.05),
    ("police", 0.15, 0.0, 0.0, 0.08, 0.15),
    ("youth_justice", 0.10, 0.30, 0.20, 0.02, 0.05),
]

DISTRICTS = ["BN1", "BN2", "BN3", "BN7", "BN9", "BN20", "BN21", "BN22", "TN1", "TN2", "TN4",
             "TN21", "TN22", "TN31", "TN34", "TN37", "TN38", "TN39", "TN40", "RH15", "RH16",
             "RH17", "RH19"]
STREETS = ["High Street", "Station Road", "Church Lane", "Mill Road", "Victoria Road",
           "Park Avenue", "Queens Road", "The Crescent", "Meadow Way", "Green Lane",
           "Orchard Close", "Kings Drive", "Elm Grove", "Albert Street", "New Road"]


def postcode(rng: random.Random) -> str:
    inward = f"{rng.randrange(10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}" \
             f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    return f"{rng.choice(DISTRICTS)} {inward}"


def address(rng: random.Random) -> tuple[str, str]:
    pc = postcode(rng)
    return f"{rng.randrange(1, 180)} {rng.choice(STREETS)}", pc


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def family_name(rng: random.Random, origin: str) -> str:
    name = rng.choice(FAMILY[origin])
    if rng.random() < 0.06:  # a double-barrelled name, hyphenated or with a space
        other = rng.choice(FAMILY[pick(rng, ORIGIN_WEIGHTS)])
        if other != name:
            name = f"{name}{rng.choice(['-', ' '])}{other}"
    return name


def households(rng: random.Random, children: int, start: dt.date, end: dt.date):
    """Families of 1-4 children at one address, some with twins: children share a family name,
    an address and (twins) a birthday, which is exactly what a linkage must not merge."""
    span = (end - start).days
    made = 0
    while made < children:
        origin = pick(rng, ORIGIN_WEIGHTS)
        family = family_name(rng, origin)
        home = address(rng)
        size = rng.choices([1, 2, 3, 4], weights=[45, 35, 15, 5])[0]
        first_born = start + dt.timedelta(days=rng.randrange(span))
        dates = []
        for k in range(size):
            if k and rng.random() < 0.08:  # twins: the same birthday as the one before
                dates.append(dates[-1])
            else:
                dates.append(first_born + dt.timedelta(days=rng.randrange(-2500, 2500)))
        used: set[str] = set()
        for born in dates:
            if made >= children:
                break
            sex = rng.choice("MF")
            pool = [g for g in GIVEN[origin][sex] if g not in used]
            given = rng.choice(pool or GIVEN[origin][sex])
            used.add(given)
            yield {
                "child": made, "given": given, "family": family, "dob": born, "sex": sex,
                "origin": origin, "home": home, "upn": make_upn(rng, rng.choice([845, 846, 938]),
                                                                born.year + 5),
                "nhs": make_nhs(rng),
            }
            made += 1


def noisy_name(rng: random.Random, name: str, rates: dict[str, float]) -> str:
    if not name:
        return name
    if rng.random() < rates["typo_phonetic"]:
        name = replace_one(rng, name, PHONETIC, both_ways=True)
    if rng.random() < rates["typo_keyboard"]:
        name = keyboard_typo(rng, name)
    if rng.random() < rates["ocr"]:
        name = replace_one(rng, name, OCR, both_ways=False)
    return name


def transliterate(rng: random.Random, name: str) -> str:
    for group in TRANSLITERATIONS:
        if name in group:
            return rng.choice([g for g in group if g != name])
    return name


def hyphen_variant(rng: random.Random, family: str) -> str:
    for sep in ("-", " "):
        if sep in family and not family.startswith(("Al-", "El-")):
            first, second = family.split(sep, 1)
            return rng.choice([first, second, first + second, first + ("-" if sep == " " else " ")
                               + second, second + "-" + first])
    return family


def noisy_dob(rng: random.Random, born: dt.date, rates: dict[str, float]) -> str:
    text = born.isoformat()
    if rng.random() < rates["dob_day_month_swap"] and born.day <= 12:
        text = f"{born.year:04d}-{born.day:02d}-{born.month:02d}"
    if rng.random() < rates["dob_off_by_one"]:
        year, month, day = (int(p) for p in text.split("-"))
        part = rng.randrange(3)
        step = rng.choice([-1, 1])
        if part == 0:
            year += step
        elif part == 1:
            month = min(12, max(1, month + step))
        else:
            day = min(28, max(1, day + step))
        text = f"{year:04d}-{month:02d}-{day:02d}"
    if rng.random() < rates["dob_transpose"]:
        digits = [i for i, ch in enumerate(text) if ch.isdigit()]
        i = rng.randrange(len(digits) - 1)
        a, b = digits[i], digits[i + 1]
        if b == a + 1:
            chars = list(text)
            chars[a], chars[b] = chars[b], chars[a]
            text = "".join(chars)
    return text  # may be an impossible date (month 13): as a clerk might type it


def mistype_identifier(rng: random.Random, value: str) -> str:
    i = rng.randrange(1, len(value))
    digit = str((int(value[i]) + rng.randrange(1, 10)) % 10) if value[i].isdigit() else value[i]
    return value[:i] + digit + value[i + 1:]


def records(rng: random.Random, kids: list[dict], rates: dict[str, float],
            mean_records: float):
    shares = {s[0]: s[1] for s in SOURCES}
    by_name = {s[0]: s for s in SOURCES}
    next_id = 0
    for kid in kids:
        # At least one record a child, more for some: a long tail as in agency data.
        count = 1 + min(7, int(rng.expovariate(1 / max(mean_records - 1, 0.01))))
        changed_family = None
        if rng.random() < rates["name_change"]:
            changed_family = family_name(rng, pick(rng, ORIGIN_WEIGHTS))
        moved_to = address(rng)
        for k in range(count):
            _, _, holds_upn, holds_nhs, extra_dob, extra_pc = by_name[pick(rng, shares)]
            given, family = kid["given"], kid["family"]
            if changed_family and k >= count // 2:
                family = changed_family
            if rng.random() < rates["transliteration"]:
                given = transliterate(rng, given)
            if rng.random() < rates["transliteration"]:
                family = transliterate(rng, family)
            if given in NICKNAMES and rng.random() < rates["nickname"]:
                given = rng.choice(NICKNAMES[given])
            if rng.random() < rates["hyphen_split_join"]:
                family = hyphen_variant(rng, family)
            given, family = noisy_name(rng, given, rates), noisy_name(rng, family, rates)
            if rng.random() < rates["initial_only"]:
                given = given[:1]
            if rng.random() < rates["names_swapped"]:
                given, family = family, given
            if rng.random() < rates["missing_given"]:
                given = ""
            dob = "" if rng.random() < rates["missing_dob"] + extra_dob \
                else noisy_dob(rng, kid["dob"], rates)
            sex = "" if rng.random() < rates["missing_sex"] else kid["sex"]
            street, pc = moved_to if rng.random() < rates["moved"] else kid["home"]
            if rng.random() < rates["missing_postcode"] + extra_pc:
                pc = ""
            upn = nhs = ""
            if rng.random() < holds_upn and rng.random() >= rates["upn_missing"]:
                upn = kid["upn"]
                if rng.random() < rates["upn_wrong"]:
                    upn = rng.choice(kids)["upn"] if rng.random() < 0.5 \
                        else mistype_identifier(rng, upn)
            if rng.random() < holds_nhs and rng.random() >= rates["nhs_missing"]:
                nhs = kid["nhs"]
                if rng.random() < rates["nhs_wrong"]:
                    nhs = rng.choice(kids)["nhs"] if rng.random() < 0.5 \
                        else mistype_identifier(rng, nhs)
            yield {
                "id": f"cg{next_id:07d}", "given_name": given, "family_name": family,
                "dob": dob, "sex": sex, "postcode": pc, "upn": upn, "nhs_number": nhs,
                "address": f"{street}, {pc}" if pc else street, "cluster": f"c{kid['child']}",
            }
            next_id += 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=4000)
    parser.add_argument("--records-per-child", type=float, default=2.5,
                        help="mean records a child (default 2.5)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--noise", choices=list(PRESETS), default="medium")
    parser.add_argument("--rate", action="append", default=[], metavar="NAME=VALUE",
                        help=f"set one rate after the preset; names: {', '.join(RATES)}")
    parser.add_argument("--out", type=Path, required=True)
    return parser.parse_args(argv)


def rates_for(noise: str, overrides: list[str]) -> dict[str, float]:
    rates = {name: min(0.95, value * PRESETS[noise]) for name, value in RATES.items()}
    for item in overrides:
        name, _, value = item.partition("=")
        if name not in RATES:
            sys.exit(f"childgen: unknown rate {name!r}; known: {', '.join(RATES)}")
        rates[name] = float(value)
    return rates


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rates = rates_for(args.noise, args.rate)
    rng = random.Random(args.seed)
    kids = list(households(rng, args.children, dt.date(2005, 1, 1), dt.date(2022, 12, 31)))
    rows = list(records(rng, kids, rates, args.records_per_child))
    rng.shuffle(rows)  # no record order to lean on
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{args.out}: {len(rows):,} records of {len(kids):,} children "
          f"(noise {args.noise}, seed {args.seed})", file=sys.stderr)


if __name__ == "__main__":
    main()
