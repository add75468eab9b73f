"""Read a SentencePiece model file (`spiece.model`) without protobuf.

The fast tokenizer needs what `SentencePieceProcessor` does not expose: every piece's type and score, and
the normaliser's precompiled character map. The file is a protobuf `ModelProto`; the handful of fields used
here are decoded from the wire format directly, so `protobuf` is not a runtime dependency.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

# SentencePiece piece types (sentencepiece_model.proto).
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
UNIGRAM = 1


@dataclass(frozen=True)
class SpmModel:
    """The parts of a SentencePiece model the tokenizers use. Index in `pieces` = token id."""

    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    types: tuple[int, ...]
    charsmap: bytes = b""  # precompiled normaliser (nmt_nfkc for ALBERT); empty = identity
    normalizer_name: str = ""
    add_dummy_prefix: bool = True
    remove_extra_whitespaces: bool = True
    escape_whitespaces: bool = True
    model_type: int = UNIGRAM
    byte_fallback: bool = False
    treat_whitespace_as_suffix: bool = False
    serialized: bytes = field(default=b"", repr=False)  # the original file, when read from one

    def __len__(self) -> int:
        return len(self.pieces)

    @property
    def unk_id(self) -> int:
        return self.types.index(UNKNOWN) if UNKNOWN in self.types else 0


class _Reader:
    """Protobuf wire format: a stream of (field number, wire type, value)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def varint(self) -> int:
        shift = result = 0
        while True:
            if self.pos >= len(self.data):
                raise ValueError("truncated varint")
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise ValueError("varint too long")

    def fields(self):
        while self.pos < len(self.data):
            key = self.varint()
            number, wire = key >> 3, key & 7
            if wire == 0:
                yield number, wire, self.varint()
            elif wire == 1:
                yield number, wire, self._take(8)
            elif wire == 2:
                yield number, wire, self._take(self.varint())
            elif wire == 5:
                yield number, wire, self._take(4)
            else:
                raise ValueError(f"unsupported protobuf wire type {wire}")

    def _take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("truncated field")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def _parse_piece(msg: bytes) -> tuple[str, float, int]:
    """One `SentencePiece` message: (piece, score, type). A fast path for the usual layout
    (piece, score, optional type, each once), with the generic reader as fallback."""
    n = len(msg)
    if n >= 2 and msg[0] == 0x0A and msg[1] < 0x80:
        end = 2 + msg[1]
        piece = msg[2:end].decode("utf-8")
        if end + 5 <= n and msg[end] == 0x15:
            score = struct.unpack_from("<f", msg, end + 1)[0]
            rest = end + 5
            if rest == n:
                return piece, score, NORMAL
            if rest + 2 == n and msg[rest] == 0x18 and msg[rest + 1] < 0x80:
                return piece, score, msg[rest + 1]
    piece, score, kind = "", 0.0, NORMAL
    for number, wire, value in _Reader(msg).fields():
        if number == 1 and wire == 2:
            piece = value.decode("utf-8")
        elif number == 2 and wire == 5:
            score = struct.unpack("<f", value)[0]
        elif number == 3 and wire == 0:
            kind = value
    return piece, score, kind


def parse_spm_model(data: bytes) -> SpmModel:
    """Decode a serialized SentencePiece `ModelProto`. Raises ValueError if `data` is not one."""
    pieces: list[str] = []
    scores: list[float] = []
    types: list[int] = []
    normalizer: dict[str, object] = {}
    trainer: dict[str, object] = {}
    try:
        for number, wire, value in _Reader(data).fields():
            if number == 1 and wire == 2:
                piece, score, kind = _parse_piece(value)
                pieces.append(piece)
                scores.append(score)
                types.append(kind)
            elif number == 2 and wire == 2:
                for n, w, v in _Reader(value).fields():
                    if w == 0 and n in (3, 24, 35):
                        trainer[{3: "model_type", 24: "suffix", 35: "byte_fallback"}[n]] = v
            elif number == 3 and wire == 2:
                for n, w, v in _Reader(value).fields():
                    if n == 1 and w == 2:
                        normalizer["name"] = v.decode("utf-8")
                    elif n == 2 and w == 2:
                        normalizer["charsmap"] = bytes(v)
                    elif n in (3, 4, 5) and w == 0:
                        normalizer[n] = bool(v)
    except (ValueError, UnicodeDecodeError, struct.error) as e:
        raise ValueError(f"not a SentencePiece model file ({e})") from None
    if not pieces:
        raise ValueError("not a SentencePiece model file (no pieces)")
    return SpmModel(
        pieces=tuple(pieces),
        scores=tuple(scores),
        types=tuple(types),
        charsmap=normalizer.get("charsmap", b""),  # type: ignore[arg-type]
        normalizer_name=str(normalizer.get("name", "")),
        add_dummy_prefix=bool(normalizer.get(3, True)),
        remove_extra_whitespaces=bool(normalizer.get(4, True)),
        escape_whitespaces=bool(normalizer.get(5, True)),
        model_type=int(trainer.get("model_type", UNIGRAM)),  # type: ignore[call-overload]
        byte_fallback=bool(trainer.get("byte_fallback", False)),
        treat_whitespace_as_suffix=bool(trainer.get("suffix", False)),
        serialized=bytes(data),
    )
