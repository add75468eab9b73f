"""`python -m albert ...`: the same command line as the `albert` script (see albert/cli/)."""

import sys

from albert.cli import main

sys.exit(main())
