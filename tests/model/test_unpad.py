"""Padding removal (`albert.model.unpad`): packing and unpacking, one attention call per run of equal
lengths, slices of whole sequences within the memory limit, and the same results as the whole batch."""

from __future__ import annotations

import torch

from albert.model.unpad import Packing, can_unpad, pad_input, unpad_input, varlen_attention
from tests.model.helpers import padded_inputs, pair

ATOL = 1e-5


def test_packing_round_trip() -> None:
    mask = padded_inputs()["attention_mask"]
    packing = Packing.from_mask(mask)
    assert packing.runs == ((0, 1, 5), (5, 1, 7), (12, 1, 8), (20, 1, 9)) and packing.nnz == int(mask.sum())
    x = torch.randn(4, 9, 3)
    packed = unpad_input(x, packing)  # (nnz, 3)
    assert packed.shape == (packing.nnz, 3)
    back = pad_input(packed, packing)
    assert torch.equal(back, x * mask[..., None])


def test_equal_lengths_share_one_attention_call() -> None:
    lengths = torch.tensor([3, 2, 0, 3, 2, 5])
    mask = (torch.arange(6)[None, :] < lengths[:, None]).long()
    mask[4] = mask[4].flip(0)  # left padding: same length, other positions
    packing = Packing.from_mask(mask)
    assert packing.runs == ((0, 1, 0), (0, 2, 2), (4, 2, 3), (10, 1, 5)) and packing.nnz == 15
    assert packing.indices.tolist() == [6, 7, 28, 29, 0, 1, 2, 18, 19, 20, 30, 31, 32, 33, 34]
    qkv = torch.randn(packing.nnz, 3, 2, 4)
    got = varlen_attention(qkv, packing, head_mask=None, dropout_p=0.0, training=False)  # (nnz, 8)
    rows = packing.indices // 6
    for b in range(6):  # each sequence alone, in its own SDPA call
        mine = rows == b
        if not mine.any():
            continue
        q, k, v = qkv[mine].permute(1, 2, 0, 3).unbind(0)  # each (N, L, D)
        ref = torch.nn.functional.scaled_dot_product_attention(q, k, v).transpose(0, 1).reshape(-1, 8)
        torch.testing.assert_close(got[mine], ref, atol=1e-6, rtol=0)


def test_equal_length_rows_match_reference() -> None:
    ref, fast = pair()
    inputs = padded_inputs(batch=5, left=False)
    lengths = torch.tensor([5, 9, 5, 3, 5])
    inputs["attention_mask"] = (torch.arange(9)[None, :] < lengths[:, None]).long()
    keep = inputs["attention_mask"].bool()
    with torch.no_grad():
        a, b = ref(**inputs), fast(**inputs)
    torch.testing.assert_close(b.last_hidden_state[keep], a.last_hidden_state[keep], atol=ATOL, rtol=0)
    torch.testing.assert_close(b.pooler_output, a.pooler_output, atol=ATOL, rtol=0)


def test_slices_are_whole_sequences_within_the_row_limit() -> None:
    lengths = torch.tensor([3, 2, 0, 3, 2, 5, 3])
    mask = (torch.arange(6)[None, :] < lengths[:, None]).long()
    packing = Packing.from_mask(mask)  # sorted: 0, 2, 2, 3, 3, 3, 5
    pieces = packing.slices(6)
    assert [p.runs for p in pieces] == [
        ((0, 1, 0), (0, 2, 2)),  # 4 rows; a 3-row sequence would make 7
        ((0, 2, 3),),
        ((0, 1, 3),),  # 3 + 5 > 6
        ((0, 1, 5),),
    ]
    assert torch.equal(torch.cat([p.indices for p in pieces]), packing.indices)
    assert [p.runs for p in packing.slices(2)][-1] == ((0, 1, 5),)  # longer than the limit: alone
    assert [p.runs for p in packing.slices(10**9)] == [packing.runs]
    x = torch.randn(packing.nnz, 3)
    row, back = 0, torch.zeros(7, 6, 3)
    for p in pieces:  # pad_input places a piece's rows in the full batch
        back += pad_input(x[row : row + p.nnz], p)
        row += p.nnz
    assert torch.equal(back, pad_input(x, packing))


def test_inference_in_slices_is_the_same_computation(monkeypatch) -> None:
    """Slicing (a long batch without autograd: `unpad.slice_rows`) changes nothing: the whole batch's
    result, hidden states included; while autograd records, the batch runs whole."""
    from albert.model import unpad

    _, fast = pair(num_hidden_layers=3)
    inputs = padded_inputs()
    with torch.no_grad():
        whole = fast(**inputs, output_hidden_states=True)
    calls = []
    fast.encoder.register_forward_hook(lambda m, args, out: calls.append(args[0].shape[0]))
    widest = 3 * 16  # tiny_kwargs: 3H = 48 > the FFN's 20; fp32: 4 bytes
    monkeypatch.setattr(unpad, "SLICE_BYTES", 17 * widest * 4)  # at most 17 rows
    with torch.no_grad():
        sliced = fast(**inputs, output_hidden_states=True)
    assert calls == [12, 17]  # 5 + 7, then 8 + 9 rows
    torch.testing.assert_close(sliced.last_hidden_state, whole.last_hidden_state, atol=1e-6, rtol=0)
    for a, b in zip(sliced.hidden_states, whole.hidden_states):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
    calls.clear()
    fast(**inputs).last_hidden_state.sum().backward()
    assert calls == [int(inputs["attention_mask"].sum())]


def test_padded_batches_run_in_slices_of_whole_sequences(monkeypatch) -> None:
    """The padded path (no padding to remove, or attentions asked for) slices along the batch: the
    same hidden states, attentions and narrowed rows as the whole batch."""
    from albert.model import unpad

    _, fast = pair("AlbertForSequenceClassification", num_hidden_layers=3)
    inputs = padded_inputs()
    full_mask = dict(inputs, attention_mask=torch.ones_like(inputs["attention_mask"]))
    with torch.no_grad():
        whole = [fast(**full_mask, output_hidden_states=True), fast(**inputs, output_attentions=True)]
        whole_logits = fast(**full_mask).logits
    calls = []
    fast.backbone.encoder.register_forward_hook(lambda m, args, out: calls.append(args[0].shape[0]))
    monkeypatch.setattr(unpad, "SLICE_BYTES", 2 * 9 * 3 * 16 * 4)  # 2 sequences of 9 tokens (3H = 48 wide)
    with torch.no_grad():
        sliced = [fast(**full_mask, output_hidden_states=True), fast(**inputs, output_attentions=True)]
        sliced_logits = fast(**full_mask).logits  # the last layer at [CLS] only, slice by slice
    assert calls == [2, 2] * 3
    for a, b in zip(sliced, whole):
        assert a.keys() == b.keys()
        for key in a.keys():
            torch.testing.assert_close(a[key], b[key], atol=1e-6, rtol=0)
    torch.testing.assert_close(sliced_logits, whole_logits, atol=1e-6, rtol=0)


def test_can_unpad() -> None:
    assert not can_unpad(torch.ones(2, 4))  # nothing to remove
    assert can_unpad(torch.tensor([[1, 1, 0], [1, 1, 1]]))
    assert not can_unpad(torch.tensor([[1.0, 0.5, 0.0]]))  # partial mask: the reference path handles it
