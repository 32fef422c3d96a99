"""Slack wiring and runners: the app factory, Block Kit rendering, servers, CLI, jobs."""
