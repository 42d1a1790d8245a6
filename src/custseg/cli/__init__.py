"""The ``custseg`` command line: parse options, call the pipeline, render the outcome.

User mistakes (`CustsegError`) end with one line on stderr and exit code 1; anything else is a
bug and keeps its traceback. Each module registers its commands on the one Typer ``app``; the
import order below is the order ``custseg --help`` lists them.
"""

# isort: skip_file
from custseg.cli._app import app
from custseg.cli import data, analysis, basket, campaigns, history, reports, web, privacy  # noqa: F401,E501

__all__ = ["app"]
