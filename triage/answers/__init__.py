"""The fire-safety knowledge base and answering residents' questions from it."""
