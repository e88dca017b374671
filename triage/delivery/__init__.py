"""Delivery: the inbox the processor drains (updates in) and the outbox the sender drains
(messages out), as the chat side uses them. The rows and their SQL are storage's, tuned for
order, fairness and SQLite's write lock; these modules only give them the domain's names."""
