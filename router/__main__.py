"""``python -m router`` is the ``payrouter`` command."""

from router.cli import main

main()
