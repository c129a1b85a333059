"""The dashboard and JSON API over the store (``andon serve``; needs the ``web`` extra).

:func:`create_app` builds a FastAPI app over one :class:`~andon.store.Store` with explicit
:class:`WebSettings`; see ``docs/web.md``.
"""

from andon.web.app import create_app
from andon.web.settings import HashCost, WebSettings

__all__ = ["HashCost", "WebSettings", "create_app"]
