"""The HTTP API against a real server: answers equal the pipeline's, every bad request is a 4xx with
{"error"}, and /healthz, /metrics, /v1/info, the page and the OpenAPI schema."""

from __future__ import annotations

import threading
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="albert serve needs the serve extra: pip install 'albert-lite[serve]'")

from tests.serve.helpers import close_outputs, http, metric, running_server, wait_until  # noqa: E402

TEXTS = [
    "The capital of France is [MASK].",
    "A [MASK] day.",
    "She went to the [MASK] to buy some bread and then came back home [MASK].",
]


@pytest.fixture(scope="module")
def fill_server(fill_mask_pipe):
    limits = dict(max_items=4, max_body_bytes=20_000, max_input_chars=5_000, max_batch_size=8)
    with running_server("fill-mask", lambda: fill_mask_pipe, **limits) as (url, state):
        yield url, state


def post(url: str, task: str, body: object) -> Any:
    return http.post(f"{url}/v1/{task}", json=body, timeout=30)


@pytest.mark.parametrize("parameters", [{}, {"top_k": 2}, {"targets": ["paris", "london"]}])
def test_fill_mask_answers_equal_the_pipeline(fill_server, fill_mask_pipe, parameters):
    url, _ = fill_server
    for text in TEXTS:
        response = post(url, "fill-mask", {"inputs": text, "parameters": parameters})
        assert response.status_code == 200, response.text
        assert close_outputs(response.json()["outputs"], fill_mask_pipe(text, **parameters))
    response = post(url, "fill-mask", {"inputs": TEXTS, "parameters": parameters})
    assert close_outputs(response.json()["outputs"], fill_mask_pipe(TEXTS, **parameters))


def test_a_list_of_one_gets_a_list_and_objects_are_inputs(fill_server, fill_mask_pipe):
    url, _ = fill_server
    response = post(url, "fill-mask", {"inputs": [TEXTS[0]]})
    assert close_outputs(response.json()["outputs"], [fill_mask_pipe(TEXTS[0])])
    # a JSON object input, or a string holding one, as an `albert run` line
    for inputs in ({"text": TEXTS[1]}, '{"text": "A [MASK] day."}'):
        response = post(url, "fill-mask", {"inputs": inputs})
        assert close_outputs(response.json()["outputs"], fill_mask_pipe(TEXTS[1])), response.text


def test_text_classification_keeps_the_pipeline_shapes(classifier_pipe):
    pair = {"text": "I liked it.", "text_pair": "It was fine."}
    with running_server("text-classification", lambda: classifier_pipe) as (url, _):
        for inputs, parameters in [
            ("Great!", {}),
            (pair, {}),
            ("Great!", {"top_k": None}),
            (["a", "b c"], {}),
        ]:
            response = post(url, "sentiment-analysis", {"inputs": inputs, "parameters": parameters})
            assert response.status_code == 200, response.text
            assert close_outputs(response.json()["outputs"], classifier_pipe(inputs, **parameters))


def test_question_answering_takes_objects_only(qa_pipe):
    item = {"question": "Where is the tower?", "context": "The tower is in Paris, near the river."}
    with running_server("question-answering", lambda: qa_pipe) as (url, _):
        response = post(url, "question-answering", {"inputs": item, "parameters": {"top_k": 2}})
        assert close_outputs(response.json()["outputs"], qa_pipe(item, top_k=2)), response.text
        response = post(url, "question-answering", {"inputs": "where is it?"})
        assert response.status_code == 422
        assert "needs a JSON object" in response.json()["error"]


def test_token_classification_takes_pre_split_words(tmp_path):
    from albert.pipelines import pipeline
    from tests.serve.helpers import tiny_model_dir

    labels = {0: "O", 1: "B-PER", 2: "I-PER"}
    path = tiny_model_dir(tmp_path, "AlbertForTokenClassification", num_labels=3, id2label=labels)
    pipe = pipeline("token-classification", path, batch_size=8)
    words = {"is_split_into_words": True}
    with running_server("token-classification", lambda: pipe) as (url, _):
        for inputs, parameters in [
            (
                ["Ada", "Lovelace", "wrote", "notes"],
                words,
            ),  # one input: a list of one result, as the pipeline
            ([["Ada", "wrote"], ["Alan", "Turing", "too"]], words),
            (["Ada", "wrote"], {**words, "delimiter": "_", "aggregation_strategy": "simple"}),
            (["Ada wrote", "Alan did"], {}),  # without the flag a list of strings is a list of texts
        ]:
            response = post(url, "ner", {"inputs": inputs, "parameters": parameters})
            assert response.status_code == 200, response.text
            assert close_outputs(response.json()["outputs"], pipe(inputs, **parameters))
        for inputs, error in [
            ("Ada wrote", '"inputs" is a string; send a list of words or a list of such lists'),
            ([], '"inputs" is an empty list'),
            (
                [["Ada"], []],
                '"inputs"[1] must be a non-empty list of words (strings) with is_split_into_words',
            ),
            (
                [["Ada"], [3]],
                '"inputs"[1][0] must be a word (a string) with is_split_into_words, got a number',
            ),
            (["Ada", 3], '"inputs"[1] must be a word (a string) with is_split_into_words, got a number'),
        ]:
            response = post(url, "ner", {"inputs": inputs, "parameters": words})
            assert response.status_code == 422, (inputs, response.text)
            assert error in response.json()["error"], response.text


LONG = "word " * 600 + "[MASK]"
BAD_REQUESTS = [  # (body, status, words of the error)
    (b"{not json", 400, "malformed JSON"),
    (b"\xff\xfe", 400, "malformed JSON"),
    (b"[1, 2]", 422, "must be a JSON object"),
    (b"{}", 422, 'missing field "inputs"'),
    (b'{"inputs": "a [MASK]", "extra": 1}', 422, "unknown field"),
    (b'{"inputs": 3}', 422, "got a number"),
    (b'{"inputs": null}', 422, "got null"),
    (b'{"inputs": []}', 422, "empty list"),
    (b'{"inputs": ["a [MASK]", 7]}', 422, '"inputs"[1] must be a string'),
    (b'{"inputs": "a [MASK]", "parameters": [1]}', 422, '"parameters" must be a JSON object'),
    (b'{"inputs": "a [MASK]", "parameters": {"top_k": 0}}', 422, "top_k must be an int >= 1"),
    (b'{"inputs": "a [MASK]", "parameters": {"top_k": "3"}}', 422, "top_k must be an int"),
    (b'{"inputs": "a [MASK]", "parameters": {"colour": "red"}}', 422, "unexpected arguments: colour"),
    (b'{"inputs": "a [MASK]", "parameters": {"batch_size": 8}}', 422, "batch_size is the server's to set"),
    (b'{"inputs": "a [MASK]", "parameters": {"return_tensors": true}}', 422, "not available over HTTP"),
    (b'{"inputs": "no mask here"}', 422, "no mask token"),
    (b'{"inputs": ["a [MASK]", "no mask"]}', 422, '"inputs"[1]: no mask token'),
    (f'{{"inputs": "{LONG}"}}'.encode(), 422, "tokens long but the model accepts at most 512"),
    (
        b'{"inputs": ["a [MASK]", "b [MASK]", "c [MASK]", "d [MASK]", "e [MASK]"]}',
        413,
        "at most 4 per request",
    ),
    (b'{"inputs": "' + b"x" * 6000 + b' [MASK]"}', 413, "at most 5000 per input"),
    (b'{"inputs": "' + b"x" * 30000 + b'"}', 413, "at most 20000"),
]


@pytest.mark.parametrize(("body", "status", "words"), BAD_REQUESTS, ids=[w for _, _, w in BAD_REQUESTS])
def test_bad_requests_are_4xx_naming_the_problem(fill_server, body, status, words):
    url, _ = fill_server
    response = http.post(f"{url}/v1/fill-mask", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    assert words in response.json()["error"]


def test_token_limit_of_the_server(fill_mask_pipe):
    """--max-input-tokens: counted with the pipeline's tokenizer, 413 naming the item; shorter inputs pass."""
    with running_server("fill-mask", lambda: fill_mask_pipe, max_input_tokens=12) as (url, _):
        assert post(url, "fill-mask", {"inputs": TEXTS[0]}).status_code == 200
        response = post(url, "fill-mask", {"inputs": [TEXTS[0], "word " * 20 + "[MASK]"]})
        assert response.status_code == 413, response.text
        assert response.json()["error"].startswith('"inputs"[1] has ')
        assert "at most 12 per input" in response.json()["error"]


def test_long_input_with_truncation_is_answered(fill_server, fill_mask_pipe):
    url, _ = fill_server
    response = post(
        url, "fill-mask", {"inputs": "[MASK] " + "word " * 600, "parameters": {"truncation": True}}
    )
    assert response.status_code == 200, response.text


def test_wrong_task_route_and_method_answer_json_errors(fill_server):
    url, _ = fill_server
    response = post(url, "question-answering", {"inputs": "x"})
    assert response.status_code == 404 and "this server runs fill-mask" in response.json()["error"]
    assert http.get(f"{url}/nowhere").json() == {"error": "Not Found"}
    assert http.get(f"{url}/v1/fill-mask").status_code == 405


def test_server_stays_healthy_and_counts_statuses(fill_server):
    url, _ = fill_server
    before = metric(url, 'albert_requests_total{status="422"}')
    assert post(url, "fill-mask", {"inputs": "no mask"}).status_code == 422
    assert metric(url, 'albert_requests_total{status="422"}') == before + 1
    assert http.get(f"{url}/healthz").json() == {"status": "ready"}
    assert post(url, "fill-mask", {"inputs": TEXTS[0]}).status_code == 200
    text = http.get(f"{url}/metrics").text
    for name in ("albert_request_seconds_bucket", "albert_batch_items_bucket", "albert_queue_items"):
        assert name in text


def test_info_page_and_openapi(fill_server):
    url, _ = fill_server
    info = http.get(f"{url}/v1/info").json()
    assert info["task"] == "fill-mask" and info["limits"]["max_items"] == 4
    page = http.get(f"{url}/")
    assert page.status_code == 200 and "Fill the mask" in page.text
    schema = http.get(f"{url}/openapi.json").json()
    assert "/v1/{task}" in schema["paths"] and "/healthz" in schema["paths"]


def test_healthz_is_503_while_loading_and_while_draining(fill_mask_pipe):
    loaded = threading.Event()

    def slow_load():
        loaded.wait(20)
        return fill_mask_pipe

    with running_server("fill-mask", slow_load, wait_ready=False) as (url, state):
        assert http.get(f"{url}/healthz").status_code == 503
        assert http.get(f"{url}/healthz").json()["status"] == "loading"
        response = post(url, "fill-mask", {"inputs": TEXTS[0]})
        assert response.status_code == 503 and "loading" in response.json()["error"]
        loaded.set()
        wait_until(lambda: http.get(f"{url}/healthz").status_code == 200)
        state.drain()
        assert http.get(f"{url}/healthz").json() == {"status": "draining"}
        assert post(url, "fill-mask", {"inputs": TEXTS[0]}).status_code == 503


def test_zero_shot_requests_with_different_labels(tmp_path):
    from albert.pipelines import pipeline
    from tests.serve.helpers import tiny_model_dir

    nli = {0: "contradiction", 1: "neutral", 2: "entailment"}
    path = tiny_model_dir(tmp_path, "AlbertForSequenceClassification", num_labels=3, id2label=nli)
    pipe = pipeline("zero-shot-classification", path, batch_size=8)
    with running_server("zero-shot-classification", lambda: pipe) as (url, _):
        for inputs, parameters in [
            ("Paris is a city", {"candidate_labels": ["place", "person"]}),
            (["a b", "c"], {"candidate_labels": "x, y, z", "multi_label": True}),
        ]:
            response = post(url, "zero-shot-classification", {"inputs": inputs, "parameters": parameters})
            assert response.status_code == 200, response.text
            assert close_outputs(response.json()["outputs"], pipe(inputs, **parameters))
        response = post(url, "zero-shot-classification", {"inputs": "Paris"})
        assert response.status_code == 422 and "candidate_labels" in response.text
