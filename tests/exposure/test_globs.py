"""IAM wildcard matching: plain matches, and the prefix questions the policy engine asks."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from andon.exposure.globs import (
    covers,
    glob_match,
    has_wildcard,
    matches_all_with_prefix,
    matches_some_with_prefix,
)

P = "arn:aws:s3:::b/"  # the prefix of every object of bucket "b"


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("*", "", True),
        ("*", "anything", True),
        ("s3:Get*", "s3:GetObject", True),
        ("s3:*Object", "s3:GetObject", True),
        ("s3:*Object", "s3:GetObjectAcl", False),
        ("s3:?etObject", "s3:GetObject", True),
        ("s3:?etObject", "s3:etObject", False),
        ("a.b", "axb", False),  # "." is a literal, not a regex
        ("a+b", "a+b", True),
        ("a[b]", "a[b]", True),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y\nz", True),  # "*" crosses "/" and newlines
        ("ABC", "abc", False),
    ],
)
def test_glob_match(pattern: str, value: str, expected: bool) -> None:
    assert glob_match(pattern, value) is expected


def test_glob_match_ignore_case() -> None:
    """Actions match case-insensitively (IAM User Guide, Action element)."""
    assert glob_match("S3:GETOBJECT", "s3:GetObject", ignore_case=True)
    assert not glob_match("S3:GETOBJECT", "s3:GetObject")


@pytest.mark.parametrize(
    ("value", "expected"), [("a*", True), ("a?", True), ("abc", False), ("${aws:x}", False)]
)
def test_has_wildcard(value: str, expected: bool) -> None:
    assert has_wildcard(value) is expected


@pytest.mark.parametrize(
    ("pattern", "some", "all_"),
    [
        ("*", True, True),
        (f"{P}*", True, True),
        ("arn:aws:s3:::b*", True, True),
        ("arn:aws:s3:::*", True, True),
        ("arn:aws:s3:::*/*", True, True),
        (f"{P}public/*", True, False),
        (f"{P}key.txt", True, False),
        (f"{P}?*", True, False),  # sound but incomplete: every key has a first character
        (f"{P}*.csv", True, False),
        (P, False, False),  # the bare prefix is not an object
        ("arn:aws:s3:::b", False, False),
        ("arn:aws:s3:::bb/*", False, False),
        ("arn:aws:s3:::c*", False, False),
        ("arn:aws:s3:::?/*", True, True),
        ("arn:aws:s3:::??/*", True, False),  # "??" eats "b/"; keys starting "/" match
    ],
)
def test_prefix_questions(pattern: str, some: bool, all_: bool) -> None:
    assert matches_some_with_prefix(pattern, P) is some
    assert matches_all_with_prefix(pattern, P) is all_


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        (f"{P}*", f"{P}*", True),
        (f"{P}*", f"{P}a/*", True),
        (f"{P}*", f"{P}key", True),
        (f"{P}a*", f"{P}ab?", True),
        (f"{P}a/*", f"{P}*", False),
        (f"{P}*.csv", f"{P}x.csv", True),
        (f"{P}*.csv", f"{P}*/x.csv", False),  # true, but beyond this sound, incomplete test
        (f"{P}key", f"{P}KEY", False),
    ],
)
def test_covers(outer: str, inner: str, expected: bool) -> None:
    assert covers(outer, inner) is expected


# --- brute force over a tiny alphabet ---------------------------------------------------------
ALPHABET = "ab"
patterns = st.text(alphabet="ab*?", max_size=6)
prefixes = st.text(alphabet=ALPHABET, max_size=4)


def _suffixes(max_len: int) -> list[str]:
    out = [""]
    for n in range(1, max_len + 1):
        out.extend("".join(t) for t in itertools.product(ALPHABET + "c", repeat=n))
    return out


SUFFIXES = _suffixes(4)


@settings(max_examples=200, deadline=None)
@given(patterns, prefixes)
def test_matches_some_with_prefix_agrees_with_brute_force(pattern: str, prefix: str) -> None:
    # A shortest non-empty extension needs at most one character per pattern symbol, plus one.
    bound = len(pattern) + 1
    brute = any(glob_match(pattern, prefix + s) for s in SUFFIXES if 0 < len(s) <= min(bound, 4))
    if len(pattern) + 1 <= 4:
        assert matches_some_with_prefix(pattern, prefix) is brute
    elif brute:
        assert matches_some_with_prefix(pattern, prefix)


@settings(max_examples=200, deadline=None)
@given(patterns, prefixes)
def test_matches_all_with_prefix_is_sound(pattern: str, prefix: str) -> None:
    if matches_all_with_prefix(pattern, prefix):
        assert all(glob_match(pattern, prefix + s) for s in SUFFIXES)
        assert matches_some_with_prefix(pattern, prefix)


@settings(max_examples=200, deadline=None)
@given(patterns, patterns)
def test_covers_is_sound(outer: str, inner: str) -> None:
    if covers(outer, inner):
        for s in SUFFIXES:
            if glob_match(inner, s):
                assert glob_match(outer, s), (outer, inner, s)
