import sys

from labproject.benchmarks.suites import main

sys.exit(main())
