"""``python -m minecalc`` runs the command line, exactly as the ``minecalc`` command does."""

from .cli import main

main(prog_name="minecalc")
