"""The impact engine: a pure model of services, propagation of failures, queries, SLA math.

Imports nothing from the store or from Slack.
"""
