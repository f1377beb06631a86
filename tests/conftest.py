import os
import sys

# The tests run the package from this checkout even when it is not installed.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Test helpers (fixture_support, strategies) import as top-level modules.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
