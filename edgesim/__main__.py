"""`python -m edgesim ...` runs the command line, like the `edgesim` script (see edgesim/cli.py)."""
import sys

from edgesim.cli import main

sys.exit(main())
