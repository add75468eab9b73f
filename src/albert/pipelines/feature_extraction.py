"""feature-extraction: the encoder's hidden states, per token and optionally pooled per text.

Without pooling the result is upstream's: a nested list of shape [1][T][H] (a batch axis of one,
then one H-vector per token, [CLS] and [SEP] included). `pooling` returns one H-vector per text instead:
* "mean": the average of the last hidden states of all the text's tokens ([CLS] and [SEP] included,
  padding excluded), the usual sentence-embedding choice;
* "cls": the last hidden state of [CLS];
* "pooler": ALBERT's pooler output, tanh(W h_[CLS] + b). It is trained only by sentence-order
  prediction (or a classification fine-tune), and is random when the checkpoint has no pooler weights.
`return_tensors=True` gives torch tensors ((1, T, H) or (H,)) instead of lists.
"""

from __future__ import annotations

from typing import Any

from albert.model import AlbertModel
from albert.pipelines.base import Pipeline
from albert.pipelines.rows import Row, make_row

POOLINGS = ("mean", "cls", "pooler")


class FeatureExtractionPipeline(Pipeline):
    """`pipeline("feature-extraction")`. Parameters: `pooling` (None), `return_tensors` (False),
    `truncation` (False), and transformers' `tokenize_kwargs={"truncation": ..., "max_length": ...}`."""

    task = "feature-extraction"
    model_class = AlbertModel
    token_outputs = ("last_hidden_state",)
    sequence_outputs = ("pooler_output",)

    def check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        params = dict(params)
        out: dict[str, Any] = {}
        if params.get("pooling") is not None:
            pooling = str(params.pop("pooling")).lower()
            if pooling not in POOLINGS:
                raise ValueError(f"pooling must be None or one of {', '.join(POOLINGS)}, got {pooling!r}")
            if pooling == "pooler" and getattr(self.model, "pooler", None) is None:
                raise ValueError('pooling="pooler" needs a model with a pooler layer')
            out["pooling"] = pooling
        params.pop("pooling", None)
        if "return_tensors" in params:
            out["return_tensors"] = bool(params.pop("return_tensors"))
        out.update(self.tokenizer_options(params, nested="tokenize_kwargs"))
        if params:
            raise TypeError(f"feature-extraction got unexpected arguments: {', '.join(params)}")
        return out

    def preprocess(self, item: Any, params: dict[str, Any]) -> list[Row]:
        text = self.text_of(item)
        enc = self.tokenizer(text, **self.truncation_kwargs(params))
        self.check_length(len(enc["input_ids"]))
        return [make_row(enc)]

    def postprocess(self, item: Any, rows: list[Row], outputs: list[dict], params: dict[str, Any]) -> Any:
        hidden = outputs[0]["last_hidden_state"]  # (T, H), this text's tokens only
        pooling = params.get("pooling")
        if pooling == "mean":
            value = hidden.mean(dim=0)
        elif pooling == "cls":
            value = hidden[0]
        elif pooling == "pooler":
            value = outputs[0]["pooler_output"]
        else:
            value = hidden.unsqueeze(0)  # (1, T, H) like upstream
        return value if params.get("return_tensors") else value.tolist()
