"""Fixtures of the hostile-input tests; helpers live in hostile_inputs.py beside this file."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # hostile_inputs
