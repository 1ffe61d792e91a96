"""HotCRM REST dialects: v1, HubSpot-compatible and entity-scoped."""
