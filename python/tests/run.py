"""Run the Python package's tests (unittest, no pytest) and print
"N passed, N failed, N skipped"; exit 1 when a test failed.

    FAULTLINE_CLI=build/faultline .venv/bin/python python/tests/run.py

FAULTLINE_CLI names the `faultline` command whose results the package's are
checked against (those tests are skipped without it).
"""
import os
import sys
import unittest


class Result(unittest.TextTestResult):
    pass


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py", top_level_dir=here)
    result = unittest.TextTestRunner(verbosity=2, resultclass=Result).run(suite)
    for test, why in result.skipped:
        print("skipped %s: %s" % (test.id(), why))
    bad = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print("%d passed, %d failed, %d skipped"
          % (result.testsRun - bad - len(result.skipped), bad, len(result.skipped)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
