"""Block Kit, report and digest rendering: the one place each surface's output is built."""
