"""Database plumbing, in one place: the SQLite backend with a writer queue (`sqlite`) and the
cached INSERTs of the two hot paths (`fast_insert`). Both override or read private parts of
Django; `tests/initiator_site/db/test_db_plumbing.py` fails loudly when a Django upgrade changes
them."""
