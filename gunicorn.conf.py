"""gunicorn settings, read from the working directory (`gunicorn grassroots.wsgi …`).

The app is loaded once in the master and the workers are forked from it, so they share its
memory pages; `gc.freeze()` keeps the collector from touching (and so copying) the objects
loaded before the fork. Measured by bench/ingest.py (issue 8).
"""

import gc

preload_app = True


def when_ready(server: object) -> None:
    # In the master, after the app is loaded and before the first worker is forked. The URL
    # configuration imports every view and API schema: load it here, once, for all workers.
    # No database connection may be shared by the workers.
    from django.db import connections

    import grassroots.urls  # noqa: F401

    connections.close_all()
    gc.freeze()
