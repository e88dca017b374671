"""The district's grid cells, where a point falls, and who works which cell."""
