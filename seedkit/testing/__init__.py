"""Test databases for the pytest plugin: session databases restored once, clones made ahead, transactions joined and
watched. ``seedkit.pytest_plugin`` declares the options and fixtures; the work is here, imported only when a run
names a snapshot."""
