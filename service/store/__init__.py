"""Storage: SQLAlchemy Core tables, a unit of work, and repositories that add and query.

Repositories never commit; the unit of work commits once per use case or rolls everything back.
SQLite (WAL) is the embedded default and PostgreSQL (psycopg 3) the server option; the schema
comes from the Alembic migrations in `service/migrations` on both.
"""
