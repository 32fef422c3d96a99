"""Conversation: parse a question, call the core, return an `Answer`."""
