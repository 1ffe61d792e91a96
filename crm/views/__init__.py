"""Server-rendered screens of the sales rep's UI."""
