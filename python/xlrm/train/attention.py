"""``xlrm_varlen``: variable-length causal attention for packed rows without flash-attention.

transformers' own packed-sequence support builds one block-diagonal ``T × T`` mask from the
``position_ids`` and runs SDPA over the whole packed row: correct, but the masked-out blocks are
still computed, so attention costs ``O(T²)`` per row instead of ``Σ len²``. Where
flash-attention is installed its varlen kernel avoids that; elsewhere (CPU, or GPUs without
flash-attention) this implementation runs SDPA once per sequence, using the ``cu_seq_lens_q``
boundaries that :class:`xlrm.train.collators.DataCollatorForPackedPreference` emits.

Registered with transformers' ``AttentionInterface`` (and the SDPA mask builder, so unpacked
batches keep their usual masks) under the name ``"xlrm_varlen"``; select it with
``model.set_attn_implementation("xlrm_varlen")`` or ``PackedRewardConfig.packed_attn_implementation``.
Without ``cu_seq_lens_q`` (an ordinary padded batch) it is exactly transformers' SDPA attention.
"""

from __future__ import annotations

NAME = "xlrm_varlen"
_registered = False


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
    """Per-sequence causal SDPA over a packed ``(1, heads, T, dim)`` row; output ``(1, T, heads, dim)``."""
    import torch
    from transformers.integrations.sdpa_attention import repeat_kv, sdpa_attention_forward

    cu = kwargs.get("cu_seq_lens_q")
    if cu is None or query.shape[0] != 1:
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
    if window is not None and window < int(kwargs.get("max_length_q") or query.shape[2]):
        raise NotImplementedError(
            f"{NAME} does not implement sliding-window attention; use sdpa or flash attention"
        )
    if kwargs.get("softcap") is not None:
        raise NotImplementedError(
            f"{NAME} does not implement logit soft-capping; use eager or flash attention"
        )
    n_rep = getattr(module, "num_key_value_groups", 1)
    key, value = repeat_kv(key, n_rep), repeat_kv(value, n_rep)
    bounds = cu.tolist()
    outs = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        outs.append(
            torch.nn.functional.scaled_dot_product_attention(
                query[:, :, a:b],
                key[:, :, a:b],
                value[:, :, a:b],
                dropout_p=dropout,
                scale=scaling,
                is_causal=True,
            )
        )
    out = torch.cat(outs, dim=2) if len(outs) > 1 else outs[0]
    return out.transpose(1, 2).contiguous(), None


def register() -> str:
    """Register ``xlrm_varlen`` with transformers (idempotent); returns the name."""
    global _registered
    if not _registered:
        from transformers import AttentionInterface
        from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface, sdpa_mask

        AttentionInterface.register(NAME, varlen_sdpa_attention_forward)
        if NAME not in ALL_MASK_ATTENTION_FUNCTIONS:
            AttentionMaskInterface.register(NAME, sdpa_mask)
        _registered = True
    return NAME
