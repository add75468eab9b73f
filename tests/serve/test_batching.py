"""Batching across requests against a real server: concurrent requests are coalesced and answered as
the pipeline answers them; the queue is bounded (429); timeouts and disconnected clients free their place."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("fastapi", reason="albert serve needs the serve extra: pip install 'albert-lite[serve]'")

import socket  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

from tests.serve.helpers import Gate, close_outputs, http, metric, running_server, wait_until  # noqa: E402

WORDS = ["red", "green", "blue", "small", "old", "new", "cold", "warm"]


def texts(n: int) -> list[str]:
    """n distinct texts of different lengths."""
    return [f"The {' '.join(WORDS[: 1 + i % len(WORDS)])} house number {i} is [MASK]." for i in range(n)]


def post(url: str, body: object, timeout: float = 30) -> Any:
    return http.post(f"{url}/v1/fill-mask", json=body, timeout=timeout)


def test_concurrent_requests_are_batched_and_answered_like_the_pipeline(fill_mask_pipe):
    inputs = texts(24)
    gate = Gate(fill_mask_pipe)
    with running_server("fill-mask", lambda: gate, max_batch_size=8, max_queue=64) as (url, state):
        gate.open.clear()  # hold the worker so that all 24 requests are waiting together
        post_one = lambda text: post(url, {"inputs": text, "parameters": {"top_k": 3}})  # noqa: E731
        with ThreadPoolExecutor(max_workers=24) as pool:
            futures = [pool.submit(post_one, text) for text in inputs]
            # all 24 admitted: queued, or taken by the worker's first (held) call
            wait_until(
                lambda: state.arriving == 0 and metric(url, "albert_requests_in_flight") == len(inputs)
            )
            gate.open.set()
            responses = [f.result() for f in futures]
        calls = metric(url, "albert_batch_items_count")
    assert [r.status_code for r in responses] == [200] * len(inputs)
    for text, response in zip(inputs, responses):
        assert close_outputs(response.json()["outputs"], fill_mask_pipe(text, top_k=3))
    assert calls <= 3, f"{len(inputs)} requests took {calls} pipeline calls; they were not coalesced"


def test_requests_with_other_parameters_are_run_apart(fill_mask_pipe):
    gate = Gate(fill_mask_pipe)
    with running_server("fill-mask", lambda: gate, max_wait_ms=0) as (url, state):
        gate.open.clear()
        with ThreadPoolExecutor(max_workers=4) as pool:
            first = pool.submit(post, url, {"inputs": "warm up [MASK]"})
            wait_until(gate.entered.is_set)  # the worker is busy with the first request
            bodies = [{"inputs": t, "parameters": {"top_k": k}} for t, k in zip(texts(3), (1, 2, 1))]
            futures = [pool.submit(post, url, body) for body in bodies]
            wait_until(lambda: state.worker.queued_items == 3)
            gate.open.set()
            assert first.result().status_code == 200
            for body, future in zip(bodies, futures):
                expected = fill_mask_pipe(body["inputs"], **body["parameters"])
                assert close_outputs(future.result().json()["outputs"], expected)
        assert metric(url, "albert_batch_items_count") == 3  # first; then top_k=1 (2 inputs) and top_k=2


def test_a_full_queue_answers_429_and_the_others_are_served(fill_mask_pipe):
    gate = Gate(fill_mask_pipe)
    with running_server("fill-mask", lambda: gate, max_queue=2, max_wait_ms=0) as (url, state):
        gate.open.clear()
        with ThreadPoolExecutor(max_workers=2) as pool:
            running = pool.submit(post, url, {"inputs": "one [MASK]"})
            wait_until(gate.entered.is_set)
            queued = pool.submit(post, url, {"inputs": ["two [MASK]", "three [MASK]"]})
            wait_until(lambda: state.worker.queued_items == 2)
            refused = post(url, {"inputs": "four [MASK]"})
            assert refused.status_code == 429
            assert "queue is full (2 of 2 inputs waiting)" in refused.json()["error"]
            gate.open.set()
            assert running.result().status_code == 200 and queued.result().status_code == 200
        assert post(url, {"inputs": "five [MASK]"}).status_code == 200
        assert metric(url, 'albert_requests_total{status="429"}') == 1


def test_a_request_that_times_out_gets_503_and_leaves_the_queue(fill_mask_pipe):
    gate = Gate(fill_mask_pipe)
    with running_server("fill-mask", lambda: gate, timeout_s=0.5, max_wait_ms=0) as (url, state):
        gate.open.clear()
        with ThreadPoolExecutor(max_workers=2) as pool:
            running = pool.submit(post, url, {"inputs": "one [MASK]"})
            wait_until(gate.entered.is_set)
            queued = post(url, {"inputs": "two [MASK]"})  # waits behind the held call, times out
            assert queued.status_code == 503 and "timed out after 0.5 s" in queued.json()["error"]
            assert state.worker.queued_items == 0
            assert running.result().status_code == 503  # its call had started: answer dropped
        gate.open.set()
        assert post(url, {"inputs": "three [MASK]"}).status_code == 200
        assert http.get(f"{url}/healthz").status_code == 200


def test_a_client_that_disconnects_frees_its_place(fill_mask_pipe):
    gate = Gate(fill_mask_pipe)
    with running_server("fill-mask", lambda: gate, max_wait_ms=0) as (url, state):
        gate.open.clear()
        with ThreadPoolExecutor(max_workers=1) as pool:
            running = pool.submit(post, url, {"inputs": "one [MASK]"})
            wait_until(gate.entered.is_set)
            body = b'{"inputs": ["two [MASK]", "three [MASK]"]}'
            head = f"POST /v1/fill-mask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            port = int(url.rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", port)) as client:
                client.sendall(head.encode() + body)
                wait_until(lambda: state.worker.queued_items == 2)
            wait_until(lambda: state.worker.queued_items == 0)  # the client left: its inputs left too
            gate.open.set()
            assert running.result().status_code == 200
        wait_until(lambda: metric(url, 'albert_requests_total{status="disconnected"}') == 1)


def test_many_clients_at_once_all_get_their_own_answer(fill_mask_pipe):
    inputs = texts(16)
    expected = {text: fill_mask_pipe(text, top_k=1) for text in inputs}
    limits = dict(max_batch_size=8, max_queue=64)
    with (
        running_server("fill-mask", lambda: fill_mask_pipe, **limits) as (url, _),
        ThreadPoolExecutor(8) as pool,
    ):
        responses = list(pool.map(lambda t: post(url, {"inputs": t, "parameters": {"top_k": 1}}), inputs))
    assert all(r.status_code == 200 for r in responses)
    assert all(close_outputs(r.json()["outputs"], expected[t]) for t, r in zip(inputs, responses))


def test_a_lone_request_does_not_wait_for_company(fill_mask_pipe):
    # The worker would wait up to 60 s for more requests; with nobody else arriving it must not (the
    # request would time out after 20 s).
    with running_server("fill-mask", lambda: fill_mask_pipe, max_wait_ms=60_000, timeout_s=20) as (url, _):
        assert post(url, {"inputs": "alone [MASK]"}).status_code == 200
