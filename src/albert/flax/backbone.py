"""The ALBERT encoder in Flax linen, in the data-flow order of `albert.model.backbone`: Embeddings ->
SelfAttention -> FeedForward -> EncoderLayer -> LayerGroup -> Encoder (shared groups) -> Pooler ->
AlbertModule, and `FlaxAlbertModel`, the user-facing class (module + params).

Parameter sharing is plain linen: a submodule called several times uses the same parameters, so
layer application l calls group `config.group_index(l)`, whose `inner_group_num` layers run in order.
The params pytree has the role names of the torch model (`encoder/groups_0/layers_0/attention/qkv`);
`albert.checkpoint.flax` maps it to and from the checkpoint names.
Notation: B batch, T tokens, E embedding size, H hidden size, N heads, D head size, V vocabulary.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import linen as nn

from albert.config import AlbertConfig
from albert.flax.activations import get_activation
from albert.flax.attention import attention_scores, padding_mask_to_additive, relative_position_scores
from albert.flax.base import FlaxAlbertPreTrainedModel
from albert.flax.inputs import check_inputs, expand_head_mask
from albert.flax.layers import dense, embed, layer_norm
from albert.flax.outputs import FlaxBaseModelOutputWithPooling


class Embeddings(nn.Module):
    """word + token type (+ absolute position) embeddings, LayerNorm and dropout, all E wide."""

    config: AlbertConfig
    dtype: jnp.dtype = jnp.float32

    def setup(self) -> None:
        c = self.config
        self.word = embed(c, c.vocab_size, c.embedding_size, self.dtype, padding_idx=c.pad_token_id)
        self.position = embed(c, c.max_position_embeddings, c.embedding_size, self.dtype)
        self.token_type = embed(c, c.type_vocab_size, c.embedding_size, self.dtype)
        self.norm = layer_norm(c, self.dtype)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def __call__(
        self,
        input_ids: jax.Array | None,
        token_type_ids: jax.Array,
        position_ids: jax.Array,
        inputs_embeds: jax.Array | None,
        deterministic: bool,
    ) -> jax.Array:
        x = self.word(input_ids) if inputs_embeds is None else inputs_embeds.astype(self.dtype)  # (B, T, E)
        x = x + self.token_type(token_type_ids)
        if self.config.position_embedding_type == "absolute":
            x = x + self.position(position_ids)
        else:  # relative models keep the absolute table (it is in their checkpoints) but do not add it
            _ = self.position.embedding  # touching it creates the parameter at init
        return self.dropout(self.norm(x), deterministic=deterministic)


class SelfAttention(nn.Module):
    """Multi-head self-attention with fused Q/K/V projections ((H, 3H) kernel) and the output projection."""

    config: AlbertConfig
    dtype: jnp.dtype = jnp.float32

    def setup(self) -> None:
        c = self.config
        self.qkv = dense(c, 3 * c.hidden_size, self.dtype)
        self.output = dense(c, c.hidden_size, self.dtype)
        self.attention_dropout = nn.Dropout(c.attention_probs_dropout_prob)
        self.output_dropout = nn.Dropout(c.hidden_dropout_prob)
        if c.position_embedding_type != "absolute":
            self.distance_embedding = embed(c, 2 * c.max_position_embeddings - 1, c.head_size, self.dtype)

    def __call__(
        self, x: jax.Array, additive_mask: jax.Array, head_mask: jax.Array | None, deterministic: bool
    ) -> tuple[jax.Array, jax.Array]:
        c = self.config
        b, t, h = x.shape
        qkv = self.qkv(x).reshape(b, t, 3, c.num_attention_heads, c.head_size)  # (B, T, 3, N, D)
        query, key, value = qkv.transpose(2, 0, 3, 1, 4)  # each (B, N, T, D)
        extra = None
        if c.position_embedding_type != "absolute":
            extra = relative_position_scores(
                query,
                key,
                self.distance_embedding.embedding,
                max_position_embeddings=c.max_position_embeddings,
                with_key=c.position_embedding_type == "relative_key_query",
            )
        scores = attention_scores(query, key, additive_mask, extra)  # (B, N, T, T)
        probs = jax.nn.softmax(scores, axis=-1)  # in the compute dtype, as the reference
        probs = self.attention_dropout(probs, deterministic=deterministic)
        if head_mask is not None:
            probs = probs * head_mask
        context = jnp.einsum("bhlr,bhrd->blhd", probs, value).reshape(b, t, h)  # (B, T, H)
        return self.output_dropout(self.output(context), deterministic=deterministic), probs


class FeedForward(nn.Module):
    """H -> intermediate -> H with the configured activation. No dropout: the reference has none here.
    (`chunk_size_feed_forward` is not needed: XLA plans the memory of the whole computation.)"""

    config: AlbertConfig
    dtype: jnp.dtype = jnp.float32

    def setup(self) -> None:
        self.up = dense(self.config, self.config.intermediate_size, self.dtype)
        self.down = dense(self.config, self.config.hidden_size, self.dtype)
        self.activation = get_activation(self.config.hidden_act)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.down(self.activation(self.up(x)))


class EncoderLayer(nn.Module):
    """One post-LayerNorm transformer layer: a = LN(x + attn(x)); out = LN(a + ffn(a))."""

    config: AlbertConfig
    dtype: jnp.dtype = jnp.float32

    def setup(self) -> None:
        self.attention = SelfAttention(self.config, self.dtype)
        self.attention_norm = layer_norm(self.config, self.dtype)
        self.feed_forward = FeedForward(self.config, self.dtype)
        self.output_norm = layer_norm(self.config, self.dtype)

    def __call__(
        self, x: jax.Array, additive_mask: jax.Array, head_mask: jax.Array | None, deterministic: bool
    ) -> tuple[jax.Array, jax.Array]:
        attended, probs = self.attention(x, additive_mask, head_mask, deterministic)
        a = self.attention_norm(x + attended)
        return self.output_norm(self.feed_forward(a) + a), probs


class LayerGroup(nn.Module):
    """`inner_group_num` distinct layers, applied in order every time the group is used."""

    config: AlbertConfig
    dtype: jnp.dtype = jnp.float32

    def setup(self) -> None:
        self.layers = [EncoderLayer(self.config, self.dtype) for _ in range(self.config.inner_group_num)]


class Encoder(nn.Module):
    """E -> H projection, then L layer applications over G shared groups."""

    config: AlbertConfig
    dtype: jnp.dtype = jnp.float32

    def setup(self) -> None:
        self.embedding_projection = dense(self.config, self.config.hidden_size, self.dtype)
        self.groups = [LayerGroup(self.config, self.dtype) for _ in range(self.config.num_hidden_groups)]

    def __call__(
        self,
        x: jax.Array,
        additive_mask: jax.Array,
        head_mask: jax.Array | None,
        deterministic: bool,
        output_hidden_states: bool,
        output_attentions: bool,
    ) -> tuple[jax.Array, tuple[jax.Array, ...] | None, tuple[jax.Array, ...] | None]:
        """x: (B, T, E) -> (B, T, H), plus hidden states after the projection and each application."""
        c = self.config
        h = self.embedding_projection(x)  # (B, T, H)
        hidden_states = [h] if output_hidden_states else None
        attentions = [] if output_attentions else None
        for layer_index in range(c.num_hidden_layers):
            for j, layer in enumerate(self.groups[c.group_index(layer_index)].layers):
                run = layer_index * c.inner_group_num + j
                h, probs = layer(
                    h, additive_mask, None if head_mask is None else head_mask[run], deterministic
                )
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
    """tanh(Dense(h[:, 0])): the [CLS] vector used by sentence-level heads."""

    config: AlbertConfig
    dtype: jnp.dtype = jnp.float32

    def setup(self) -> None:
        self.dense = dense(self.config, self.config.hidden_size, self.dtype)

    def __call__(self, h: jax.Array) -> jax.Array:
        return jnp.tanh(self.dense(h[:, 0]))  # (B, H)


class AlbertModule(nn.Module):
    """The bare ALBERT encoder as a linen module: token ids -> (B, T, H) and, optionally, pooled (B, H).

    Arguments as `albert.AlbertModel.forward`, plus `deterministic` (False applies dropout and needs a
    "dropout" rng).
    """

    config: AlbertConfig
    dtype: jnp.dtype = jnp.float32
    add_pooling_layer: bool = True

    def setup(self) -> None:
        self.embeddings = Embeddings(self.config, self.dtype)
        self.encoder = Encoder(self.config, self.dtype)
        if self.add_pooling_layer:
            self.pooler = Pooler(self.config, self.dtype)

    def __call__(
        self,
        input_ids: jax.Array | None = None,
        attention_mask: jax.Array | None = None,
        token_type_ids: jax.Array | None = None,
        position_ids: jax.Array | None = None,
        head_mask: jax.Array | None = None,
        inputs_embeds: jax.Array | None = None,
        deterministic: bool = True,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> FlaxBaseModelOutputWithPooling:
        input_ids, attention_mask, token_type_ids, position_ids = check_inputs(
            self.config, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds
        )
        x = self.embeddings(
            input_ids, token_type_ids, position_ids, inputs_embeds, deterministic
        )  # (B, T, E)
        additive_mask = padding_mask_to_additive(attention_mask, self.dtype)  # (B, 1, 1, T)
        h, hidden_states, attentions = self.encoder(
            x,
            additive_mask,
            expand_head_mask(self.config, head_mask, self.dtype),
            deterministic,
            output_hidden_states,
            output_attentions,
        )
        pooled = self.pooler(h) if self.add_pooling_layer else None
        return FlaxBaseModelOutputWithPooling(
            last_hidden_state=h, pooler_output=pooled, hidden_states=hidden_states, attentions=attentions
        )

    def word_embeddings(self) -> jax.Array:
        """The (V, E) word-embedding table (the tied MLM decoder)."""
        return self.embeddings.word.embedding


class FlaxAlbertModel(FlaxAlbertPreTrainedModel):
    """The bare ALBERT encoder: token ids -> hidden states (B, T, H) and, optionally, the pooled (B, H).

    `FlaxAlbertModel(config, add_pooling_layer=False)` leaves the pooler out, as `albert.AlbertModel`.
    """

    module_class = AlbertModule
