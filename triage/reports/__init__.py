"""Reports once filed: filing, duplicates, the resident's follow-up, notices, text lengths."""
