"""AI skills and their providers."""
