"""MariaDB/MySQL: the dialect (``dialect``) over its parts, and the recovery journal of its restores (``journal``).

Importing this package imports nothing else.
"""
