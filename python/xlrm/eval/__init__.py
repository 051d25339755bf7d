"""Scoring reward models on (Multilingual) RewardBench-style pairs.

``xlrm.eval.rewardbench`` holds the scoring rules (subset → section map, published example counts),
``xlrm.eval.scoring`` turns per-pair scores into per-subset, per-section and overall accuracies with
bootstrap intervals, and ``xlrm.eval.tables`` writes the per-language results, the train × eval
transfer matrix and the English-vs-target gaps. None of them loads a model; importing this package
imports nothing heavy.
"""
