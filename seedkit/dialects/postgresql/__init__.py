"""PostgreSQL: the dialect (``dialect``) over its parts (reflection and types, reading, loading, test databases),
the COPY encoders (``binary``, ``csv_copy``), the ADBC reader (``adbc``) and ready copies (``ready``).

Importing this package imports nothing else: the reset's import-light path loads only the modules it needs.
"""
