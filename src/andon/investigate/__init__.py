"""After a leak: since when was it exposed, who made it so, did anyone outside read it, what
data and how many people (``andon investigate``). See ``docs/investigate.md``.

Modules: :mod:`~andon.investigate.run` (the investigation), :mod:`~andon.investigate.timeline`
(the exposure window, pure), :mod:`~andon.investigate.cloudtrail` (records, archives,
LookupEvents), :mod:`~andon.investigate.s3logs` (server access logs), :mod:`~andon.investigate.
config_history` (AWS Config), :mod:`~andon.investigate.access` (principals, totals, verdict),
:mod:`~andon.investigate.impact` (data impact from the finding's classification),
:mod:`~andon.investigate.records` (store side: awareness times, saved investigations),
:mod:`~andon.investigate.s3io` (streaming objects from S3). Nothing is imported here.
"""
