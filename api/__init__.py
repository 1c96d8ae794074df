"""The HTTP service: keeps the engine warm and runs style-transfer jobs from a queue."""
