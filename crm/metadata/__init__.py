"""The object registry: what objects and fields exist in a workspace."""
