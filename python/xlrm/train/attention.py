"""``xlrm_varlen``: variable-length causal attention for packed rows without flash-attention.

transformers' own packed-sequence support builds one block-diagonal ``T × T`` mask from the
``position_ids`` and runs SDPA over the whole packed row: correct, but the masked-out blocks are
still computed, so attention costs ``O(T²)`` per row instead of ``Σ len²``. Where
flash-attention is installed its varlen kernel avoids that; elsewhere (CPU, or GPUs without
flash-attention) this implementation runs SDPA once per sequence, using the ``cu_seq_lens_q``
boundaries that :class:`xlrm.train.collators.DataCollatorForPackedPreference` emits.

Registered with transformers' ``AttentionInterface`` under the name ``"xlrm_varlen"`` (with a
mask builder that builds no mask for packed batches and transformers' SDPA mask for padded
ones); select it with ``model.set_attn_implementation("xlrm_varlen")`` or
``PackedRewardConfig.packed_attn_implementation``. A padded batch (attention mask given) runs
exactly transformers' SDPA attention.
"""

from __future__ import annotations

NAME = "xlrm_varlen"
_registered = False


def _bounds(cu, position_ids, row: int, length: int) -> list[int]:
    """Sequence boundaries of one row: from ``cu_seq_lens`` (flat rows) or where the position ids
    restart (any row); ``[0, length]`` when neither says more."""
    if cu is not None:
        return cu.tolist()
    if position_ids is None:
        return [0, length]
    pos = position_ids[min(row, position_ids.shape[0] - 1)]
    starts = (pos[1:] != pos[:-1] + 1).nonzero().flatten() + 1
    return [0, *starts.tolist(), length]


def varlen_sdpa_attention_forward(
    module,
    query,
    key,
    value,
    attention_mask,
    dropout: float = 0.0,
    scaling: float | None = None,
    is_causal: bool | None = None,
    **kwargs,
):
    """Per-sequence causal SDPA over packed rows ``(batch, heads, T, dim)``; output ``(batch, T, heads, dim)``.

    Sequence boundaries come from ``cu_seq_lens_q`` (one flat row) or from the ``position_ids``
    restarting at 0. A batch with an attention mask (ordinary padding) goes to transformers' SDPA.
    """
    import torch
    from transformers.integrations.sdpa_attention import repeat_kv, sdpa_attention_forward

    cu = kwargs.get("cu_seq_lens_q")
    if attention_mask is not None or (cu is not None and query.shape[0] != 1) or query.shape[2] == 1:
        return sdpa_attention_forward(
            module,
            query,
            key,
            value,
            attention_mask,
            dropout=dropout,
            scaling=scaling,
            is_causal=is_causal,
            **kwargs,
        )
    window = kwargs.get("sliding_window")
    if window is not None and window < query.shape[2]:
        raise NotImplementedError(
            f"{NAME} does not implement sliding-window attention; use sdpa or flash attention"
        )
    if kwargs.get("softcap") is not None:
        raise NotImplementedError(
            f"{NAME} does not implement logit soft-capping; use eager or flash attention"
        )
    n_rep = getattr(module, "num_key_value_groups", 1)
    key, value = repeat_kv(key, n_rep), repeat_kv(value, n_rep)
    rows = []
    for b in range(query.shape[0]):
        bounds = _bounds(cu, kwargs.get("position_ids"), b, query.shape[2])
        sizes = [e - s for s, e in zip(bounds[:-1], bounds[1:], strict=True)]
        # torch.split, not slicing: its backward is one concatenation, where every slice's
        # backward would allocate and zero a full-size gradient (O(sequences × T) work).
        qs, ks, vs = (t[b : b + 1].split(sizes, dim=2) for t in (query, key, value))
        outs = [
            torch.nn.functional.scaled_dot_product_attention(
                q, k, v, dropout_p=dropout, scale=scaling, is_causal=True
            )
            for q, k, v in zip(qs, ks, vs, strict=True)
            if q.shape[2]
        ]
        rows.append(torch.cat(outs, dim=2) if len(outs) > 1 else outs[0])
    out = torch.cat(rows, dim=0) if len(rows) > 1 else rows[0]
    return out.transpose(1, 2).contiguous(), None


def _mask(*args, **kwargs):
    """No mask for packed batches (the kernel splits sequences itself, so the ``T²`` packed mask
    is never built); transformers' SDPA mask for ordinary padded batches."""
    from transformers.masking_utils import sdpa_mask

    if kwargs.get("attention_mask") is None:
        return None
    return sdpa_mask(*args, **kwargs)


def register() -> str:
    """Register ``xlrm_varlen`` with transformers (idempotent); returns the name."""
    global _registered
    if not _registered:
        from transformers import AttentionInterface
        from transformers.masking_utils import AttentionMaskInterface

        AttentionInterface.register(NAME, varlen_sdpa_attention_forward)
        AttentionMaskInterface.register(NAME, _mask)
        _registered = True
    return NAME
