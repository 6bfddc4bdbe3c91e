import sys

from amrit_assets.demo.generator.cli import main

sys.exit(main())
