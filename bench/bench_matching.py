"""Precision and recall of the duplicate-patient matcher on a synthetic set of tricky pairs.

    .venv/bin/python bench/bench_matching.py [--seed N] [--examples N]

Prints the set's composition, precision / recall / F1 at the matcher's threshold and at
others, what the matcher flags for each kind of variation, and the recall of the blocking
step of `duplicate_candidates` (applied here in Python with the same rules), so a reader
sees which kinds are missed. The figures are recorded in docs/matching.md.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

from matching_pairs import SEED, Pair, Record, generate
from pallio.patients import matching

THRESHOLDS = [0.70, 0.75, 0.80, 0.85, 0.90, 0.95]


def person(record: Record) -> matching.Person:
    return matching.Person(
        record.given_name,
        record.family_name,
        record.birth_date,
        record.phone,
        middle_name=record.middle_name,
        sex=record.sex,
    )


def fetched_by_blocking(pair: Pair) -> bool:
    """Would `duplicate_candidates` fetch the existing patient for this referral?

    The same rules as the database query: the patient's birth date is one of
    `blocking_birth_dates(referral's birth date)`, or the stored phone ends with the last
    seven digits of the referral's phone.
    """
    referred, existing = pair.referred, pair.existing
    if existing.birth_date in matching.blocking_birth_dates(referred.birth_date):
        return True
    digits = matching.normalize_phone(referred.phone)
    return len(digits) >= 7 and existing.phone.endswith(digits[-7:])


def figures(results: list[tuple[Pair, float, bool]], threshold: float) -> tuple[int, int, int, int]:
    tp = sum(1 for p, s, _ in results if p.duplicate and s >= threshold)
    fp = sum(1 for p, s, _ in results if not p.duplicate and s >= threshold)
    fn = sum(1 for p, s, _ in results if p.duplicate and s < threshold)
    tn = sum(1 for p, s, _ in results if not p.duplicate and s < threshold)
    return tp, fp, fn, tn


def ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def show(record: Record) -> str:
    middle = f" [{record.middle_name}]" if record.middle_name else ""
    return (
        f"{record.given_name}{middle} {record.family_name}, {record.birth_date}, "
        f"{record.phone or '-'}, {record.sex}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--examples", type=int, default=0, help="misses to print per kind")
    args = parser.parse_args()

    pairs = generate(args.seed)
    started = time.perf_counter()
    results = []
    for pair in pairs:
        result = matching.match(person(pair.referred), person(pair.existing))
        assert result.score == matching.match(person(pair.existing), person(pair.referred)).score
        results.append((pair, result.score, fetched_by_blocking(pair)))
    elapsed = time.perf_counter() - started
    dups = sum(p.duplicate for p in pairs)
    threshold = matching.MATCH_THRESHOLD
    print(f"{len(pairs)} pairs (seed {args.seed}): {dups} duplicates, {len(pairs) - dups} not")
    print(f"matched in {elapsed:.2f} s ({1000 * elapsed / len(pairs):.3f} ms a pair)\n")

    print("threshold  precision  recall    F1     TP    FP    FN    TN")
    for t in sorted({*THRESHOLDS, threshold}):
        tp, fp, fn, tn = figures(results, t)
        p, r = ratio(tp, tp + fp), ratio(tp, tp + fn)
        f1 = ratio(2 * tp, 2 * tp + fp + fn)
        mark = "  <- MATCH_THRESHOLD" if t == threshold else ""
        print(f"  {t:.2f}     {p:.3f}    {r:.3f}   {f1:.3f}  {tp:5d} {fp:5d} {fn:5d} {tn:5d}{mark}")

    blocked = [(p, s) for p, s, b in results if p.duplicate and b]
    end_to_end = sum(1 for _, s in blocked if s >= threshold)
    print(f"\nblocking recall (true duplicate fetched): {ratio(len(blocked), dups):.3f}")
    print(f"end-to-end recall (fetched, scored >= threshold): {ratio(end_to_end, dups):.3f}")
    fetched_non = sum(1 for p, _, b in results if not p.duplicate and b)
    print(f"non-duplicates fetched by blocking: {fetched_non} of {len(pairs) - dups}\n")

    by_kind: dict[tuple[bool, str], list[tuple[Pair, float, bool]]] = defaultdict(list)
    for row in results:
        by_kind[(row[0].duplicate, row[0].kind)].append(row)
    for label, is_dup in (("duplicates", True), ("not duplicates", False)):
        column = "found" if is_dup else "flagged (false positives)"
        print(f"{label:<34} pairs  {column}   blocked")
        for (dup, kind), rows in by_kind.items():
            if dup != is_dup:
                continue
            flagged = sum(1 for _, s, _ in rows if s >= threshold)
            fetched = sum(1 for *_, b in rows if b)
            print(
                f"  {kind:<32} {len(rows):5d}  {flagged:5d} ({ratio(flagged, len(rows)):6.1%})"
                f"   {fetched:5d}"
            )
            wrong = [(p, s) for p, s, _ in rows if (s >= threshold) != is_dup]
            for pair, score in wrong[: args.examples]:
                print(f"      {score:.3f}  {show(pair.existing)}  |  {show(pair.referred)}")
        print()


if __name__ == "__main__":
    main()
