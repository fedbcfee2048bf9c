"""The data model the engine and the dialects share: tables and columns as reflected, Arrow types, catalogs.

The lowest layer of seedkit besides ``errors``, ``names``, ``config`` and ``faults``: nothing here imports the
engine, a dialect, or anything above them.
"""
