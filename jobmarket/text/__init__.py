"""Text handling of titles: cleaning (``clean``, ``gender``), lookup keys (``keys``), language detection
(``language``), countries (``countries``); the cleaning vocabularies are data files in ``vocab/``
(loaded by ``vocabulary``, assembled into regular expressions by ``patterns``).

No imports here: modules are imported by their full path, which keeps the package free of cycles.
"""
