"""The ALBERT encoder, in data-flow order: Embeddings -> SelfAttention -> FeedForward -> EncoderLayer
-> LayerGroup -> Encoder (shared groups) -> Pooler -> AlbertModel.

The two ALBERT ideas are visible here:
1. Factorised embeddings: tokens are embedded in E dimensions (`embedding_size`, 128 in every released
   model) and projected to the hidden width H by `Encoder.embedding_projection`, so the V x E table is
   small even when H is large.
2. Cross-layer parameter sharing: `num_hidden_layers` (L) layer applications draw on only
   `num_hidden_groups` (G) groups, each holding `inner_group_num` (I) distinct layers. Application l uses
   group `config.group_index(l)` and runs all I of its layers in order. Released models: G = I = 1, one
   layer applied 12 or 24 times.

Task heads and losses are in `heads.py` / `tasks.py`; file I/O is in `albert.checkpoint`.
Notation: B batch, T tokens, E embedding size, H hidden size, N heads, D head size, V vocabulary.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from albert.config import AlbertConfig
from albert.model.attention import (
    eager_attention,
    padding_mask_to_additive,
    relative_position_scores,
    sdpa_attention,
)
from albert.model.base import AlbertPreTrainedModel
from albert.model.fast import FastPaths, activation_for
from albert.model.inputs import check_inputs, check_output_positions, expand_head_mask
from albert.model.onednn import linear, linear_activation
from albert.model.outputs import BaseModelOutputWithPooling
from albert.model.unpad import (
    Packing,
    can_unpad,
    encode_padded,
    encode_unpadded,
    graph_is_recorded,
    unpad_pays,
    varlen_attention,
)


class Embeddings(nn.Module):
    """word + token type (+ absolute position) embeddings, LayerNorm and dropout, all E wide."""

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.word = nn.Embedding(config.vocab_size, config.embedding_size, padding_idx=config.pad_token_id)
        self.position = nn.Embedding(config.max_position_embeddings, config.embedding_size)
        self.token_type = nn.Embedding(config.type_vocab_size, config.embedding_size)
        self.norm = nn.LayerNorm(config.embedding_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        # Relative-position models keep the absolute table (it is in their checkpoints) but do not add it.
        self.add_positions = config.position_embedding_type == "absolute"

    def forward(
        self,
        input_ids: torch.Tensor | None,
        token_type_ids: torch.Tensor,
        position_ids: torch.Tensor,
        inputs_embeds: torch.Tensor | None,
    ) -> torch.Tensor:
        x = self.word(input_ids) if inputs_embeds is None else inputs_embeds  # (B, T, E)
        x = x + self.token_type(token_type_ids)
        if self.add_positions:
            x = x + self.position(position_ids)
        return self.dropout(self.norm(x))


class SelfAttention(nn.Module):
    """Multi-head self-attention with fused Q/K/V projections and the output projection.

    `qkv` holds the query, key and value weights stacked in that order ((3H, H)); the checkpoint
    converter splits it into the three matrices of the HF layout. With `packing`, x is the packed
    (nnz, H) matrix of real tokens (see `unpad.py`) and attention runs per sequence.
    Heads pruned for distinct layer `layer_key` (`config.pruned_heads`) are absent: `kept_heads` are the
    original numbers of the N' heads left, and the Q/K/V and output widths are N' * D instead of H
    (`shape_changes.prune_attention_heads` removes heads from a built model).
    """

    # The original model's three variables in one tensor: LAMB takes a trust ratio per row block
    # (`training.optim.param_groups` reads this).
    stacked_weights = {"qkv": 3}

    def __init__(self, config: AlbertConfig, layer_key: int = 0) -> None:
        super().__init__()
        pruned = set(config.pruned_heads.get(layer_key, ()))
        self.kept_heads = [h for h in range(config.num_attention_heads) if h not in pruned]
        self.all_heads = config.num_attention_heads
        self.num_heads = len(self.kept_heads)
        self.head_size = config.head_size
        width = self.num_heads * self.head_size  # H unless heads were pruned
        self.qkv = nn.Linear(config.hidden_size, 3 * width)
        self.output = nn.Linear(width, config.hidden_size)
        self.attention_dropout_p = config.attention_probs_dropout_prob
        self.output_dropout = nn.Dropout(config.hidden_dropout_prob)
        self.position_embedding_type = config.position_embedding_type
        self.max_position_embeddings = config.max_position_embeddings
        self.packed_linear = FastPaths().packed_linear  # set by enable_fast_paths; see onednn.py
        if config.position_embedding_type != "absolute":
            self.distance_embedding = nn.Embedding(2 * config.max_position_embeddings - 1, config.head_size)

    def forward(
        self,
        x: torch.Tensor,
        additive_mask: torch.Tensor | None,
        head_mask: torch.Tensor | None,
        *,
        use_sdpa: bool,
        output_attentions: bool,
        packing: Packing | None = None,
        rows: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x (B, T, H) or packed (nnz, H) -> the same shape, or (M, H) at the flat token indices `rows`
        (every token still serves as key and value; only the output is narrowed)."""
        if head_mask is not None and self.num_heads < self.all_heads:  # rows are numbered by original head
            head_mask = head_mask[:, self.kept_heads]  # (1, N', 1, 1)
        if packing is not None:
            qkv = linear(self.qkv, x, self.packed_linear)  # (nnz, 3H)
            qkv = qkv.view(x.shape[0], 3, self.num_heads, self.head_size)  # (nnz, 3, N, D)
            p = self.attention_dropout_p
            context = varlen_attention(qkv, packing, head_mask=head_mask, dropout_p=p, training=self.training)
            context = context if rows is None else context[rows]  # (nnz or M, H)
            return self.output_dropout(linear(self.output, context, self.packed_linear)), None
        b, t, _ = x.shape
        qkv = linear(self.qkv, x, self.packed_linear)  # (B, T, 3H)
        qkv = qkv.view(b, t, 3, self.num_heads, self.head_size)  # (B, T, 3, N, D)
        query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each (B, N, T, D)
        relative = self.position_embedding_type != "absolute"
        probs = None
        if use_sdpa and not output_attentions and not relative:
            context = sdpa_attention(
                query,
                key,
                value,
                additive_mask=additive_mask,
                head_mask=head_mask,
                dropout_p=self.attention_dropout_p,
                training=self.training,
            )
        else:
            extra = None
            if relative:
                extra = relative_position_scores(
                    query,
                    key,
                    self.distance_embedding.weight,
                    max_position_embeddings=self.max_position_embeddings,
                    with_key=self.position_embedding_type == "relative_key_query",
                )
            context, probs = eager_attention(
                query,
                key,
                value,
                additive_mask=additive_mask,
                head_mask=head_mask,
                dropout_p=self.attention_dropout_p,
                training=self.training,
                extra_scores=extra,
            )
        context = context.transpose(1, 2).reshape(b, t, self.num_heads * self.head_size)  # (B, T, H)
        if rows is not None:
            context = context.reshape(b * t, -1)[rows]  # (M, H)
        return self.output_dropout(linear(self.output, context, self.packed_linear)), probs


class FeedForward(nn.Module):
    """H -> intermediate -> H with the configured activation. No dropout: the reference has none here."""

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.up = nn.Linear(config.hidden_size, config.intermediate_size)
        self.down = nn.Linear(config.intermediate_size, config.hidden_size)
        self.activation_name = config.hidden_act
        self.activation = activation_for(config.hidden_act, fused=FastPaths().fused_gelu)  # see fast.py
        self.chunk_size = config.chunk_size_feed_forward
        self.packed_linear = FastPaths().packed_linear  # set by enable_fast_paths; see onednn.py

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, H) or packed (nnz, H)."""
        if self.chunk_size > 0:  # the FFN acts per token, so chunking along T is exact and saves memory
            return torch.cat([self._ffn(c) for c in x.split(self.chunk_size, dim=-2)], dim=-2)
        return self._ffn(x)

    def _ffn(self, x: torch.Tensor) -> torch.Tensor:
        up = linear_activation(self.up, x, self.activation, self.packed_linear)  # (..., intermediate)
        return linear(self.down, up, self.packed_linear)


class EncoderLayer(nn.Module):
    """One post-LayerNorm transformer layer: a = LN(x + attn(x)); out = LN(a + ffn(a))."""

    def __init__(self, config: AlbertConfig, layer_key: int = 0) -> None:
        super().__init__()
        self.attention = SelfAttention(config, layer_key)
        self.attention_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.feed_forward = FeedForward(config)
        self.output_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(
        self,
        x: torch.Tensor,
        additive_mask: torch.Tensor | None,
        head_mask: torch.Tensor | None,
        *,
        use_sdpa: bool,
        output_attentions: bool,
        packing: Packing | None = None,
        rows: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x (B, T, H) or packed (nnz, H) -> the same shape, or (M, H) at the flat token indices `rows`."""
        attended, probs = self.attention(
            x,
            additive_mask,
            head_mask,
            use_sdpa=use_sdpa,
            output_attentions=output_attentions,
            packing=packing,
            rows=rows,
        )
        if rows is not None:
            x = x.reshape(-1, x.shape[-1])[rows]  # (M, H): the residual where the output is wanted
        a = self.attention_norm(x + attended)
        return self.output_norm(self.feed_forward(a) + a), probs


class LayerGroup(nn.Module):
    """`inner_group_num` distinct layers, applied in order every time the group is used."""

    def __init__(self, config: AlbertConfig, group: int = 0) -> None:
        super().__init__()
        inner = config.inner_group_num
        self.layers = nn.ModuleList(EncoderLayer(config, group * inner + i) for i in range(inner))


class Encoder(nn.Module):
    """E -> H projection, then L layer applications over G shared groups."""

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding_projection = nn.Linear(config.embedding_size, config.hidden_size)
        self.groups = nn.ModuleList(LayerGroup(config, g) for g in range(config.num_hidden_groups))
        self.checkpointing = FastPaths().checkpointing  # set by enable_fast_paths
        self.packed_linear = FastPaths().packed_linear  # set by enable_fast_paths; see onednn.py

    def forward(
        self,
        x: torch.Tensor,
        additive_mask: torch.Tensor | None,
        head_mask: torch.Tensor | None,
        *,
        use_sdpa: bool,
        output_hidden_states: bool,
        output_attentions: bool,
        packing: Packing | None = None,
        rows: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...] | None, tuple[torch.Tensor, ...] | None]:
        """x: (B, T, E) -> (B, T, H), plus hidden states after the projection and each application.
        With `packing`, x is (nnz, E) and so are the results (nnz, H). With `rows` (M,) flat token
        indices, the last layer run computes only those rows: the result is (M, H) (no hidden states)."""
        h = linear(self.embedding_projection, x, self.packed_linear)  # (B, T, H)
        recompute = self.checkpointing and self.training and torch.is_grad_enabled()
        hidden_states = [h] if output_hidden_states else None
        attentions = [] if output_attentions else None
        inner = self.config.inner_group_num
        last = self.config.num_hidden_layers * inner - 1  # the layer run that `rows` narrows
        for layer_index in range(self.config.num_hidden_layers):
            group = self.groups[self.config.group_index(layer_index)]
            for j, layer in enumerate(group.layers):
                run = layer_index * inner + j
                mask_j = None if head_mask is None else head_mask[run]
                kwargs = dict(use_sdpa=use_sdpa, output_attentions=output_attentions, packing=packing)
                kwargs["rows"] = rows if run == last else None
                if recompute:  # keep only h; recompute the layer's activations in backward
                    h, probs = checkpoint(layer, h, additive_mask, mask_j, use_reentrant=False, **kwargs)
                else:
                    h, probs = layer(h, additive_mask, mask_j, **kwargs)
                if attentions is not None:
                    attentions.append(probs)
            if hidden_states is not None:
                hidden_states.append(h)
        return (
            h,
            None if hidden_states is None else tuple(hidden_states),
            None if attentions is None else tuple(attentions),
        )


class Pooler(nn.Module):
    """tanh(Linear(h[:, 0])): the [CLS] vector used by sentence-level heads."""

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.pool(h[:, 0])  # (B, T, H) -> (B, H)

    def pool(self, cls: torch.Tensor) -> torch.Tensor:
        """The [CLS] rows (B, H) -> (B, H)."""
        return torch.tanh(self.dense(cls))


class AlbertModel(AlbertPreTrainedModel):
    """The bare ALBERT encoder: token ids -> hidden states (B, T, H) and, optionally, the pooled (B, H)."""

    init_options = ("add_pooling_layer",)

    def __init__(self, config: AlbertConfig, add_pooling_layer: bool = True, **kwargs) -> None:
        super().__init__(config, **kwargs)
        self.embeddings = Embeddings(config)
        self.encoder = Encoder(config)
        self.pooler = Pooler(config) if add_pooling_layer else None
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        *,
        output_positions: torch.Tensor | None = None,
    ) -> BaseModelOutputWithPooling:
        """Encode a batch.

        Args:
            input_ids: (B, T) token ids, or give `inputs_embeds` (B, T, E) instead (exactly one of them).
            attention_mask: (B, T), 1 = attend, 0 = padding. Default: all ones.
            token_type_ids: (B, T) segment ids. Default: zeros.
            position_ids: (B, T) or (1, T). Default: 0..T-1.
            head_mask: (N,) or (L, N) or (L * I, N); 0 switches a head off. Row l applies to layer
                application l (with I inner layers, row l * I + j, or the same row for all j when
                only L rows are given). transformers 4.x instead indexes rows by group, so with shared
                layers it applies row 0 to every application; see docs/differences.md.
            output_attentions: also return the attention probabilities of each of the L x I layer runs.
            output_hidden_states: also return the L + 1 hidden states (after the E->H projection and
                after each layer application).
            output_positions: (B, T) bool. The last layer application computes its output only at
                these M positions (every token still serves as key and value there), and
                `last_hidden_state` is (M, H): those rows in row-major order, as
                `full[output_positions]`; `pooler_output` is None unless position 0 of every row is among
                them. For heads that read a few positions (fill-mask, the pretraining losses): that
                layer's output projection and feed-forward run on M rows, not B x T.
        """
        input_ids, attention_mask, token_type_ids, position_ids = check_inputs(
            self.config, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds
        )
        check_output_positions(
            output_positions, attention_mask.shape, output_hidden_states, output_attentions
        )
        x = self.embeddings(input_ids, token_type_ids, position_ids, inputs_embeds)  # (B, T, E)
        head_mask = expand_head_mask(self.config, head_mask, x.dtype)  # (L * I, 1, N, 1, 1) or None
        use_sdpa = self.attn_implementation == "sdpa"
        if self.use_unpadding(attention_mask, output_attentions):
            h, hidden_states = encode_unpadded(
                self.encoder, x, attention_mask, head_mask, use_sdpa, output_hidden_states, output_positions
            )
            attentions = None
        else:
            additive_mask = None
            # An all-ones mask changes nothing; dropping it lets SDPA use its fastest kernel (as the reference).
            # `== 1`, not `.all()`: a non-binary mask without zeros (0.5, 2.0) still weighs the scores.
            if not (use_sdpa and not graph_is_recorded() and bool((attention_mask == 1).all())):
                additive_mask = padding_mask_to_additive(attention_mask, x.dtype)
            rows = None if output_positions is None else output_positions.flatten().nonzero().squeeze(1)
            h, hidden_states, attentions = encode_padded(
                self.encoder,
                x,
                additive_mask,
                head_mask,
                use_sdpa,
                output_hidden_states,
                output_attentions,
                rows,
            )  # (B, T, H), or (M, H) at `rows`
        pooled = None
        if self.pooler is not None and output_positions is None:
            pooled = self.pooler(h)  # (B, H)
        elif self.pooler is not None and bool(output_positions[:, 0].all()):  # every [CLS] row is in h
            first = torch.zeros_like(output_positions)
            first[:, 0] = True
            pooled = self.pooler.pool(h[first[output_positions]])  # (B, H) from the (M, H) rows
        return BaseModelOutputWithPooling(
            last_hidden_state=h, pooler_output=pooled, hidden_states=hidden_states, attentions=attentions
        )

    def use_unpadding(self, attention_mask: torch.Tensor, output_attentions: bool) -> bool:
        """Whether this forward runs on packed real tokens (the `unpad` fast path; see `fast.py`)."""
        return (
            self.fast_paths.unpad
            and unpad_pays(attention_mask.device)
            and not output_attentions
            and self.config.position_embedding_type == "absolute"
            and not graph_is_recorded()
            and can_unpad(attention_mask)
        )
