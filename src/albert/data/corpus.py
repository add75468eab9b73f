"""Plain-text corpora → documents → sentences.

Readers for WikiExtractor `<doc>` files, Project Gutenberg books and plain text, each yielding documents as
lists of paragraphs; `split_sentences` cuts paragraphs into sentences with `sentencex`. Tokenisation and
instance construction live elsewhere (`build.py`, `sentence_order.py`).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal

logger = logging.getLogger(__name__)

CorpusFormat = Literal["auto", "wikiextractor", "gutenberg", "lines", "file"]
CorpusSource = str | os.PathLike[str] | tuple[str | os.PathLike[str], CorpusFormat]
Document = list[str]  # a document as a list of paragraphs (or sentences)

_GUTENBERG_START = re.compile(r"^\s*\*{3}\s*START OF (THE|THIS) PROJECT GUTENBERG", re.IGNORECASE)
# Old (pre-2010) files have no "*** END OF" line: their licence starts at "End of the Project Gutenberg
# EBook", at the "***START**THE SMALL PRINT" block or at a repeated "The Project Gutenberg Etext of" banner.
_GUTENBERG_END = re.compile(
    r"^\s*(\*{3}\s*END OF (THE|THIS) PROJECT GUTENBERG|End of (the |this )?Project Gutenberg"
    r"|\*+\s*START\s*\*+\s*THE SMALL PRINT|The Project Gutenberg Etext of)",
    re.IGNORECASE,
)
_WIKI_DOC_START = re.compile(r"^<doc\b[^>]*>\s*$")
_SENTENCE_END = ("?", "!", ":", ";", '"', "'", "”", "’")


def read_text(path: str | os.PathLike[str]) -> str:
    """A file's text with a UTF-8 BOM dropped and CRLF/CR turned into LF; undecodable bytes become U+FFFD."""
    with open(path, encoding="utf-8-sig", errors="replace", newline=None) as f:
        return f.read()


def _paragraphs(lines: Iterable[str]) -> list[str]:
    """Blank-line separated blocks, hard-wrapped lines joined with a space, whitespace collapsed."""
    paragraphs, current = [], []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return [" ".join(p.split()) for p in paragraphs]


def strip_gutenberg_boilerplate(text: str) -> str:
    """The text between a Project Gutenberg `*** START OF` line and its end marker.

    A file without a START marker is returned whole (with a log line), since some copies already had
    their licence removed.
    """
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if _GUTENBERG_START.match(line)), None)
    if start is None:
        logger.info("no Project Gutenberg START marker; keeping the whole text")
        return text
    end = next((i for i in range(start + 1, len(lines)) if _GUTENBERG_END.match(lines[i])), len(lines))
    return "\n".join(lines[start + 1 : end])


def gutenberg_documents(text: str) -> Iterator[Document]:
    """One book → one document of paragraphs, licence header and footer removed, and the volunteers'
    "Produced by …" credit dropped when it is among the first paragraphs."""
    paragraphs = _paragraphs(strip_gutenberg_boilerplate(text).split("\n"))
    paragraphs = [p for i, p in enumerate(paragraphs) if not (i < 5 and p.startswith("Produced by"))]
    if paragraphs:
        yield paragraphs


def file_documents(text: str) -> Iterator[Document]:
    """One file → one document; blank lines separate paragraphs and wrapped lines are joined."""
    paragraphs = _paragraphs(text.split("\n"))
    if paragraphs:
        yield paragraphs


def line_documents(text: str) -> Iterator[Document]:
    """The original recipe's input format: one sentence (or paragraph) per line, blank line = new document."""
    document: Document = []
    for line in text.split("\n"):
        line = " ".join(line.split())
        if line:
            document.append(line)
        elif document:
            yield document
            document = []
    if document:
        yield document


def is_wiki_heading(line: str, max_words: int = 5) -> bool:
    """WikiExtractor section headings: short lines ("Early life.", "External links.") with no ending of
    their own other than one full stop. Short real sentences ("He died in 1990.") are dropped too; rare."""
    return len(line.split()) <= max_words and not line.endswith(_SENTENCE_END) and line.count(".") <= 1


def wikiextractor_documents(
    text: str, *, drop_headings: bool = True, source: str = "a WikiExtractor text"
) -> Iterator[Document]:
    """WikiExtractor output → one document per `<doc ...>` … `</doc>` block, one paragraph per line.

    The block's first line repeats the article title and is dropped; with `drop_headings` section headings
    are dropped as well (they are not sentences and would only add noise to sentence-order pairs). A block
    left open (a truncated copy of a file) is kept, with a warning naming `source`.
    """
    document: Document | None = None
    title_pending = False
    for line in text.split("\n"):
        if _WIKI_DOC_START.match(line):
            if document:
                _warn_unclosed(source, "before the next <doc>")
                yield document
            document, title_pending = [], True
        elif line.startswith("</doc>"):
            if document:
                yield document
            document = None
        elif document is not None:
            line = " ".join(line.split())
            if not line:
                continue
            if title_pending:
                title_pending = False
            elif not (drop_headings and is_wiki_heading(line)):
                document.append(line)
    if document:
        _warn_unclosed(source, "at the end of the file")
        yield document


def _warn_unclosed(source: str, where: str) -> None:
    logger.warning("%s: a <doc> block has no </doc> %s (a truncated copy?); its text is kept", source, where)


def detect_format(text: str) -> CorpusFormat:
    """`wikiextractor` if the text starts with a `<doc` tag, `gutenberg` if it has a START marker, else `lines`."""
    if text.lstrip()[:5] == "<doc ":
        return "wikiextractor"
    if any(_GUTENBERG_START.match(line) for line in text.split("\n", 2000)[:2000]):
        return "gutenberg"
    return "lines"


_READERS = {
    "wikiextractor": wikiextractor_documents,
    "gutenberg": gutenberg_documents,
    "lines": line_documents,
    "file": file_documents,
}


def read_documents(path: str | os.PathLike[str], fmt: CorpusFormat = "auto") -> Iterator[Document]:
    """Documents (lists of paragraphs) of one file; `fmt="auto"` picks a reader with `detect_format`.

    Formats: `wikiextractor` (`<doc>` blocks), `gutenberg` (a book with its licence removed, one document),
    `lines` (one sentence or paragraph per line, blank line between documents: the original's input),
    `file` (the whole file is one document of blank-line separated paragraphs).
    """
    text = read_text(path)
    fmt = detect_format(text) if fmt == "auto" else fmt
    if fmt == "wikiextractor":
        yield from wikiextractor_documents(text, source=str(path))
    else:
        yield from _READERS[fmt](text)


def corpus_files(sources: Sequence[CorpusSource]) -> list[tuple[Path, CorpusFormat]]:
    """Expand files and directories (recursively, sorted, hidden files skipped) into `(file, format)` pairs.

    A source is a path or a `(path, format)` pair; a plain path uses `"auto"`.
    """
    files: list[tuple[Path, CorpusFormat]] = []
    for source in sources:
        path, fmt = source if isinstance(source, tuple) else (source, "auto")
        path = Path(path)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            files.extend((p, fmt) for p in found)
        elif path.is_file():
            files.append((path, fmt))
        else:
            raise FileNotFoundError(f"corpus path {path} does not exist")
    return files


def split_sentences(paragraph: str, language: str = "en") -> list[str]:
    """Sentences of one paragraph, stripped, empty ones dropped.

    `sentencex` (Wikimedia) is used because it is maintained, has no dependencies and no data files to
    download, handles abbreviations, decimals and quotes, and is fast: about 70 MB/s per core on
    Wikipedia paragraphs here, so sentence splitting is never the bottleneck (tokenisation is). It does
    not treat a newline as a boundary, so paragraphs are passed one at a time. Imported here, on first
    use, so that `import albert` works without it (a GPU machine that only runs the models, say).
    """
    import sentencex

    return [s for s in (s.strip() for s in sentencex.segment(language, paragraph)) if s]


def document_sentences(document: Document, language: str = "en") -> list[str]:
    """All sentences of a document, in order."""
    return [s for paragraph in document for s in split_sentences(paragraph, language)]
