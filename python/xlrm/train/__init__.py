"""Reward-model training: tokenization of preference pairs, packed (padding-free) Bradley-Terry
training on top of TRL's ``RewardTrainer``.

Submodules import torch/transformers/TRL only where they need them:
``xlrm.train.tokenize`` (tokenizer in, Arrow out), ``xlrm.train.collators`` (torch),
``xlrm.train.packed_reward_config`` and ``xlrm.train.packed_reward_trainer`` (TRL).
"""
