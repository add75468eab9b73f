"""fill-mask: predict the token behind each `[MASK]` (behaviour of transformers' FillMaskPipeline).

For every mask in a text: softmax over the whole vocabulary at that position (restricted, without
renormalising, to `targets` when given), the `top_k` best as `{"score", "token", "token_str",
"sequence"}`. One mask -> a list of dicts; several masks -> one such list per mask, in text order, each
mask filled independently from the same forward pass (no joint decoding). `sequence` is the input with
that one mask replaced, pads dropped, decoded without special tokens when the text has a single mask
(with them otherwise, so the other masks stay visible).
"""

from __future__ import annotations

import logging
from typing import Any

import torch

from albert.model import AlbertForMaskedLM
from albert.pipelines.base import Pipeline, PipelineError, checked_count
from albert.pipelines.rows import Row, make_row

logger = logging.getLogger(__name__)


class FillMaskPipeline(Pipeline):
    """`pipeline("fill-mask")`. Parameters: `top_k` (5), `targets` (None), `truncation` (False), and
    transformers' `tokenizer_kwargs={"truncation": ..., "max_length": ...}`."""

    task = "fill-mask"
    model_class = AlbertForMaskedLM

    def check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        params = dict(params)
        out: dict[str, Any] = {}
        if params.get("top_k") is not None:  # (None: the default, as upstream)
            out["top_k"] = checked_count("top_k", params.pop("top_k"))
        params.pop("top_k", None)
        if "targets" in params:
            targets = params.pop("targets")
            out["target_ids"] = None if targets is None else self.target_ids(targets)
        out.update(self.tokenizer_options(params, nested="tokenizer_kwargs"))
        if params:
            raise TypeError(f"fill-mask got unexpected arguments: {', '.join(params)}")
        if self.tokenizer.mask_token_id is None:
            raise ValueError("the tokenizer defines no mask token; fill-mask needs one")
        return out

    def target_ids(self, targets: str | list[str]) -> list[int]:
        """Vocabulary ids of `targets`; a word that is not a piece ("paris" vs "▁paris") is tokenised and
        its first piece used, with a warning (as upstream)."""
        if isinstance(targets, str):
            targets = [targets]
        if not isinstance(targets, (list, tuple)) or not all(isinstance(t, str) for t in targets):
            raise ValueError(f"targets must be a str or a list of str, got {targets!r}")
        vocab = self.tokenizer.get_vocab()
        ids: list[int] = []
        for target in targets:
            token_id = vocab.get(target)
            if token_id is None:
                pieces = _ids_without_specials(self.tokenizer, target)
                if not pieces:
                    logger.warning("target %r is empty after tokenisation; ignoring it", target)
                    continue
                token_id = pieces[0]
                logger.warning(
                    "target %r is not in the vocabulary; using its first piece %r",
                    target,
                    self.tokenizer.convert_ids_to_tokens(token_id),
                )
            ids.append(int(token_id))
        if not ids:
            raise ValueError("targets: none of the given targets maps to a vocabulary entry")
        return list(dict.fromkeys(ids))  # de-duplicated, first occurrence order

    def preprocess(self, item: Any, params: dict[str, Any]) -> list[Row]:
        text = self.text_of(item)
        enc = self.tokenizer(text, **self.truncation_kwargs(params))
        ids = list(enc["input_ids"])
        self.check_length(len(ids))
        positions = [i for i, t in enumerate(ids) if t == self.tokenizer.mask_token_id]
        if not positions:
            raise PipelineError(self.no_mask_message(text, self.truncation_kwargs(params).get("max_length")))
        return [make_row(enc, mask_positions=positions)]

    def no_mask_message(self, text: str, truncated_to: int | None) -> str:
        """Why no mask is left: there was none, or truncation cut off every one (then where the first was)."""
        mask = self.tokenizer.mask_token
        full = list(self.tokenizer(text)["input_ids"]) if truncated_to else []
        if self.tokenizer.mask_token_id not in full:
            return f"no mask token ({mask}) in the input"
        first = full.index(self.tokenizer.mask_token_id)
        return (
            f"truncation to {truncated_to} tokens removed every mask token ({mask}): the first is token "
            f"{first + 1} of {len(full)}; put a {mask} earlier in the text or shorten it"
        )

    @torch.inference_mode()
    def forward(self, batch: dict[str, torch.Tensor], rows: list[Row]) -> list[dict[str, torch.Tensor]]:
        # The last layer and the MLM head only at the mask positions: (masks, V) logits, not (B, T, V).
        batch = {k: v.to(self.device) for k, v in batch.items()}
        logits = self.model(**batch, mlm_positions=batch["input_ids"] == self.tokenizer.mask_token_id).logits
        per_row = logits.float().cpu().split([len(r.extras["mask_positions"]) for r in rows])
        return [{"logits": x} for x in per_row]

    def postprocess(self, item: Any, rows: list[Row], outputs: list[dict], params: dict[str, Any]) -> Any:
        row, logits = rows[0], outputs[0]["logits"]  # logits: (masks, V)
        target_ids = params.get("target_ids")
        probs = logits.softmax(dim=-1)
        if target_ids is not None:
            probs = probs[:, target_ids]  # not renormalised, as upstream
        # A top_k beyond the candidates gives them all (upstream: so with targets, a torch error without).
        values, indices = probs.topk(min(params.get("top_k", 5), probs.shape[-1]))
        ids = row.features["input_ids"]
        positions = row.extras["mask_positions"]
        single = len(positions) == 1
        results = []
        for position, scores, picks in zip(positions, values.tolist(), indices.tolist()):
            proposals = []
            for score, pick in zip(scores, picks):
                token = target_ids[pick] if target_ids is not None else pick
                filled = [token if i == position else t for i, t in enumerate(ids)]
                filled = [t for t in filled if t != self.tokenizer.pad_token_id]
                proposals.append(
                    {
                        "score": score,
                        "token": token,
                        "token_str": self.tokenizer.decode([token]),
                        "sequence": self.tokenizer.decode(filled, skip_special_tokens=single),
                    }
                )
            results.append(proposals)
        return results[0] if single else results

    def list_result(self, items: Any, results: list[Any], params: dict[str, Any]) -> Any:
        return results[0] if len(results) == 1 else results  # upstream unwraps a one-item list


def _ids_without_specials(tokenizer: Any, text: str) -> list[int]:
    try:
        return list(tokenizer(text, add_special_tokens=False)["input_ids"])
    except TypeError:  # a tokenizer without add_special_tokens: drop [CLS] ... [SEP] by hand
        specials = {tokenizer.cls_token_id, tokenizer.sep_token_id}
        return [t for t in tokenizer(text)["input_ids"] if t not in specials]
