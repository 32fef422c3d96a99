"""Bolt listeners, one module per Slack surface; `bot.app.create_app` registers each once.

Listeners stay plain functions: they ack, ask the conversation (or a use case), and hand the
rendered value to `bot.listeners.replies`. Failures reach the one error handler
(`bot.listeners.errors.handle_error`).
"""
