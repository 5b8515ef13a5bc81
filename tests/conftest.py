"""Shared pytest set-up. Web fixtures live in tests/web/conftest.py."""


def pytest_configure(config):
    """Transactional tests end with Django's flush, which on SQLite deletes every row (SQLite
    has no TRUNCATE, PostgreSQL's TRUNCATE skips row triggers): the append-only triggers
    (alstrial.web.audit.sqlite_guards) would refuse it. They are dropped just before a flush;
    the flush's post_migrate puts them back."""
    from django.db.backends.sqlite3.base import DatabaseOperations  # base first: import cycle

    flush = DatabaseOperations.execute_sql_flush

    def flush_unguarded(self, sql_list):
        from alstrial.web.audit.sqlite_guards import remove_sqlite_guards

        remove_sqlite_guards(self.connection)
        return flush(self, sql_list)

    DatabaseOperations.execute_sql_flush = flush_unguarded
