"""Zero-config seeding: realistic, constraint-correct rows for any existing schema, from the schema alone.

``spec`` holds the vocabulary the parts share: what a column is (:class:`ColumnSpec`), what its CHECK constraints
allow (:class:`Domain`), and the generator chosen for it (:class:`Choice`). ``checks`` reads CHECK constraints,
``values`` chooses a generator per column, ``schema`` reflects a database into specs, ``planner`` orders the work and
``runner`` writes the rows. ``declared`` and ``fill`` let a seeds module's factories drive the same runner, and
``eject`` writes such a module from a plan (``seedkit seeds init``).
"""

from seedkit.seeding.auto.declared import Call, Inferred
from seedkit.seeding.auto.fill import fill

__all__ = ["Call", "Inferred", "fill"]
