"""Zero-config seeding: realistic, constraint-correct rows for any existing schema, from the schema alone.

``spec`` holds the vocabulary the parts share: what a column is (:class:`ColumnSpec`), what its CHECK constraints
allow (:class:`Domain`), and the generator chosen for it (:class:`Choice`). ``checks`` reads CHECK constraints,
``values`` chooses a generator per column, ``schema`` reflects a database into specs, ``planner`` orders the work and
``runner`` writes the rows.
"""
