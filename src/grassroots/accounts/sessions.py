"""Django's database sessions, read with one hand-written statement.

Every signed-in request reads its session. The ORM compiled that lookup on each request; here
it is one statement, prepared once per connection on PostgreSQL. Writing, expiry and clearing
are Django's own.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.db import connection
from django.utils import timezone

from grassroots.core import sql

LOAD = "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > %s"


class SessionStore(DatabaseStore):
    def _get_session_from_db(self) -> Any:
        key = self.session_key
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        row = sql.fetch_one(LOAD, [key, now]) if key else None
        if key is None or row is None:
            self._session_key = None
            return None
        return self.model(session_key=key, session_data=row[0])
