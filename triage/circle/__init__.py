"""The ten-minute circle (十分钟消防便民服务圈): patrol teams sent to a fire, and the service
points within ten minutes' walk."""
