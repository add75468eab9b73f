"""`albert.serve.limits` without a server: the token limit per input (the other limits are exercised
over HTTP in test_app.py)."""

from __future__ import annotations

import pytest

from albert.serve.limits import Limits, ParsedRequest, RequestError, check_tokens


def words(text: str) -> int:
    return len(text.split())


def test_token_limit_counts_every_text_of_an_input_and_names_the_item():
    limits = Limits(max_input_tokens=5)
    check_tokens(
        ParsedRequest(["a b c d e", {"text": "a b", "text_pair": "c d e"}], False, {}), words, limits
    )
    with pytest.raises(RequestError) as caught:
        check_tokens(
            ParsedRequest(["a b", {"question": "a b c", "context": "d e f"}], False, {}), words, limits
        )
    assert caught.value.status == 413
    assert caught.value.message == '"inputs"[1] has 6 tokens; this server takes at most 5 per input'
    with pytest.raises(RequestError, match='^"inputs" has 6 tokens'):
        check_tokens(ParsedRequest(["a b c d e f"], True, {}), words, limits)


def test_without_a_token_limit_nothing_is_counted():
    def never(text: str) -> int:
        raise AssertionError("counted")

    check_tokens(ParsedRequest(["a " * 10_000], True, {}), never, Limits())


def test_a_token_limit_below_one_is_refused():
    with pytest.raises(ValueError, match="max_input_tokens must be >= 1"):
        Limits(max_input_tokens=0)
