"""``xlrm align``: RM-labelled DPO and win-rate judging (Hong et al. 2025, §5).

The stage samples K on-policy responses per prompt in every target language, labels them with
the English RM and with the language's own RM (best vs worst response, a minimum reward margin),
trains one DPO policy per labelling, and judges the aligned policies on held-out prompts: each
against the base policy, and the English-RM policy against the target-RM policy head to head.

Submodules, each importing torch/transformers/TRL only inside its functions:

- :mod:`xlrm.align.config`: ``AlignConfig`` (YAML section ``align:``);
- :mod:`xlrm.align.prompts`: prompt sources (X-AlpacaEval, m-ArenaHard, local files, the built-in
  set) and the train/eval split by prompt id;
- :mod:`xlrm.align.sampling`: batched ``generate`` (or vLLM) with recorded seeds;
- :mod:`xlrm.align.labelling`: per-response RM scores (the packed scorer), best-vs-worst pairs,
  agreement between two labellings;
- :mod:`xlrm.align.dpo`: one DPO run through TRL's ``DPOTrainer`` (resumable, ``accelerate
  launch``-able: ``python -m xlrm.align.dpo SPEC``);
- :mod:`xlrm.align.judging`: pairwise judging (endpoint, local causal LM, or an RM) and win rates;
- :mod:`xlrm.align.stage`: the stage (``run_align``).
"""
