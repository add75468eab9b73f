"""Readers on small inline samples of every supported format, and clear errors (file:line) on bad input."""

from __future__ import annotations

import json
import re

import pytest

from albert.tasks.examples import DataError, check_label, label_vocabulary
from albert.tasks.question_readers import read_multiple_choice, read_qa
from albert.tasks.readers import read_classification, read_token_classification
from tests.tasks.conftest import write

# ----- classification formats ------------------------------------------------------------------------


def test_sst2_header_single_sentence(tmp_path):
    path = write(tmp_path, "sst2.tsv", "sentence\tlabel\nit 's a charming journey . \t1\nbleak \t0\n")
    examples = read_classification(path)
    assert [(e.text, e.text_pair, e.label) for e in examples] == [
        ("it 's a charming journey . ", None, "1"),
        ("bleak ", None, "0"),
    ]
    assert examples[1].source == f"{path}:3"


def test_cola_without_header(tmp_path):
    text = "gj04\t1\t\tThe sailors rode the breeze.\ngj04\t0\t*\tThe more we study verbs.\n"
    examples = read_classification(write(tmp_path, "cola.tsv", text))
    assert [(e.text, e.label) for e in examples] == [
        ("The sailors rode the breeze.", "1"),
        ("The more we study verbs.", "0"),
    ]
    assert examples[0].source.endswith(":1")  # no header: the first line is data


def test_mrpc_with_bom_and_stray_quotes(tmp_path):
    text = (
        "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
        '1\t13\t14\tHe said "pie" is fine.\t"The pie business does not fit.\n'
        "0\t15\t16\tA\tB\n"
    )
    examples = read_classification(write(tmp_path, "mrpc.tsv", text, bom=True))
    assert examples[0].text == 'He said "pie" is fine.'
    assert examples[0].text_pair == '"The pie business does not fit.'  # the quote is text, not CSV quoting
    assert [e.label for e in examples] == ["1", "0"]


def test_rte_and_qnli_pairs(tmp_path):
    rte = write(tmp_path, "rte.tsv", "index\tsentence1\tsentence2\tlabel\n0\tA man.\tA person.\tentailment\n")
    qnli = write(tmp_path, "qnli.tsv", "index\tquestion\tsentence\tlabel\n0\tWho?\tJohn did.\tentailment\n")
    assert read_classification(rte)[0].text_pair == "A person."
    (q,) = read_classification(qnli)
    assert (q.text, q.text_pair, q.label) == ("Who?", "John did.", "entailment")


def test_stsb_regression(tmp_path):
    header = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
    row = "0\tmain\tMSRvid\t2012\t0000\tnone\tnone\tA man dances.\tA man is dancing.\t4.750\n"
    (example,) = read_classification(write(tmp_path, "sts.tsv", header + row), problem="regression")
    assert (example.text, example.text_pair, example.label) == ("A man dances.", "A man is dancing.", 4.75)


def test_csv_and_jsonl_with_named_columns(tmp_path):
    csv_path = write(tmp_path, "d.csv", 'review,stars\n"great, really",5\nmeh,1\n')
    examples = read_classification(csv_path, text_column="review", label_column="stars")
    assert [(e.text, e.label) for e in examples] == [("great, really", "5"), ("meh", "1")]
    jsonl = write(tmp_path, "d.jsonl", json.dumps({"q": "x?", "a": "y", "y": "yes"}) + "\n\n")
    (e,) = read_classification(jsonl, text_column="q", text_pair_column="a", label_column="y")
    assert (e.text, e.text_pair, e.label, e.source) == ("x?", "y", "yes", f"{jsonl}:1")


def test_multi_label_from_lists_and_separated_cells(tmp_path):
    jsonl = write(tmp_path, "m.jsonl", '{"text": "a", "labels": ["x", "y"]}\n{"text": "b", "labels": []}\n')
    assert [e.label for e in read_classification(jsonl, problem="multi_label")] == [["x", "y"], []]
    tsv = write(tmp_path, "m.tsv", "text\tlabel\na\tx|y\n")
    assert read_classification(tsv, problem="multi_label", label_separator="|")[0].label == ["x", "y"]


def test_label_vocabulary_order():
    assert label_vocabulary(["10", "2", "1", "2"]) == ["1", "2", "10"]
    assert label_vocabulary(["B-PER", "O", "I-PER"], first="O") == ["O", "B-PER", "I-PER"]


def test_one_number_written_two_ways_is_refused():
    # pandas exports write 0 / 1 and 0.0 / 1.0 in one column: that made a 4-class head for a binary task
    with pytest.raises(ValueError, match=r"the labels '0' and '0.0' are one number written two ways"):
        label_vocabulary(["0", "1", "0.0", "1.0"])
    assert label_vocabulary(["0.0", "1.0", "pos"]) == ["0.0", "1.0", "pos"]  # one spelling each: fine


# ----- token classification, QA, multiple choice -----------------------------------------------------


def test_conll_iob2_with_docstart(tmp_path):
    text = (
        "-DOCSTART- -X- -X- O\n\n"
        "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\n\n"
        "-DOCSTART- -X- -X- O\n\n"
        "Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n"  # no blank line at the end of the file
    )
    path = write(tmp_path, "conll.txt", text)
    a, b = read_token_classification(path)
    assert (a.words, a.tags, a.source) == (["EU", "rejects", "German"], ["B-ORG", "O", "B-MISC"], f"{path}:3")
    assert (b.words, b.tags, b.source) == (["Peter", "Blackburn"], ["B-PER", "I-PER"], f"{path}:9")


def test_token_jsonl(tmp_path):
    path = write(
        tmp_path, "ner.jsonl", json.dumps({"tokens": ["Paris", "is"], "ner_tags": ["B-LOC", "O"]}) + "\n"
    )
    (e,) = read_token_classification(path)
    assert (e.words, e.tags) == (["Paris", "is"], ["B-LOC", "O"])


def squad_json(context: str, answer: str, start: int, qid: str = "q1") -> str:
    qa = {"id": qid, "question": "What?", "answers": [{"text": answer, "answer_start": start}]}
    return json.dumps(
        {"version": "1.1", "data": [{"title": "T", "paragraphs": [{"context": context, "qas": [qa]}]}]},
        indent=1,
    )


def test_squad_json_and_jsonl(tmp_path):
    (e,) = read_qa(write(tmp_path, "s.json", squad_json("It began in October 1973.", "October 1973", 12)))
    assert (e.id, e.question, e.answers[0].text, e.answers[0].start) == ("q1", "What?", "October 1973", 12)
    row = {
        "id": "a",
        "question": "Who?",
        "context": "John ran.",
        "answers": {"text": ["John"], "answer_start": [0]},
    }
    (e,) = read_qa(write(tmp_path, "s.jsonl", json.dumps(row) + "\n"))
    assert (e.context, e.answers[0].text) == ("John ran.", "John")


def test_squad_data_list_alone_and_json_list_records_are_placed_by_item(tmp_path):
    articles = json.loads(squad_json("It began in October 1973.", "October 1973", 12))["data"]
    (e,) = read_qa(write(tmp_path, "articles.json", json.dumps(articles)))  # the `data` list saved alone
    assert (e.id, e.answers[0].text) == ("q1", "October 1973")
    rows = [{"id": "a", "question": "Who?", "context": "John ran.", "answers": [{"text": "John", "answer_start": 0}]},
            {"id": "b", "question": "", "context": "Mary ran."}]  # fmt: skip
    path = write(tmp_path, "rows.json", json.dumps(rows))
    with pytest.raises(DataError, match=r"rows\.json \(list item 1\): missing question"):  # not "rows.json:1"
        read_qa(path)
    with pytest.raises(DataError, match=r"tc\.json \(list item 0\): expected a JSON object"):
        read_classification(write(tmp_path, "tc.json", "[5]"))


def test_dream_json(tmp_path):
    data = [
        [
            ["M: Will you buy the coat?", "W: Yes, tomorrow."],
            [{"question": "When?", "choice": ["Today.", "Tomorrow.", "Never."], "answer": "Tomorrow."}],
            "1-1",
        ]
    ]
    path = write(tmp_path, "dream.json", json.dumps(data, indent=2))
    (e,) = read_multiple_choice(path)
    assert e.context == "M: Will you buy the coat? W: Yes, tomorrow."
    assert (e.question, e.choices, e.label, e.id) == ("When?", ["Today.", "Tomorrow.", "Never."], 1, "1-1-0")
    assert re.search(r"dream\.json:\d+ \(dialogue 1-1", e.source)


def test_commonsenseqa_and_generic_jsonl(tmp_path):
    row = {
        "answerKey": "B",
        "id": "x",
        "question": {
            "stem": "Where?",
            "choices": [{"label": "A", "text": "bank"}, {"label": "B", "text": "mall"}],
        },
    }
    (e,) = read_multiple_choice(write(tmp_path, "csqa.jsonl", json.dumps(row) + "\n"))
    assert (e.context, e.question, e.choices, e.label) == ("", "Where?", ["bank", "mall"], 1)
    generic = {"context": "A cat.", "question": "What?", "choices": ["dog", "cat"], "label": 1}
    (g,) = read_multiple_choice(write(tmp_path, "mc.jsonl", json.dumps(generic) + "\n"))
    assert (g.context, g.label) == ("A cat.", 1)


# ----- bad input -------------------------------------------------------------------------------------


def test_missing_named_column_names_file_and_header_line(tmp_path):
    path = write(tmp_path, "d.tsv", "sentence\tlabel\nhi\t1\n")
    with pytest.raises(
        DataError, match=rf"{re.escape(str(path))}:1: no label column 'stars'.*\['sentence', 'label'\]"
    ):
        read_classification(path, label_column="stars")


def test_missing_field_and_short_row_name_their_line(tmp_path):
    jsonl = write(tmp_path, "d.jsonl", '{"text": "a", "label": "x"}\n{"text": "b"}\n')
    with pytest.raises(DataError, match=rf"{re.escape(str(jsonl))}:2: missing value in column 'label'"):
        read_classification(jsonl)
    tsv = write(tmp_path, "d.tsv", "sentence1\tsentence2\tlabel\na\tb\t1\nc\td\n")
    with pytest.raises(DataError, match=rf"{re.escape(str(tsv))}:3: expected 3 columns, found 2"):
        read_classification(tsv)


@pytest.mark.parametrize(
    "reader",
    [read_classification, read_token_classification, read_qa, read_multiple_choice],
    ids=["classification", "tokens", "qa", "choice"],
)
def test_empty_file(tmp_path, reader):
    path = write(
        tmp_path, "empty.json" if reader in (read_qa, read_multiple_choice) else "empty.tsv", "\n  \n"
    )
    with pytest.raises(DataError, match=rf"{re.escape(str(path))}:1: the file is empty"):
        reader(path)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="nope.tsv"):
        read_classification("nope.tsv")


def test_squad_answer_not_in_context(tmp_path):
    path = write(tmp_path, "s.json", squad_json("It began in October 1973.", "November", 12, qid="bad-q"))
    with pytest.raises(
        DataError, match=r"s\.json:\d+ \(question id bad-q\): answer 'November' is not in its context"
    ):
        read_qa(path)
    line = int(re.search(r"s\.json:(\d+)", str(pytest.raises(DataError, read_qa, path).value)).group(1))
    assert '"bad-q"' in path.read_text().splitlines()[line - 1]  # the line really holds the question


def test_bad_labels_and_rows(tmp_path):
    with pytest.raises(
        DataError, match=r"f\.txt:2: label 'B-XYZ' is not among the training labels \(B-PER, O\)"
    ):
        check_label("B-XYZ", {"O": 0, "B-PER": 1}, f"{tmp_path}/f.txt:2")
    sts = write(tmp_path, "s.tsv", "sentence1\tsentence2\tscore\na\tb\thigh\n")
    with pytest.raises(DataError, match=r"s\.tsv:2: regression label 'high' is not a number"):
        read_classification(sts, problem="regression")
    conll = write(tmp_path, "c.txt", "EU B-ORG\nrejects\n")
    with pytest.raises(DataError, match=r"c\.txt:2: expected 'word \.\.\. tag'"):
        read_token_classification(conll)
    mc = write(tmp_path, "mc.jsonl", '{"question": "q", "choices": ["a", "b"], "label": "c"}\n')
    with pytest.raises(DataError, match=r"mc\.jsonl:1: answer 'c' is not one of the choices"):
        read_multiple_choice(mc)


def test_a_missing_file_and_a_directory_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.tsv: no such file"):
        read_classification(tmp_path / "nope.tsv")
    write(tmp_path, "train.tsv", "sentence\tlabel\ngood\t1\n")
    with pytest.raises(
        DataError, match=r"a directory, not a data file: give one of its files \(train\.tsv\)"
    ):
        read_classification(tmp_path)  # was "no such file", for a directory that exists
