"""Connectors to the two portals: typed records at the boundary, nothing downstream re-parses."""
