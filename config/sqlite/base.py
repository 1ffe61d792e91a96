"""SQLite, as Django ships it, plus ``hotcrm_lower``: Python's ``str.lower``
as an SQL function. SQLite's own ``LIKE`` and ``lower()`` fold ASCII letters
only, so "élan" would not contain "É" there while it does on PostgreSQL and
in the query engine's evaluator; the text operators fold with this instead
(``crm.query.compile``)."""

from django.db.backends.sqlite3 import base


def _lower(value):
    return value.lower() if isinstance(value, str) else value


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.create_function("hotcrm_lower", 1, _lower, deterministic=True)
        return connection
