"""`python -m stylelens.cli ...`, the same as the `stylelens` command."""

from stylelens.cli import app

app()
