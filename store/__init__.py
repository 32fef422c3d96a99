"""The service-map store: SQLAlchemy schema, sessions, migrations, import and export.

Returns `impact.model` domain objects, never ORM rows; imports nothing from Slack.
"""
