"""HotCRM REST API v1: records of every object, metadata, credentials."""
