"""Service-quality warehouse for Vietnamese public administration (Decision 766 index)."""
