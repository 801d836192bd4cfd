"""Contract tests of the portal simulator, over real HTTP."""
