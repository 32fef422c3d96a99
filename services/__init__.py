"""Use cases: where the store and the impact engine meet, between the surfaces and the core.

Surfaces (Slack, the CLI, web pages) call one use case and render what it returns; a use
case reads and writes through the store's public API and asks the one compiled model of
the process (`services.model.ModelService`).
"""
