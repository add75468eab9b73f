"""`albert run` and `albert fill-mask`: end to end through `python -m albert` (stdin in, JSON lines out,
per-line errors, exit codes) and in process for the remaining tasks and the messages."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest

from albert import cli
from albert.cli.pipeline_commands import _progress_bar
from albert.tokenizer import AlbertTokenizerFast
from tests.cli.helpers import albert_cmd, json_lines
from tests.pipelines.tiny_models import assert_same


def test_run_fill_mask_keeps_order_and_reports_bad_lines(dirs, env):
    lines = [
        "The capital of France is [MASK].",
        "no mask on this line",
        '{"text": "[MASK] and [MASK]"}',
        "{not json",
        "[MASK] " + "word " * 600,  # too long, truncation off
        "last [MASK] line",
    ]
    proc = albert_cmd(env, "run", "--task", "fill-mask", "--model", str(dirs["fill-mask"]), "--top-k", "2",
                      stdin="\n".join(lines) + "\n")  # fmt: skip
    assert proc.returncode == cli.EXIT_SOME_LINES_FAILED, proc.stderr
    out = json_lines(proc.stdout)
    assert len(out) == len(lines)  # output line N answers input line N
    assert [o.get("line") for o in out if isinstance(o, dict)] == [2, 4, 5]
    assert "line 2: no mask token" in proc.stderr and "line 4: invalid JSON" in proc.stderr
    assert re.search(r"line 5: input is \d+ tokens long but the model accepts at most 512; shorten it or pass "
                     r"--truncation\n", proc.stderr)  # fmt: skip
    assert out[4]["error"].endswith("shorten it or pass --truncation")
    assert "Traceback" not in proc.stderr
    assert len(out[0]) == 2 and len(out[2]) == 2 and out[5][0]["sequence"].startswith("last")

    from albert.pipelines import pipeline

    fill = pipeline("fill-mask", dirs["fill-mask"], AlbertTokenizerFast.from_pretrained(dirs["fill-mask"]))
    expected = fill([lines[0], "[MASK] and [MASK]", lines[5]], top_k=2)
    assert_same([out[0], out[2], out[5]], expected, tol=1e-6)


@pytest.mark.parametrize(
    "locale_env",
    [{"LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii:strict"}, {"LC_ALL": "C.UTF-8"},
     {"PYTHONUTF8": "0", "LC_ALL": "POSIX", "PYTHONIOENCODING": "latin-1"}],
    ids=["C-ascii", "C.UTF-8", "latin-1"],
)  # fmt: skip
def test_run_non_utf8_line_gets_its_own_error_row(dirs, env, locale_env):
    """50 good lines, one that is not UTF-8 (latin-1 "café"), 3 more: every line answered, in order."""
    good = [f"line {i} is [MASK] here.".encode() for i in range(50)]
    stdin = b"\n".join([*good, "caf\xe9 [MASK]".encode("latin-1"), "naïve [MASK] ok".encode(), b"x [MASK]"])
    proc = subprocess.run(
        [sys.executable, "-m", "albert", "run", "--task", "fill-mask", "--model", str(dirs["fill-mask"])],
        input=stdin + b"\n", capture_output=True, env={**env, **locale_env}, timeout=120,
    )  # fmt: skip
    assert proc.returncode == cli.EXIT_SOME_LINES_FAILED, proc.stderr
    out = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    assert len(out) == 53 and all(isinstance(row, list) for i, row in enumerate(out) if i != 50)
    assert out[50]["line"] == 51 and "not valid UTF-8 (byte 0xe9" in out[50]["error"]
    assert out[51][0]["sequence"].startswith("naive")  # non-ASCII results are written as UTF-8
    assert b"line 51: not valid UTF-8" in proc.stderr and b"Traceback" not in proc.stderr


def test_run_keeps_finished_rows_when_reading_fails_later(dirs, monkeypatch, capsys):
    class FailingStdin(io.StringIO):
        def __iter__(self):
            yield "first [MASK]\n"
            yield "second [MASK]\n"
            raise OSError("device went away")

    monkeypatch.setattr(sys, "stdin", FailingStdin())
    status = cli.main(["run", "--task", "fill-mask", "--model", str(dirs["fill-mask"])])
    captured = capsys.readouterr()
    assert status == cli.EXIT_ERROR
    rows = json_lines(captured.out)
    assert [row[0]["sequence"].split()[0] for row in rows] == ["first", "second"]
    assert "reading stdin failed after line 2: device went away" in captured.err


def test_run_question_answering(dirs, env):
    qa = {"question": "Where do I live?", "context": "My name is Wolfgang and I live in Berlin."}
    stdin = json.dumps(qa) + "\nplain text is not a question\n"
    proc = albert_cmd(env, "run", "--task", "question-answering", "--model", str(dirs["question-answering"]),
                      "-p", "max_answer_len=3", stdin=stdin)  # fmt: skip
    assert proc.returncode == cli.EXIT_SOME_LINES_FAILED
    first, second = json_lines(proc.stdout)
    assert qa["context"][first["start"] : first["end"]] == first["answer"]
    assert second["line"] == 2 and "needs a JSON object" in second["error"]


def test_fill_mask_table(dirs, env):
    proc = albert_cmd(
        env, "fill-mask", "The [MASK] is [MASK].", "--model", str(dirs["fill-mask"]), "--top-k", "3"
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "[MASK] 1 of 2" and lines[1].split() == ["rank", "score", "token", "sequence"]
    assert len(lines) == 2 * (2 + 3)


def test_fill_mask_truncation(dirs, env):
    model = ["--model", str(dirs["fill-mask"])]
    long_text = "[MASK] " + "word " * 600
    proc = albert_cmd(env, "fill-mask", long_text, *model)
    assert proc.returncode == cli.EXIT_ERROR and "--truncation" in proc.stderr
    proc = albert_cmd(env, "fill-mask", long_text, *model, "--truncation", "--top-k", "2")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].split() == ["rank", "score", "token", "sequence"]
    proc = albert_cmd(env, "fill-mask", "word " * 600 + "[MASK]", *model, "--truncation")
    assert proc.returncode == cli.EXIT_ERROR
    assert proc.stderr.startswith("albert: error: truncation to 512 tokens removed every mask token")


@pytest.mark.filterwarnings("ignore:Tokenizer does not support real words")
def test_run_other_tasks(run_main, dirs):
    status, out, _ = run_main("run", "--task", "ner", "--model", str(dirs["token-classification"]),
                              "--aggregation-strategy", "simple", stdin="Wolfgang lives in Berlin\n\n")  # fmt: skip
    assert status == 0 and [type(x) for x in json_lines(out)] == [list, list]
    status, out, _ = run_main("run", "--task", "feature-extraction", "--model", str(dirs["fill-mask"]),
                              "--pooling", "mean", stdin="hello world\nbye\n")  # fmt: skip
    assert status == 0 and [len(v) for v in json_lines(out)] == [32, 32]
    item = {"prompt": "He opened the door", "choices": ["and left.", "and flew."]}
    status, out, _ = run_main("run", "--task", "multiple-choice", "--model", str(dirs["multiple-choice"]),
                              stdin=json.dumps(item) + "\n")  # fmt: skip
    assert status == 0 and sorted(c["choice"] for c in json_lines(out)[0]) == sorted(item["choices"])


def test_option_that_does_not_apply_to_the_task(run_main, dirs):
    status, _, err = run_main(
        "run", "--task", "ner", "--model", str(dirs["token-classification"]), "--top-k", "2"
    )
    assert status == cli.EXIT_ERROR and "unexpected arguments: top_k" in err


def test_text_classification_pairs(run_main, dirs):
    stdin = 'I loved it\n{"text": "A man sleeps.", "text_pair": "Nobody sleeps."}\n'
    args = (
        "run",
        "--task",
        "sentiment-analysis",
        "--model",
        str(dirs["text-classification"]),
        "--top-k",
        "2",
    )
    status, out, _ = run_main(*args, stdin=stdin)
    assert status == 0
    out = json_lines(out)
    assert len(out) == 2 and all(len(o) == 2 for o in out)
    assert {d["label"] for o in out for d in o} <= {"negative", "neutral", "positive"}


def test_messages_speak_cli(run_main, dirs, monkeypatch):
    """Errors name flags (--model DIR, --device cpu, --truncation), never Python arguments."""
    import torch

    status, _, err = run_main("run", "--task", "ner", stdin="a\n")
    assert status == cli.EXIT_ERROR and "pass --model DIR" in err and "model=" not in err
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    status, _, err = run_main("fill-mask", "a [MASK]", "--model", str(dirs["fill-mask"]), "--device", "cuda")
    assert status == cli.EXIT_ERROR and err.strip().endswith("use --device cpu") and "device=" not in err
    status, _, err = run_main("fill-mask", "[MASK] " + "word " * 600, "--model", str(dirs["fill-mask"]))
    assert status == cli.EXIT_ERROR and err.strip().endswith("pass --truncation") and "=True" not in err


def test_progress_bar_only_on_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert _progress_bar() is None
    monkeypatch.setattr(sys, "stderr", Terminal())
    bar = _progress_bar()
    bar.update(3)
    bar.close()
    assert "3 lines" in sys.stderr.getvalue()


def test_run_zero_shot_classification(run_main, dirs):
    args = ("run", "--task", "zero-shot-classification", "--model", str(dirs["zero-shot-classification"]))
    status, out, _ = run_main(*args, "--candidate-labels", "place, person", stdin="Paris is a city\nWho\n")
    assert status == 0
    rows = json_lines(out)
    assert [r["sequence"] for r in rows] == ["Paris is a city", "Who"]
    assert all(
        sorted(r["labels"]) == ["person", "place"] and sum(r["scores"]) == pytest.approx(1) for r in rows
    )
    # a missing --candidate-labels is one error before any line is read, not an error row per line
    status, out, err = run_main(*args, stdin="Paris\nRome\n")
    assert status == 1 and out == "" and err.count("needs candidate_labels") == 1
    assert "--candidate-labels 'sports,politics'" in err
    # {"text": ...} takes a text that starts with "{"
    status, out, _ = run_main(*args, "--candidate-labels", "place, person", stdin='{"text": "{x} Paris"}\n')
    assert status == 0 and json_lines(out)[0]["sequence"] == "{x} Paris"


def test_run_ner_names_the_flags_that_split_a_long_text(run_main, dirs):
    args = ("run", "--task", "ner", "--model", str(dirs["token-classification"]))
    status, _, err = run_main(*args, stdin="x " * 600 + "\n")
    assert status == cli.EXIT_SOME_LINES_FAILED
    assert "pass -p stride=N --aggregation-strategy simple to split it into windows" in err
    assert "--truncation" not in err
    status, out, err = run_main(*args, "-p", "stride=16", stdin="a\nb\n")  # one error, not one per line
    assert status == 1 and out == "" and "e.g. --aggregation-strategy simple" in err


@pytest.mark.parametrize(("flag", "expected"), [((), 16), (("--batch-size", "3"), 3)])
def test_run_batch_size_is_the_pipelines_unless_given(run_main, dirs, monkeypatch, flag, expected):
    """Without --batch-size the pipeline's own default (`DEFAULT_BATCH_SIZE`) applies, not a second one."""
    import albert.pipelines.base as base

    seen = []
    monkeypatch.setattr(base.Pipeline, "_run_window", lambda self, items, p, e, size: seen.append(size) or [])
    assert base.DEFAULT_BATCH_SIZE == 16
    run_main("run", "--task", "fill-mask", "--model", str(dirs["fill-mask"]), *flag, stdin="a [MASK]\n")
    assert seen == [expected]
