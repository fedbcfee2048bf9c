"""``python -m seedkit``."""

from seedkit.cli import main

main()
