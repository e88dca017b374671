"""The staff side of a report: the desk staff act through (acknowledge, ask, hand over,
assign, resolve, reinspect), each step a lifecycle transition taken by an Actor."""
