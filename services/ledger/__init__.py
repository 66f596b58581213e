"""The ledger service: the append-only, double-entry record of every point."""
