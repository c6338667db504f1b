"""Use cases: the ledger, command application, sealing and queries over the database."""
