"""The work a request asks of the model is bounded before it is queued (413 naming the parameter, the
value, the limit and the flag): top_k, fill-mask [MASK]s x top_k, and the model sequences that QA windows,
zero-shot labels, choices and ner windows multiply an input into. Also: a deeply nested body is a 400,
and shutdown does not wait for a pipeline call whose requests have timed out."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

pytest.importorskip("fastapi", reason="albert serve needs the serve extra: pip install 'albert-lite[serve]'")

import time  # noqa: E402

from albert.cli import parse_line  # noqa: E402
from albert.serve import Limits, create_app  # noqa: E402
from albert.serve.limits import ParsedRequest, RequestError  # noqa: E402
from albert.serve.work import check_work  # noqa: E402
from tests.serve.helpers import Gate, http, running_server, start_server, wait_until  # noqa: E402


def post(url: str, task: str, body: object, timeout: float = 60) -> object:
    return http.post(f"{url}/v1/{task}", json=body, timeout=timeout)


def test_fill_mask_with_many_masks_and_a_huge_top_k_is_refused_at_once(fill_mask_pipe):
    """The audit's request (3.5 kB, 500 [MASK]s, top_k 30000) held the worker for hours; now a 413."""
    masks = "[MASK] " * 500
    with running_server("fill-mask", lambda: fill_mask_pipe, timeout_s=20) as (url, _):
        began = time.monotonic()
        response = post(url, "fill-mask", {"inputs": masks, "parameters": {"top_k": 30000}})
        assert response.status_code == 413, response.text
        assert response.json()["error"] == (
            '"parameters": top_k is 30000; this server returns at most 100 answers per input '
            "(albert serve --max-top-k)"
        )
        response = post(url, "fill-mask", {"inputs": masks, "parameters": {"top_k": 5}})
        assert response.status_code == 413, response.text
        assert response.json()["error"] == (
            'the request needs 2500 fill-mask predictions ("inputs": 500 [MASK] tokens x top_k 5); this '
            "server runs at most 2000 per request (albert serve --max-predictions); lower top_k or send "
            "fewer [MASK] tokens"
        )
        assert time.monotonic() - began < 10
        assert post(url, "fill-mask", {"inputs": "a [MASK]"}).status_code == 200  # the server carries on


def test_fill_mask_predictions_add_up_over_the_inputs_and_count_targets(fill_mask_pipe):
    limits = Limits(max_predictions=6)
    two = ParsedRequest(["a [MASK] b [MASK]", {"text": "c [MASK]"}], False, {})
    check_work(fill_mask_pipe, "fill-mask", two, fill_mask_pipe.params({"top_k": 2}), limits)  # 4 + 2
    with pytest.raises(RequestError, match=r'needs 9 fill-mask predictions \("inputs"\[0\]: 2 \[MASK\] '
                                           r"tokens x top_k 3, the most of its 2 inputs\)"):  # fmt: skip
        check_work(fill_mask_pipe, "fill-mask", two, fill_mask_pipe.params({"top_k": 3}), limits)
    targets = fill_mask_pipe.params({"top_k": 50, "targets": ["paris", "london"]})  # 2 proposals a mask
    check_work(fill_mask_pipe, "fill-mask", two, targets, limits)


def test_question_answering_with_thousands_of_windows_is_refused(qa_pipe):
    """The audit's QA request (a 96 kB context in windows of 16 tokens) blocked the server for minutes."""
    context = "The old town near the river was quiet in the evening. " * 1700  # ~93 kB
    body = {
        "inputs": {"question": "Where?", "context": context},
        "parameters": {"max_seq_len": 16, "doc_stride": 1, "top_k": 100},
    }
    with running_server("question-answering", lambda: qa_pipe, timeout_s=20) as (url, _):
        response = post(url, "question-answering", body)
        assert response.status_code == 413, response.text
        error = response.json()["error"]
        assert error.startswith("the request needs ") and "model sequences" in error, error
        for words in ("max_seq_len 16", "doc_stride 1", "at most 512 per request", "--max-sequences"):
            assert words in error, error
        short = {"inputs": {"question": "Where?", "context": context[:2000]}, "parameters": {"top_k": 3}}
        assert post(url, "question-answering", short).status_code == 200


@pytest.mark.parametrize(
    "params",
    [{}, {"max_seq_len": 32, "doc_stride": 4}, {"max_seq_len": 24, "doc_stride": 0}, {"max_seq_len": 64}],
)
def test_qa_windows_are_counted_as_the_pipeline_makes_them(qa_pipe, params):
    item = {"question": "Where is the town?", "context": "The old town near the river was quiet. " * 120}
    rows = len(qa_pipe.preprocess(item, qa_pipe.params(params)))
    check_work(qa_pipe, "question-answering", ParsedRequest([item], True, {}), qa_pipe.params(params),
               Limits(max_sequences=rows))  # fmt: skip
    with pytest.raises(RequestError, match=f"makes {rows} windows"):
        check_work(qa_pipe, "question-answering", ParsedRequest([item], True, {}), qa_pipe.params(params),
                   Limits(max_sequences=rows - 1))  # fmt: skip


def test_zero_shot_labels_and_choices_count_as_sequences():
    limits = Limits(max_sequences=10)
    labels = {"candidate_labels": [f"label {i}" for i in range(4)]}
    check_work(None, "zero-shot-classification", ParsedRequest(["a", "b"], False, {}), labels, limits)
    with pytest.raises(RequestError) as caught:
        check_work(
            None, "zero-shot-classification", ParsedRequest(["a", "b", "c"], False, {}), labels, limits
        )
    assert caught.value.status == 413
    assert caught.value.message == (
        'the request needs 12 model sequences ("inputs"[0]: 4 candidate_labels, one model sequence each, the '
        "most of its 3 inputs); this server runs at most 10 per request (albert serve --max-sequences); "
        "send fewer candidate_labels or fewer inputs"
    )
    many = {"prompt": "p", "choices": [str(i) for i in range(11)]}
    with pytest.raises(RequestError, match='"inputs": 11 "choices", one model sequence each\\)'):
        check_work(None, "multiple-choice", ParsedRequest([many], True, {}), {}, limits)


def test_ner_stride_windows_count_as_sequences(fill_mask_pipe):
    pipe = SimpleNamespace(tokenizer=fill_mask_pipe.tokenizer, max_length=12)
    text = "word " * 100  # 100 tokens in windows of 10 tokens stepping by 1: 91 windows
    with pytest.raises(RequestError, match=r"needs 91 model sequences .*overlapping by stride 9"):
        check_work(
            pipe,
            "token-classification",
            ParsedRequest([text], True, {}),
            {"stride": 9},
            Limits(max_sequences=90),
        )
    check_work(
        pipe, "token-classification", ParsedRequest([text], True, {}), {"stride": 0}, Limits(max_sequences=90)
    )


def test_work_limits_below_one_are_refused():
    for name in ("max_top_k", "max_predictions", "max_sequences"):
        with pytest.raises(ValueError, match=f"{name} must be >= 1, got 0"):
            Limits(**{name: 0})


@pytest.mark.parametrize(
    "body",
    [
        b'{"inputs": ' + b"[" * 5000 + b"]" * 5000 + b"}",  # past Python's recursion limit: RecursionError
        b'{"inputs": "a [MASK]", "parameters": {"targets": ' + b"[" * 40 + b"]" * 40 + b"}}",
    ],
    ids=["5000-deep", "40-deep-in-parameters"],
)
def test_a_deeply_nested_body_is_a_400(fill_mask_pipe, body):
    with running_server("fill-mask", lambda: fill_mask_pipe) as (url, _):
        response = http.post(
            f"{url}/v1/fill-mask", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, response.text
        assert response.json() == {
            "error": "JSON nested too deeply: this server takes at most 32 levels of arrays and objects"
        }


def test_shutdown_does_not_wait_for_a_call_whose_requests_timed_out(fill_mask_pipe):
    """The worker is stuck in a pipeline call (the gate stays closed) whose request got its 503: the server
    still stops within seconds (it waited for the call, i.e. for hours in the audit)."""
    gate = Gate(fill_mask_pipe)
    app = create_app("fill-mask", lambda: gate, parse_input=parse_line, limits=Limits(timeout_s=1))
    url, server, thread, sock = start_server(app)
    try:
        wait_until(lambda: http.get(f"{url}/healthz").status_code == 200)
        gate.open.clear()
        assert post(url, "fill-mask", {"inputs": "a [MASK]"}).status_code == 503
        assert gate.entered.is_set()
        began = time.monotonic()
        server.request_exit()
        thread.join(timeout=15)
        assert not thread.is_alive(), "shutdown waited for the stuck pipeline call"
        assert time.monotonic() - began < 10
    finally:
        gate.open.set()
        server.request_exit()
        thread.join(timeout=20)
        sock.close()
