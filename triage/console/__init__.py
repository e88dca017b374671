"""The web console's side of the domain: who may log in and see what, the board, the lists,
one report's page and its actions (the chat's own desk, with the same guards)."""
