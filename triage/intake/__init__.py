"""The resident's conversation: one way in, the report being written, what a message means."""
