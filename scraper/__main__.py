"""`python -m scraper` runs the command-line interface."""

from .cli import main

main()
