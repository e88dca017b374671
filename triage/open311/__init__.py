"""Open311 GeoReport v2: other civic systems file reports and follow them (the domain side;
web/open311.py speaks the protocol)."""
