"""Snapshots that travel: the store (push, pull), rebuilds from a generator recipe, the lock file of pinned content
hashes, and diffs between snapshots and databases. Built on the engine; used by the API."""
