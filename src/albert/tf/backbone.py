"""The ALBERT encoder in TensorFlow/Keras, in data-flow order: Embeddings -> SelfAttention -> FeedForward
-> EncoderLayer -> LayerGroup -> Encoder (shared groups) -> Pooler -> TFAlbertModel.

The same model as `albert.model.backbone`, layer for layer and with the same attribute names, so that
the variables' names mirror the PyTorch state dict (`encoder.groups.0.layers.0.attention.qkv.kernel`
<-> `...qkv.weight`); the converters in `albert.checkpoint.tf` rely on that. Kernels have the Keras
layout (in, out). Every sub-layer gets its parent's dtype policy, so mixed precision
("mixed_float16" / "mixed_bfloat16") set on the model reaches all of them.

Notation: B batch, T tokens, E embedding size, H hidden size, N heads, D head size, V vocabulary.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from albert.config import AlbertConfig
from albert.model.outputs import BaseModelOutputWithPooling
from albert.tf.activations import get_activation
from albert.tf.attention import eager_attention, padding_mask_to_additive, relative_position_scores
from albert.tf.base import Layer, TFAlbertPreTrainedModel, dense, embedding, layer_norm
from albert.tf.inputs import check_inputs, expand_head_mask


class Embeddings(Layer):
    """word + token type (+ absolute position) embeddings, LayerNorm and dropout, all E wide."""

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self.word = embedding(self, config.vocab_size, config.embedding_size, config)
        self.position = embedding(self, config.max_position_embeddings, config.embedding_size, config)
        self.token_type = embedding(self, config.type_vocab_size, config.embedding_size, config)
        self.norm = layer_norm(self, config)
        self.dropout = keras.layers.Dropout(config.hidden_dropout_prob, dtype=self.dtype_policy)
        # Relative-position models keep the absolute table (it is in their checkpoints) but do not add it.
        self.add_positions = config.position_embedding_type == "absolute"
        self.position.build((None,))

    @property
    def weight(self) -> keras.Variable:
        """The (V, E) word-embedding table (transformers' TF name for it)."""
        return self.word.embeddings

    def call(
        self, input_ids=None, token_type_ids=None, position_ids=None, inputs_embeds=None, training=False
    ):
        x = self.word(input_ids) if inputs_embeds is None else tf.cast(inputs_embeds, self.compute_dtype)
        x = x + self.token_type(token_type_ids)  # (B, T, E)
        if self.add_positions:
            x = x + self.position(position_ids)
        return self.dropout(self.norm(x), training=training)


class SelfAttention(Layer):
    """Multi-head self-attention: fused Q/K/V projection ((H, 3H) kernel, q|k|v), then the output projection."""

    output = None  # Keras' read-only `Layer.output` (functional API only) is shadowed by our projection

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_heads, self.head_size = config.num_attention_heads, config.head_size
        self.qkv = dense(self, 3 * config.hidden_size, config)
        self.output = dense(self, config.hidden_size, config)
        self.attention_dropout = keras.layers.Dropout(
            config.attention_probs_dropout_prob, dtype=self.dtype_policy
        )
        self.output_dropout = keras.layers.Dropout(config.hidden_dropout_prob, dtype=self.dtype_policy)
        self.position_embedding_type = config.position_embedding_type
        self.max_position_embeddings = config.max_position_embeddings
        if config.position_embedding_type != "absolute":
            self.distance_embedding = embedding(
                self, 2 * config.max_position_embeddings - 1, config.head_size, config
            )
            self.distance_embedding.build((None,))

    # Keras' `model.save` / `load_model` walk sub-layers by attribute name but skip the names of Layer
    # properties, `output` among them: the output projection is saved as this layer's own variables
    # (it has none besides).
    def save_own_variables(self, store: Any) -> None:
        self.output.save_own_variables(store)

    def load_own_variables(self, store: Any) -> None:
        self.output.load_own_variables(store)

    def call(
        self, x, additive_mask=None, head_mask=None, training: bool = False
    ) -> tuple[tf.Tensor, tf.Tensor]:
        b, t, h = tf.shape(x)[0], tf.shape(x)[1], x.shape[-1]
        qkv = tf.reshape(self.qkv(x), (b, t, 3, self.num_heads, self.head_size))  # (B, T, 3, N, D)
        query, key, value = tf.unstack(tf.transpose(qkv, (2, 0, 3, 1, 4)), axis=0)  # each (B, N, T, D)
        extra = None
        if self.position_embedding_type != "absolute":
            extra = relative_position_scores(
                query,
                key,
                self.distance_embedding.embeddings,
                max_position_embeddings=self.max_position_embeddings,
                with_key=self.position_embedding_type == "relative_key_query",
            )
        context, probs = eager_attention(
            query, key, value, additive_mask=additive_mask, head_mask=head_mask,
            dropout=self.attention_dropout, training=training, extra_scores=extra,
        )  # fmt: skip
        context = tf.reshape(tf.transpose(context, (0, 2, 1, 3)), (b, t, h))  # (B, T, H)
        return self.output_dropout(self.output(context), training=training), probs


class FeedForward(Layer):
    """H -> intermediate -> H with the configured activation (no dropout, as the reference).

    `chunk_size_feed_forward` is not applied: chunking along T is exact, so it only saves memory."""

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self.up = dense(self, config.intermediate_size, config)
        self.down = dense(self, config.hidden_size, config)
        self.activation = get_activation(config.hidden_act)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return self.down(self.activation(self.up(x)))


class EncoderLayer(Layer):
    """One post-LayerNorm transformer layer: a = LN(x + attn(x)); out = LN(a + ffn(a))."""

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self.attention = SelfAttention(config, dtype=self.dtype_policy)
        self.attention_norm = layer_norm(self, config)
        self.feed_forward = FeedForward(config, dtype=self.dtype_policy)
        self.output_norm = layer_norm(self, config)

    def call(
        self, x, additive_mask=None, head_mask=None, training: bool = False
    ) -> tuple[tf.Tensor, tf.Tensor]:
        attended, probs = self.attention(
            x, additive_mask=additive_mask, head_mask=head_mask, training=training
        )
        a = self.attention_norm(x + attended)
        return self.output_norm(self.feed_forward(a) + a), probs


class LayerGroup(Layer):
    """`inner_group_num` distinct layers, applied in order every time the group is used."""

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self.layers = [EncoderLayer(config, dtype=self.dtype_policy) for _ in range(config.inner_group_num)]


class Encoder(Layer):
    """E -> H projection, then L layer applications over G shared groups."""

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.embedding_projection = dense(self, config.hidden_size, config)
        self.groups = [LayerGroup(config, dtype=self.dtype_policy) for _ in range(config.num_hidden_groups)]

    def call(self, x, additive_mask=None, head_mask=None, output_hidden_states=False, output_attentions=False,
             training=False):  # fmt: skip
        """x (B, T, E) -> (B, T, H), the L + 1 hidden states and the L x I attention maps (or None)."""
        h = self.embedding_projection(x)  # (B, T, H)
        hidden_states = [h] if output_hidden_states else None
        attentions = [] if output_attentions else None
        inner = self.config.inner_group_num
        for layer_index in range(self.config.num_hidden_layers):
            group = self.groups[self.config.group_index(layer_index)]
            for j, layer in enumerate(group.layers):
                mask_j = None if head_mask is None else head_mask[layer_index * inner + j]
                h, probs = layer(h, additive_mask=additive_mask, head_mask=mask_j, training=training)
                if attentions is not None:
                    attentions.append(probs)
            if hidden_states is not None:
                hidden_states.append(h)
        return h, _tuple(hidden_states), _tuple(attentions)


class Pooler(Layer):
    """tanh(Dense(h[:, 0])): the [CLS] vector used by sentence-level heads."""

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dense = dense(self, config.hidden_size, config)

    def call(self, h: tf.Tensor) -> tf.Tensor:
        return tf.tanh(self.dense(h[:, 0]))  # (B, H)


@keras.saving.register_keras_serializable(package="albert")
class TFAlbertModel(TFAlbertPreTrainedModel):
    """The bare ALBERT encoder: token ids -> hidden states (B, T, H) and, optionally, the pooled (B, H)."""

    keras_args = (*TFAlbertPreTrainedModel.keras_args, "add_pooling_layer")
    init_options = ("add_pooling_layer",)

    def __init__(self, config: AlbertConfig, add_pooling_layer: bool = True, create_variables: bool = True,
                 **kwargs) -> None:  # fmt: skip
        """`create_variables=False`: leave them to the first call (task models build the whole model once)."""
        super().__init__(config, **kwargs)
        self.embeddings = Embeddings(config, dtype=self.dtype_policy)
        self.encoder = Encoder(config, dtype=self.dtype_policy)
        self.pooler = Pooler(config, dtype=self.dtype_policy) if add_pooling_layer else None
        if create_variables:
            self.build_variables()

    def call(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        head_mask=None,
        inputs_embeds=None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        training: bool = False,
    ) -> BaseModelOutputWithPooling:
        """Encode a batch; arguments and shapes as `albert.AlbertModel.forward` (tensors or arrays)."""
        input_ids, attention_mask, token_type_ids, position_ids = check_inputs(
            self.config, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds
        )
        x = self.embeddings(
            input_ids=input_ids,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            training=training,
        )  # fmt: skip  (B, T, E)
        additive_mask = padding_mask_to_additive(attention_mask, x.dtype)  # (B, 1, 1, T)
        head_mask = expand_head_mask(self.config, head_mask, x.dtype)
        h, hidden_states, attentions = self.encoder(
            x, additive_mask=additive_mask, head_mask=head_mask, output_hidden_states=output_hidden_states,
            output_attentions=output_attentions, training=training,
        )  # fmt: skip
        pooled = self.pooler(h) if self.pooler is not None else None
        return BaseModelOutputWithPooling(
            last_hidden_state=h, pooler_output=pooled, hidden_states=hidden_states, attentions=attentions
        )

    def dummy_inputs(self) -> dict[str, tf.Tensor]:
        return {"input_ids": tf.constant([[1, 2]], dtype=tf.int32)}

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "add_pooling_layer": self.pooler is not None}


def _tuple(items: list | None) -> tuple | None:
    return None if items is None else tuple(items)
