"""Tests for albert.data.corpus: readers for WikiExtractor, Gutenberg and plain text, and sentence splitting."""

from __future__ import annotations

from pathlib import Path

import pytest

from albert.data.corpus import (
    corpus_files,
    detect_format,
    document_sentences,
    read_documents,
    split_sentences,
    strip_gutenberg_boilerplate,
)

WIKI = """<doc id="12" url="http://en.wikipedia.org/wiki?curid=12" title="Anarchism">
Anarchism

Anarchism is a political philosophy. It advocates stateless societies.
Etymology and terminology.
The term "anarchism" is a compound word. It comes from Greek.
</doc>
<doc id="25" url="http://en.wikipedia.org/wiki?curid=25" title="Autism">
Autism

Autism is a disorder of neural development.
</doc>
"""

GUTENBERG = (
    "\ufeffThe Project Gutenberg EBook of Alice, by Lewis Carroll\r\n\r\n"
    "This eBook is for the use of anyone anywhere.\r\n\r\n"
    "*** START OF THIS PROJECT GUTENBERG EBOOK ALICE ***\r\n\r\n"
    "Produced by Arthur DiBianca and David Widger\r\n\r\n"
    "CHAPTER I.\r\n\r\n"
    "Alice was beginning to get very tired of sitting by her sister\r\n"
    "on the bank. Once or twice she had peeped into the book.\r\n\r\n"
    "'What is the use of a book,' thought Alice.\r\n\r\n"
    "End of the Project Gutenberg EBook of Alice, by Lewis Carroll\r\n\r\n"
    "*** END OF THIS PROJECT GUTENBERG EBOOK ALICE ***\r\n\r\n"
    "Section 1. General Terms of Use and Redistributing Project Gutenberg-tm.\r\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_wikiextractor_blocks_drop_title_and_headings(tmp_path: Path) -> None:
    documents = list(read_documents(write(tmp_path, "wiki_00", WIKI)))
    assert documents == [
        [
            "Anarchism is a political philosophy. It advocates stateless societies.",
            'The term "anarchism" is a compound word. It comes from Greek.',
        ],
        ["Autism is a disorder of neural development."],
    ]


def test_an_unclosed_doc_block_is_kept_with_a_warning(tmp_path: Path, caplog) -> None:
    """A truncated copy: the last block's </doc> missing (it was dropped without a word; alone in its file,
    the corpus had "no text"), or a block's </doc> missing before the next one."""
    expected = list(read_documents(write(tmp_path, "wiki_00", WIKI)))
    truncated = write(tmp_path, "wiki_01", WIKI.rstrip().removesuffix("</doc>"))
    unclosed = write(tmp_path, "wiki_02", WIKI.replace("</doc>\n<doc", "<doc", 1))
    for path in (truncated, unclosed):
        caplog.clear()
        with caplog.at_level("WARNING", logger="albert"):
            assert list(read_documents(path)) == expected
        assert f"{path}: a <doc> block has no </doc>" in caplog.text


def test_gutenberg_licence_removed_with_crlf_and_bom(tmp_path: Path) -> None:
    [book] = read_documents(write(tmp_path, "11-0.txt", GUTENBERG))
    assert book == [
        "CHAPTER I.",
        "Alice was beginning to get very tired of sitting by her sister on the bank. "
        "Once or twice she had peeped into the book.",
        "'What is the use of a book,' thought Alice.",
    ]
    assert not any("\r" in p or "\ufeff" in p or "Gutenberg" in p for p in book)


def test_gutenberg_old_style_footer_without_end_marker() -> None:
    text = "*** START OF THE PROJECT GUTENBERG ETEXT OF X ***\nBody text.\n\n***START**THE SMALL PRINT!**\nLegal."
    assert strip_gutenberg_boilerplate(text).strip() == "Body text."


def test_gutenberg_without_markers_keeps_whole_book(tmp_path: Path) -> None:
    path = write(
        tmp_path, "cthulhu.txt", "The Call of Cthulhu\n\nFirst paragraph here.\nStill it.\n\nSecond one.\n"
    )
    assert list(read_documents(path, "gutenberg")) == [
        ["The Call of Cthulhu", "First paragraph here. Still it.", "Second one."]
    ]


def test_lines_format_blank_line_separates_documents(tmp_path: Path) -> None:
    path = write(tmp_path, "corpus.txt", "\ufeffFirst doc, line one.\r\nLine two.\r\n\r\n\r\nSecond doc.\r\n")
    assert detect_format(path.read_text(encoding="utf-8-sig")) == "lines"
    assert list(read_documents(path)) == [["First doc, line one.", "Line two."], ["Second doc."]]


def test_file_format_one_document_per_file(tmp_path: Path) -> None:
    path = write(tmp_path, "essay.txt", "Para one\nwrapped.\n\nPara two.\n")
    assert list(read_documents(path, "file")) == [["Para one wrapped.", "Para two."]]


def test_detect_format() -> None:
    assert detect_format(WIKI) == "wikiextractor"
    assert detect_format(GUTENBERG.replace("\r\n", "\n")) == "gutenberg"
    assert detect_format("just text\n") == "lines"


def test_corpus_files_expands_directories_and_formats(tmp_path: Path) -> None:
    write(tmp_path, "b.txt", "x")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "a.txt", "y")
    write(tmp_path, ".hidden", "z")
    files = corpus_files([tmp_path, (tmp_path / "b.txt", "gutenberg")])
    assert [(p.relative_to(tmp_path).as_posix(), f) for p, f in files] == [
        ("b.txt", "auto"),
        ("sub/a.txt", "auto"),
        ("b.txt", "gutenberg"),
    ]
    with pytest.raises(FileNotFoundError):
        corpus_files([tmp_path / "missing"])


def test_split_sentences_handles_abbreviations_and_decimals() -> None:
    text = "Dr. Smith paid 3.5 dollars in Washington D.C. on Monday. He left! Did she? Yes."
    assert split_sentences(text) == [
        "Dr. Smith paid 3.5 dollars in Washington D.C. on Monday.",
        "He left!",
        "Did she?",
        "Yes.",
    ]
    assert split_sentences("   ") == []


def test_document_sentences_flattens_paragraphs() -> None:
    assert document_sentences(["One. Two.", "Three."]) == ["One.", "Two.", "Three."]
