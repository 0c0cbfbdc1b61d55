"""Arabic-aware full-text search of the archive (FTS5 over normalized text)."""
