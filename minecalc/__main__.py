"""``python -m minecalc`` runs the command line."""

from .cli import main

main()
