"""Content classification of exposed data: what is in it, about how many subjects, where.

Readers stream objects into :class:`~andon.classify.model.TextBlock` and
:class:`~andon.classify.model.ColumnBatch` units; the text path (one hyperscan pass) and the
column path (vectorized per column) find and validate values; results keep counts, redacted
samples, locations and keyed-hash sketches - never raw values.
"""
