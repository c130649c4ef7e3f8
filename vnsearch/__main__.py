"""`python -m vnsearch` runs the `vnsearch` command."""

from vnsearch.cli import main

main(prog_name="vnsearch")
