"""Translation stage: English preference pairs into target languages, cached and checked.

Modules: ``config`` (settings), ``languages`` (code tables), ``protect`` (placeholders for code,
URLs, math), ``split`` (segments within a model's limit), ``cache`` (SQLite), ``backends``
(hf_seq2seq, hf_causal, openai_compat), ``checks`` (language, length, copy, distinct),
``translator`` (the engine) and ``stage`` (the ``xlrm translate`` command).
"""
