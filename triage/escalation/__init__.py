"""Who gets a report, and how an unacknowledged one climbs the chain on its deadlines."""
