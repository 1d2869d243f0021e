import sys

from mediactl.cli import main

sys.exit(main())
